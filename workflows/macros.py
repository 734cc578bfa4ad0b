"""Macros: a teammate's saved steps and reply, run on conversations as that teammate.

Each step is carried out by its action in workflows/step_actions.py (the same as a
workflow's), with the running teammate as the actor and the macro's name on every
part and event it writes, so teammate triggers fire and the timeline says "via macro".
Each conversation runs in its own transaction under its lock: a failure undoes that
conversation's steps only.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, Teammate
from workflows import step_actions, vocabulary
from workflows.engine.definitions import MACRO_REPLY, References, Step, compile_macro_steps
from workflows.engine.errors import DefinitionError
from workflows.engine.executor import StepFailed
from workflows.models import Macro
from workflows.services import references_from_db

STEP_PLACE = re.compile(r"^steps\[(\d+)\]")
MAX_CONVERSATIONS = 500
MAX_MACRO_ROWS = 20  # the steps' bound (engine.definitions.MAX_MACRO_STEPS)


def visible_macros(teammate: Teammate):
    """The macros a teammate may see and run: shared ones and their own (admins: all)."""
    macros = Macro.objects.select_related("owner")
    if teammate.is_workspace_admin:
        return macros
    return macros.filter(Q(shared=True) | Q(owner=teammate))


def may_edit(macro: Macro, teammate: Teammate) -> bool:
    return macro.owner_id == teammate.pk or teammate.is_workspace_admin


def checked_steps(steps_doc) -> list:
    """The steps as written, once they pass the workflows' step checks (else
    DefinitionError naming each place)."""
    compile_macro_steps(steps_doc, references_from_db())
    return steps_doc


def preview(steps_doc) -> list[str]:
    """What the macro will do, a sentence per step (the reply included)."""
    return [vocabulary.step_words(step) for step in steps_doc]


def step_index(place: str) -> int | None:
    """The step an error's place names: "steps[2].tag" -> 2 (None: the whole list)."""
    match = STEP_PLACE.match(place)
    return int(match.group(1)) if match else None


def reply_text(steps_doc, conversation: Conversation | None = None) -> str:
    """The reply the macro sends; on a conversation, with its placeholders filled in."""
    body = next((s.get("body", "") for s in steps_doc if s.get("type") == MACRO_REPLY), "")
    if conversation is None or not body:
        return body
    return step_actions.rendered_body(conversation, Step(MACRO_REPLY, {"body": body}))


def run(macro: Macro, conversation_ids: list[int], teammate: Teammate) -> list[dict]:
    """Run the macro on each conversation in turn: `{conversation, ok, error}` each."""
    # Names were checked on save; one removed since fails its step, not the compile.
    try:
        steps = compile_macro_steps(macro.steps, References(lenient=True))
    except DefinitionError as error:  # changed behind the API's back (the Django admin)
        return [{"conversation": pk, "ok": False, "error": str(error)} for pk in conversation_ids]
    return [run_on(macro, steps, pk, teammate) for pk in conversation_ids]


def run_on(macro: Macro, steps: tuple, conversation_id: int, teammate: Teammate) -> dict:
    acting = Actor.teammate(teammate, macro=macro.name)
    current = 0  # the step being carried out, for the failure's words
    try:
        with transaction.atomic():
            conversation = services.conversation_lock(conversation_id)
            now = timezone.now()
            for index, step in enumerate(steps):
                current = index
                if step.type == MACRO_REPLY:
                    services.conversation_teammate_reply(
                        conversation=conversation,
                        teammate=teammate,
                        body=step_actions.rendered_body(conversation, step),
                        macro=macro.name,
                    )
                else:
                    step_actions.perform(conversation, step, acting, now)
    except Conversation.DoesNotExist:
        return {"conversation": conversation_id, "ok": False, "error": vocabulary.NO_CONVERSATION}
    except (StepFailed, ValidationError) as error:
        problem = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        return {
            "conversation": conversation_id,
            "ok": False,
            "error": vocabulary.macro_failure_words(macro.steps[current], problem),
        }
    return {"conversation": conversation_id, "ok": True, "error": ""}


# --- the macros page's simple step rows: (kind, value) <-> a step ----------------------

# Row kind -> (step type, the step field the row's value fills, fixed fields).
ROW_STEPS = {
    "add_tag": ("add_tag", "tag", {}),
    "remove_tag": ("remove_tag", "tag", {}),
    "assign_team": ("assign", "team", {}),
    "assign_teammate": ("assign", "teammate", {}),
    "unassign": ("unassign", None, {}),
    "close": ("close", None, {}),
    "reopen": ("reopen", None, {}),
    "snooze": ("snooze", "duration", {}),
    "priority": ("set_priority", None, {"priority": True}),
    "no_priority": ("set_priority", None, {"priority": False}),
    "apply_sla": ("apply_sla", "sla", {}),
    "add_note": ("add_note", "body", {}),
}


def row_step(kind: str, value: str) -> dict:
    """The step a row says: ("assign_team", "Billing") -> {"type": "assign", "team": …}."""
    step_type, field, fixed = ROW_STEPS[kind]
    return {"type": step_type, **({field: value} if field else {}), **fixed}


def step_row(step: dict) -> tuple[str, str] | None:
    """The row that says this step, or None when no row can (set_data, round robin…)."""
    for kind, (step_type, field, fixed) in ROW_STEPS.items():
        if step.get("type") != step_type:
            continue
        if any(step.get(key) != value for key, value in fixed.items()):
            continue
        keys = {"type", *fixed, *([field] if field else [])}
        if set(step) == keys:
            return kind, str(step[field]) if field else ""
    return None


def document_from_rows(reply: str, rows: list[tuple[str, str]]) -> list[dict]:
    """The steps of the page's form: the reply first (when written), then the rows."""
    steps = [{"type": MACRO_REPLY, "body": reply}] if reply.strip() else []
    return steps + [row_step(kind, value) for kind, value in rows]


def rows_from_document(steps_doc: list) -> tuple[str, list[tuple[str, str]]] | None:
    """The reply and rows of a stored macro, or None when a step has no row."""
    reply, rows = "", []
    for step in steps_doc:
        if step.get("type") == MACRO_REPLY:
            reply = step.get("body", "")
            continue
        row = step_row(step)
        if row is None:
            return None
        rows.append(row)
    return reply, rows
