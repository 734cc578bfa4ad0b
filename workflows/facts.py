"""The facts rules read: a plain mapping built from the locked conversation."""

from conversations.models import Conversation
from conversations.office_hours import is_office_hours, weekday_name


class Facts(dict):
    """Attribute name -> value. Tags load on first use: most rules never read them."""

    def __init__(self, values, load_tags):
        super().__init__(values)
        self._load_tags = load_tags

    def get(self, key, default=None):
        if key == "conversation.tags" and key not in self:
            self[key] = self._load_tags()
        return super().get(key, default)


def time_facts(now) -> dict:
    """The facts of the moment `now` in the workspace's schedule."""
    return {
        "time.now": now,
        "time.weekday": weekday_name(now),
        "time.office_hours": is_office_hours(now),
    }


def build_facts(
    conversation: Conversation, *, now, message=None, load_tags, clock: dict | None = None
) -> Facts:
    """`message` is (body, author_type) of the triggering message, if any; `clock`, the
    `time_facts(now)` the caller computed once for a whole processing (one `now`)."""
    contact = conversation.contact
    company = contact.company
    body, author_type = message or (None, None)
    return Facts(
        {
            "contact.name": contact.name,
            "contact.email": contact.email,
            "contact.role": contact.role,
            "contact.plan": contact.plan,
            "contact.monthly_spend": contact.monthly_spend,
            "contact.created_at": contact.created_at,
            "contact.custom": contact.custom_attributes or {},
            "company.name": company.name if company else None,
            "company.plan": company.plan if company else None,
            "company.monthly_spend": company.monthly_spend if company else None,
            "company.size": company.size if company else None,
            "company.custom": (company.custom_attributes if company else None) or {},
            "conversation.state": conversation.state,
            "conversation.assignee": conversation.assignee.username
            if conversation.assignee_id
            else None,
            "conversation.team": conversation.team.name if conversation.team_id else None,
            "conversation.priority": conversation.priority,
            "conversation.channel": conversation.channel,
            "conversation.in_bot_inbox": conversation.in_bot_inbox,
            "conversation.created_at": conversation.created_at,
            "conversation.custom": conversation.custom_attributes or {},
            "conversation.id": conversation.pk,
            "message.body": body,
            "message.author_type": author_type,
            **(clock or time_facts(now)),
        },
        load_tags,
    )


def placeholder_facts(conversation: Conversation) -> dict:
    """What placeholders read (engine/placeholders.py), from the conversation as it is now."""
    contact = conversation.contact
    company = contact.company
    return {
        "contact.name": contact.name,
        "contact.email": contact.email,
        "contact.plan": contact.plan,
        "contact.custom": contact.custom_attributes or {},
        "company.name": company.name if company else None,
        "conversation.id": conversation.pk,
        "conversation.custom": conversation.custom_attributes or {},
    }
