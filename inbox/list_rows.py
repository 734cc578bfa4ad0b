"""What one row of the inbox list shows, worked out once in Python from the loaded page.

A pure step between the page's query (inbox/selectors.py: one query for the rows, one for
their tags) and the template: no query, no URL resolving, no translation lookup per row,
so the row template only prints ready words. The template engine's attribute lookups,
`{% url %}` and `timesince` per row were half of a list request's Python time.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.safestring import SafeString

from conversations import human_dates
from conversations.templatetags.human_dates import human_time
from inbox.selectors import running_sla_badge

PREVIEW_CHARACTERS = 90


@dataclass(frozen=True)
class ListRow:
    pk: int
    url: str
    who: str
    # Waiting on a reply: since when (ISO, and in full for hovering) and for how long.
    waiting_iso: str
    waiting_exact: str
    waiting_for: str
    # Otherwise the last activity, as <time> markup (conversations/templatetags).
    activity: SafeString | str
    preview: str
    sla: dict | None
    priority: bool
    in_bot_inbox: bool
    failing_error: str | None  # the last processing error while workflows are failing
    tags: tuple[str, ...]
    meta: str


def list_rows(conversations, now: datetime, url_of) -> list[ListRow]:
    """The rows of a page of conversations (loaded by selectors.inbox_page, tags
    prefetched). `url_of(pk)` is a conversation's address."""
    return [list_row(conversation, now, url_of(conversation.pk)) for conversation in conversations]


def list_row(conversation, now: datetime, url: str) -> ListRow:
    waiting = conversation.waiting_since
    failure = getattr(conversation, "processing_failure", None)
    meta = conversation.assignee.display_name if conversation.assignee else "Unassigned"
    if conversation.team:
        meta += f" · {conversation.team.name}"
    if conversation.state != "open":
        meta += f" · {conversation.get_state_display()}"
    return ListRow(
        pk=conversation.pk,
        url=url,
        who=str(conversation.contact),
        waiting_iso=human_dates.machine_words(waiting) if waiting else "",
        waiting_exact=human_dates.exact_words(waiting) if waiting else "",
        waiting_for=human_dates.span_words(now - waiting) if waiting else "",
        activity="" if waiting else human_time(conversation.updated_at),
        preview=preview_words(conversation.last_message),
        sla=running_sla_badge(conversation, now),
        priority=conversation.priority,
        in_bot_inbox=conversation.in_bot_inbox,
        failing_error=failure.error if failure is not None and failure.is_failing else None,
        tags=tag_names(conversation),
        meta=meta,
    )


def tag_names(conversation) -> tuple[str, ...]:
    """In name order: read with the row on PostgreSQL (`tag_names`), else prefetched."""
    names = getattr(conversation, "tag_names", None)
    if names is None:
        return tuple(tag.name for tag in conversation.tags.all())
    return tuple(names)


def preview_words(message: str | None) -> str:
    """The last message cut to PREVIEW_CHARACTERS (an ellipsis included), "—" if none."""
    if not message:
        return "—"
    if len(message) <= PREVIEW_CHARACTERS:
        return message
    return message[: PREVIEW_CHARACTERS - 1] + "…"
