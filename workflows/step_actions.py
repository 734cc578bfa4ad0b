"""Carry out one background or customer-facing step through the conversation services:
the action of each step type, registered by name beside the registry's declaration."""

from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, SlaPolicy, Team, Teammate
from workflows import vocabulary
from workflows.engine import placeholders
from workflows.engine.definitions import Step
from workflows.engine.executor import StepFailed
from workflows.engine.steps import step_type
from workflows.facts import placeholder_facts


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


def assignment_record(assignee, team) -> dict:
    """Who a step assigned to, as plain data for its log record."""
    return {
        "assignee": assignee.display_name if assignee is not None else None,
        "team": team.name if team is not None else None,
    }


def done_record(conversation: Conversation, step: Step) -> dict:
    """What a step did, as plain data for its log record (workflows/log_words.py says it):
    the step's type and what it names, read from the conversation where the step chose
    (a round-robin teammate, a snooze's end)."""
    args, kind = step.args, step.type
    record: dict = {"type": kind}
    if kind in ("add_tag", "remove_tag"):
        record["tag"] = args["tag"]
    elif kind in ("assign", "handover"):
        if kind == "assign" or args.get("teammate") or args.get("team"):
            record.update(assignment_record(conversation.assignee, conversation.team))
    elif kind == "snooze" and conversation.snoozed_until is not None:
        record["until"] = conversation.snoozed_until.isoformat()
    elif kind == "set_priority":
        record["priority"] = bool(args["priority"])
    elif kind == "apply_sla":
        record["sla"] = conversation.sla_policy.name if conversation.sla_policy else args["sla"]
    elif kind == "set_data":
        record.update(key=args["key"], value=args["value"])
    elif kind == "reply_buttons":
        record["labels"] = [label for label, _ in step.paths]
    elif kind == "collect_data":
        record["attribute"] = args["attribute"]
    return record


def rendered_body(conversation: Conversation, step: Step) -> str:
    """The step's body with its placeholders filled in from the conversation now (plain
    text: the pages escape it when they show it)."""
    body = step.args["body"]
    if "{{" not in body:
        return body
    return placeholders.render(body, placeholder_facts(conversation), placeholders.TEXT)


# The action of each step type the registry declares (workflows/engine/steps.py), by
# name: action(conversation, step, common, now) -> what was done, in words. Flow steps
# (branches, apply rules, wait, run workflow) are carried out by the executor itself.
ACTIONS: dict[str, Callable] = {}


def action(name: str):
    """Register the function below as the action of the step type `name`."""
    if step_type(name) is None:
        raise ValueError(f"no step type {name!r} in the registry")

    def register(function):
        ACTIONS[name] = function
        return function

    return register


def perform(conversation: Conversation, step: Step, acting: Actor, now: datetime) -> str:
    """Apply the step; return what was done in words. Raise StepFailed when it cannot be."""
    act = ACTIONS.get(step.type)
    if act is None:
        raise StepFailed(f"unknown step type {step.type}")
    try:
        return act(conversation, step, {"conversation": conversation, "acting": acting}, now)
    except ValidationError as error:
        raise StepFailed(" ".join(error.messages)) from None


@action("add_tag")
def _add_tag(conversation, step, common, now):
    services.conversation_add_tag(name=step.args["tag"], **common)
    return f'Tagged the conversation "{step.args["tag"]}"'


@action("remove_tag")
def _remove_tag(conversation, step, common, now):
    services.conversation_remove_tag(name=step.args["tag"], **common)
    return f'Removed the tag "{step.args["tag"]}"'


@action("assign")
def _assign(conversation, step, common, now):
    assignee, team = assignment_target(step)
    services.conversation_assign(assignee=assignee, team=team, **common)
    return f"Assigned the conversation to {describe_assignment(assignee, team)}"


@action("unassign")
def _unassign(conversation, step, common, now):
    services.conversation_unassign(**common)
    return "Unassigned the conversation"


@action("close")
def _close(conversation, step, common, now):
    services.conversation_close(**common)
    return "Closed the conversation"


@action("reopen")
def _reopen(conversation, step, common, now):
    services.conversation_reopen(**common)
    return "Reopened the conversation"


@action("snooze")
def _snooze(conversation, step, common, now):
    args = step.args
    until = now + args["duration"] if args.get("duration") else args["until"]
    services.conversation_snooze(until=until, **common)
    return f"Snoozed the conversation until {until.isoformat(timespec='minutes')}"


@action("set_priority")
def _set_priority(conversation, step, common, now):
    priority = step.args["priority"]
    services.conversation_set_priority(priority=priority, **common)
    return "Marked the conversation as priority" if priority else "Removed priority"


@action("apply_sla")
def _apply_sla(conversation, step, common, now):
    policy = SlaPolicy.objects.filter(name__iexact=step.args["sla"]).first()
    if policy is None:
        raise StepFailed(f'no SLA policy named "{step.args["sla"]}"')
    services.conversation_apply_sla(policy=policy, **common)
    return f'Applied the SLA "{policy.name}"'


@action("set_data")
def _set_data(conversation, step, common, now):
    key, value = step.args["key"], step.args["value"]
    services.conversation_set_data(key=key, value=value, **common)
    return f"Set {key} to {value!r}"


@action("add_note")
def _add_note(conversation, step, common, now):
    services.conversation_add_note(body=rendered_body(conversation, step), **common)
    return "Added a note"


@action("send_message")
def _send_message(conversation, step, common, now):
    services.conversation_bot_message(body=rendered_body(conversation, step), **common)
    return "Sent a message"


@action("reply_buttons")
def _reply_buttons(conversation, step, common, now):
    labels = [label for label, _ in step.paths]
    services.conversation_bot_message(
        body=rendered_body(conversation, step), details={"buttons": labels}, **common
    )
    return "Asked the customer to choose: " + ", ".join(f'"{label}"' for label in labels)


@action("collect_data")
def _collect_data(conversation, step, common, now):
    attribute = step.args["attribute"]
    services.conversation_bot_message(
        body=rendered_body(conversation, step), details={"collect": attribute}, **common
    )
    return f"Asked the customer for {vocabulary.collected_words(attribute)}"


@action("handover")
def _handover(conversation, step, common, now):
    args = step.args
    assignee = find_teammate(args["teammate"]) if args.get("teammate") else None
    team = find_team(args["team"]) if args.get("team") else None
    services.conversation_set_bot_inbox(in_bot_inbox=False, **common)  # no-op if out
    if assignee or team:
        services.conversation_assign(assignee=assignee, team=team, **common)
        return f"Handed the conversation over to {describe_assignment(assignee, team)}"
    return "Handed the conversation over to the inbox"
