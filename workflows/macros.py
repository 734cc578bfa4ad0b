"""Macros: a teammate's saved steps and reply, run on conversations as that teammate.

Each step is carried out by its action in workflows/step_actions.py (the same as a
workflow's), with the running teammate as the actor and the macro's name on every
part and event it writes, so teammate triggers fire and the timeline says "via macro".
Each conversation runs in its own transaction under its lock: a failure undoes that
conversation's steps only.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, Teammate
from workflows import step_actions, vocabulary
from workflows.engine.definitions import MACRO_REPLY, References, compile_macro_steps
from workflows.engine.executor import StepFailed
from workflows.models import Macro
from workflows.services import references_from_db

MAX_CONVERSATIONS = 500


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


def reply_text(steps_doc) -> str:
    return next((s.get("body", "") for s in steps_doc if s.get("type") == MACRO_REPLY), "")


def run(macro: Macro, conversation_ids: list[int], teammate: Teammate) -> list[dict]:
    """Run the macro on each conversation in turn: `{conversation, ok, error}` each."""
    # Names were checked on save; one removed since fails its step, not the compile.
    steps = compile_macro_steps(macro.steps, References(lenient=True))
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
                        body=step.args["body"],
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
