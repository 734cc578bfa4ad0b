"""Carry out one background or customer-facing step through the conversation services."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, SlaPolicy, Team, Teammate
from workflows.engine.definitions import Step
from workflows.engine.executor import StepFailed


def find_teammate(username: str) -> Teammate:
    teammate = Teammate.objects.filter(username__iexact=username, is_active=True).first()
    if teammate is None:
        raise StepFailed(f'no active teammate "{username}"')
    return teammate


def find_team(name: str) -> Team:
    team = Team.objects.filter(name__iexact=name).first()
    if team is None:
        raise StepFailed(f'no team named "{name}"')
    return team


def round_robin_pick(team: Team) -> Teammate:
    """The available member with the fewest open conversations (then by name)."""
    members = (
        team.members.filter(is_active=True, is_away=False)
        .annotate(
            open_count=Count(
                "assigned_conversations",
                filter=Q(assigned_conversations__state=Conversation.State.OPEN),
            )
        )
        .order_by("open_count", "username")
    )
    member = members.first()
    if member is None:
        raise StepFailed(f'no available teammate in "{team.name}" for round robin')
    return member


def assignment_target(step: Step) -> tuple[Teammate | None, Team | None]:
    if step.args.get("teammate"):
        return find_teammate(step.args["teammate"]), None
    team = find_team(step.args["team"])
    if step.args.get("round_robin"):
        return round_robin_pick(team), team
    return None, team


def describe_assignment(assignee, team) -> str:
    return " in ".join(
        f'"{x}"' for x in (assignee and assignee.display_name, team and team.name) if x
    )


def perform(conversation: Conversation, step: Step, acting: Actor, now: datetime) -> str:
    """Apply the step; return what was done in words. Raise StepFailed when it cannot be."""
    try:
        return _perform(conversation, step, acting, now)
    except ValidationError as error:
        raise StepFailed(" ".join(error.messages)) from None


def _perform(conversation, step: Step, acting: Actor, now) -> str:
    args = step.args
    kind = step.type
    common = {"conversation": conversation, "acting": acting}
    if kind == "add_tag":
        services.conversation_add_tag(name=args["tag"], **common)
        return f'Tagged the conversation "{args["tag"]}"'
    if kind == "remove_tag":
        services.conversation_remove_tag(name=args["tag"], **common)
        return f'Removed the tag "{args["tag"]}"'
    if kind == "assign":
        assignee, team = assignment_target(step)
        services.conversation_assign(assignee=assignee, team=team, **common)
        return f"Assigned the conversation to {describe_assignment(assignee, team)}"
    if kind == "unassign":
        services.conversation_unassign(**common)
        return "Unassigned the conversation"
    if kind == "close":
        services.conversation_close(**common)
        return "Closed the conversation"
    if kind == "reopen":
        services.conversation_reopen(**common)
        return "Reopened the conversation"
    if kind == "snooze":
        until = now + args["duration"] if args.get("duration") else args["until"]
        services.conversation_snooze(until=until, **common)
        return f"Snoozed the conversation until {until.isoformat(timespec='minutes')}"
    if kind == "set_priority":
        services.conversation_set_priority(priority=args["priority"], **common)
        return "Marked the conversation as priority" if args["priority"] else "Removed priority"
    if kind == "apply_sla":
        policy = SlaPolicy.objects.filter(name__iexact=args["sla"]).first()
        if policy is None:
            raise StepFailed(f'no SLA policy named "{args["sla"]}"')
        services.conversation_apply_sla(policy=policy, **common)
        return f'Applied the SLA "{policy.name}"'
    if kind == "set_data":
        services.conversation_set_data(key=args["key"], value=args["value"], **common)
        return f"Set {args['key']} to {args['value']!r}"
    if kind == "add_note":
        services.conversation_add_note(body=args["body"], **common)
        return "Added a note"
    if kind == "send_message":
        services.conversation_bot_message(body=args["body"], **common)
        return "Sent a message"
    if kind == "reply_buttons":
        labels = [label for label, _ in step.paths]
        services.conversation_bot_message(body=args["body"], details={"buttons": labels}, **common)
        return "Asked the customer to choose: " + ", ".join(f'"{label}"' for label in labels)
    if kind == "collect_data":
        services.conversation_bot_message(
            body=args["body"], details={"collect": args["attribute"]}, **common
        )
        return f"Asked the customer for {args['attribute']}"
    if kind == "handover":
        assignee = find_teammate(args["teammate"]) if args.get("teammate") else None
        team = find_team(args["team"]) if args.get("team") else None
        services.conversation_set_bot_inbox(in_bot_inbox=False, **common)  # no-op if out
        if assignee or team:
            services.conversation_assign(assignee=assignee, team=team, **common)
            return f"Handed the conversation over to {describe_assignment(assignee, team)}"
        return "Handed the conversation over to the inbox"
    raise StepFailed(f"unknown step type {kind}")
