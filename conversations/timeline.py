"""Timeline parts in words, for the admin now and the inbox later."""

from conversations import human_dates
from conversations.models import Part, PartType


def author_words(part: Part) -> str:
    """Who wrote the part: "Alice", or 'Alice via macro "Refund"' when she ran a macro."""
    who = part.author_name or part.get_author_type_display()
    macro = (part.details or {}).get("via_macro")
    if macro:
        who = f'{who} via macro "{macro}"'
    return who


def describe_part(part: Part) -> str:
    """One sentence saying what the part records, e.g. "Alice closed the conversation"."""
    who = author_words(part)
    if part.author_type == "workflow":
        who = f'Workflow "{who}"'
    details = part.details or {}
    kind = part.part_type
    if kind in (PartType.CUSTOMER_MESSAGE, PartType.TEAMMATE_REPLY, PartType.BOT_MESSAGE):
        return f"{who}: {part.body}"
    if kind == PartType.NOTE:
        return f"{who} added a note: {part.body}"
    if kind == PartType.OPENED:
        return f"{who} started the conversation"
    if kind == PartType.ASSIGNMENT:
        target = " in ".join(n for n in (details.get("assignee"), details.get("team")) if n)
        if details.get("queued"):
            return f"{who} put this conversation in the queue of {target}: no member has room"
        return f"{who} assigned this conversation to {target}"
    if kind == PartType.UNASSIGNMENT:
        return f"{who} unassigned this conversation"
    if kind == PartType.SNOOZED:
        until = human_dates.moment_words(details.get("until")) or "?"
        return f"{who} snoozed this conversation until {until}"
    if kind in (PartType.CLOSED, PartType.REOPENED):
        return f"{who} {'closed' if kind == PartType.CLOSED else 'reopened'} this conversation"
    if kind == PartType.UNSNOOZED:
        return "The snooze ended and the conversation reopened"
    if kind == PartType.TAG_ADDED:
        return f"{who} tagged this conversation {details.get('tag')}"
    if kind == PartType.TAG_REMOVED:
        return f"{who} removed the tag {details.get('tag')}"
    if kind == PartType.PRIORITY:
        marked = "marked" if details.get("priority") else "unmarked"
        return f"{who} {marked} this conversation as priority"
    if kind == PartType.SLA_APPLIED:
        return f"{who} applied the SLA {details.get('sla')}"
    if kind == PartType.DATA_SET:
        return f"{who} set {details.get('key')} to {details.get('value')!r}"
    if kind == PartType.CUSTOM_EVENT:
        return f"{who} recorded the event {details.get('name')}"
    if kind == PartType.BOT_INBOX:
        moved = (
            "moved this conversation to"
            if details.get("in_bot_inbox")
            else "took this conversation out of"
        )
        return f"{who} {moved} the bot inbox"
    if kind == PartType.CONTACT_UPDATED:
        return f"{who} saved {details.get('attribute')} = {details.get('value')!r} on the contact"
    return part.body or part.get_part_type_display()
