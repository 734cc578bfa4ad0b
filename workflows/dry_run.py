"""A workflow tried against a conversation as it is now: what would match and happen.

Reads only: nothing is saved, no event is written, no run is started.
"""

from django.utils import timezone

from conversations.models import Conversation, PartType
from workflows import log_words, vocabulary
from workflows.catalog import current_catalog
from workflows.engine import placeholders, planner
from workflows.engine.definitions import CompiledWorkflow, References, compile_definition
from workflows.engine.rules import Group, Rule, _jsonable
from workflows.engine.steps import RULE_PATHS, step_type
from workflows.facts import build_facts
from workflows.models import Workflow, WorkflowRun

# Steps described at most, across nested paths, so a looping reusable stays bounded.
MAX_DESCRIBED_STEPS = 200


def workflow_dry_run(workflow: Workflow, conversation: Conversation) -> dict:
    compiled = current_catalog().by_id.get(workflow.pk) or compile_definition(
        workflow.document(), References(lenient=True), workflow_id=workflow.pk
    )
    conversation = Conversation.objects.select_related("contact__company", "assignee", "team").get(
        pk=conversation.pk
    )
    last_message = (
        conversation.parts.filter(part_type=PartType.CUSTOMER_MESSAGE).order_by("-id").first()
    )
    facts = build_facts(
        conversation,
        now=timezone.now(),
        message=(last_message.body, "contact") if last_message else None,
        load_tags=lambda: {n.lower() for n in conversation.tags.values_list("name", flat=True)},
    )
    matched, _ = compiled.audience.check(facts)
    would_start, reason = _would_start(workflow, compiled, conversation, facts)
    return {
        "workflow": workflow.pk,
        "conversation": conversation.pk,
        "trigger": workflow.trigger,
        "audience": {"matched": matched, "rules": _rules(compiled.audience, facts)},
        "would_start": would_start,
        "reason": reason,
        "steps": _Describer(facts).path(compiled, compiled.steps, "steps"),
        "message_used": last_message.body if last_message else None,
    }


def _would_start(workflow, compiled: CompiledWorkflow, conversation, facts):
    """Whether the workflow would start on this conversation now, and why: the planner's
    own decision (frequency, targeting, one customer-facing run), said in its words."""
    if workflow.status != Workflow.Status.LIVE:
        status = vocabulary.STATUS_WORDS.get(workflow.status, workflow.status).lower()
        return False, vocabulary.NOT_LIVE.format(status=status)
    runs = WorkflowRun.objects.filter(conversation=conversation)
    # Read only what the decision can use: the history for "once", the active run for a
    # customer-facing workflow.
    ran_before = set()
    if compiled.frequency == "once" and runs.filter(workflow=workflow).exists():
        ran_before = {workflow.pk}
    active = None
    if compiled.is_customer_facing:
        active = (
            runs.filter(is_customer_facing=True, status__in=WorkflowRun.ACTIVE)
            .select_related("workflow")
            .first()
        )
    decision = planner.decide_one(
        compiled,
        workflow.trigger,
        facts,
        ran_before=ran_before,
        active_customer_facing=active.workflow.name if active else None,
    )
    if isinstance(decision, planner.Skip):
        return False, log_words.skip_reason(decision.details, now=True)
    return True, vocabulary.WOULD_START_BECAUSE


def _rules(group: Group, facts) -> list[dict]:
    """Every rule with its actual value and whether it matches now."""
    found = []
    for member in group.members:
        if isinstance(member, Group):
            found.append({"match": member.match, "rules": _rules(member, facts)})
        elif isinstance(member, Rule):
            matched, _ = member.check(facts)
            found.append(
                {
                    "attribute": member.attribute,
                    "operator": member.operator,
                    "value": member.raw_value,
                    "actual": _jsonable(member.actual(facts)),
                    "matched": matched,
                }
            )
    return found


class _Describer:
    """What each step would do, in the vocabulary's words, with the paths the
    conversation's facts would take now."""

    def __init__(self, facts):
        self.facts = facts
        self.budget = MAX_DESCRIBED_STEPS
        self.catalog = current_catalog()

    def path(self, workflow, steps, place) -> list[dict]:
        described = []
        for index, step in enumerate(steps):
            if self.budget <= 0:
                break
            self.budget -= 1
            here = f"{place}[{index}]"
            kind = step_type(step.type)
            entry = {"place": here, "type": step.type, "would": self.words(step)}
            rendered = self.rendered(kind, step)
            if rendered:
                entry["rendered"] = rendered
            paths = kind.paths if kind is not None else None
            if paths is not None and paths.kind == RULE_PATHS:
                chosen = [n for n, (when, _) in enumerate(step.paths) if when.evaluate(self.facts)]
                if paths.first_match_only:
                    chosen = chosen[:1]
                entry["matched"] = chosen
                entry["paths"] = [
                    self.path(workflow, step.paths[n][1], f"{here}.{paths.key}[{n}].steps")
                    for n in chosen
                ]
                if paths.has_else and not chosen:
                    entry["paths"] = [self.path(workflow, step.otherwise, f"{here}.else")]
            elif paths is not None:
                entry["paths"] = [
                    {
                        "label": label,
                        "steps": self.path(workflow, path, f"{here}.{paths.key}[{n}].steps"),
                    }
                    for n, (label, path) in enumerate(step.paths)
                ]
            elif step.type == "run_workflow":
                # Names match casefolded, as the executor matches them.
                wanted = step.args["workflow"].casefold()
                target = next(
                    (w for w in self.catalog.by_id.values() if w.name.casefold() == wanted),
                    None,
                )
                if target is not None:
                    entry["paths"] = [self.path(target, target.steps, f"{target.name}.steps")]
            described.append(entry)
        return described

    def rendered(self, kind, step) -> dict:
        """Each text with placeholders, filled in for this conversation: {field: text}."""
        if kind is None:
            return {}
        return {
            spec.name: placeholders.render(step.args[spec.name], self.facts, spec.placeholders)
            for spec in kind.fields
            if spec.placeholders
            and isinstance(step.args.get(spec.name), str)
            and "{{" in step.args[spec.name]
        }

    @staticmethod
    def words(step) -> str:
        return vocabulary.step_words({**step.args, "type": step.type})
