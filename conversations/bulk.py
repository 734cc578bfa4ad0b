"""Bulk actions on selected conversations (API.md "Routing, macros, bulk actions"): one
action, each conversation in its own transaction under its lock, as the teammate who
asked; a result per conversation, failures named."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, Team, Teammate

ACTIONS = ("close", "reopen", "assign", "snooze", "add_tag", "remove_tag")
MAX_CONVERSATIONS = 500
NO_CONVERSATION = "no such conversation"
# What an action would change nothing on, by the conversation's state: said, not done.
ALREADY = {
    ("close", Conversation.State.CLOSED): "already closed",
    ("reopen", Conversation.State.OPEN): "already open",
}


@dataclass(frozen=True)
class BulkAction:
    action: str
    assignee: Teammate | None = None
    team: Team | None = None
    until: datetime | None = None
    tag: str = ""


def refusal(action: str, state: str) -> str:
    """Why the action cannot apply to a conversation in this state ("" when it can)."""
    return ALREADY.get((action, state), "")


def run(bulk: BulkAction, conversation_ids: list[int], teammate: Teammate) -> list[dict]:
    acting = Actor.teammate(teammate)
    return [_apply(bulk, pk, acting) for pk in conversation_ids]


def _apply(bulk: BulkAction, pk: int, acting: Actor) -> dict:
    try:
        with transaction.atomic():
            conversation = services.conversation_lock(pk)
            problem = refusal(bulk.action, conversation.state)
            if problem:
                return {"conversation": pk, "ok": False, "error": problem}
            common = {"conversation": conversation, "acting": acting}
            if bulk.action == "close":
                services.conversation_close(**common)
            elif bulk.action == "reopen":
                services.conversation_reopen(**common)
            elif bulk.action == "assign":
                services.conversation_assign(assignee=bulk.assignee, team=bulk.team, **common)
            elif bulk.action == "snooze":
                services.conversation_snooze(until=bulk.until, **common)
            elif bulk.action == "add_tag":
                services.conversation_add_tag(name=bulk.tag, **common)
            else:
                services.conversation_remove_tag(name=bulk.tag, **common)
    except Conversation.DoesNotExist:
        return {"conversation": pk, "ok": False, "error": NO_CONVERSATION}
    except ValidationError as error:
        return {"conversation": pk, "ok": False, "error": " ".join(error.messages)}
    return {"conversation": pk, "ok": True, "error": ""}
