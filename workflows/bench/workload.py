"""The bench's workload: live workflows (a few that match, the rest that never do), its
conversations, and the deletion of every row it made."""

import contextlib
from unittest import mock

from celery.app.task import Task
from django.apps import apps
from django.db import connection, models, transaction

from config.celery import app as celery_app
from conversations import dispatch
from conversations import services as conversation_services
from conversations.models import Contact, Conversation, Event, Tag
from workflows import orchestrator, signals
from workflows.catalog import bump_catalog_version
from workflows.engine.definitions import REPEATABLE_TRIGGERS
from workflows.models import ReplaySnapshot, Workflow
from workflows.services import workflow_create

# Markers of the bench's own rows: found (and deleted) by these, also after a crash.
WORKFLOW_PREFIX = "bench-engine: "
TAG_PREFIX = "bench-engine-"
CONTACT_DOMAIN = "@bench-engine.invalid"
TEAMMATE_NAME = "bench-engine-api"

# Silence timers come first: every catalog size (from 10) sets the same timers per message.
OTHER_TRIGGERS = [
    ("teammate_unresponsive", {"after": "1h"}),
    ("customer_unresponsive", {"after": "1h"}),
    ("customer_opened_conversation", {}),
    ("customer_first_message", {}),
    ("teammate_changed_state", {"state": "closed"}),
    ("teammate_replied", {}),
    ("teammate_added_note", {}),
    ("conversation_assigned", {}),
    ("sla_missed", {}),
]
MESSAGES = [
    "Hello, I need help with my invoice",
    "Can I get a refund for last month?",
    "Thanks, any update on this?",
]


def _rule(attribute, operator, value):
    return {"attribute": attribute, "operator": operator, "value": value}


def matching_document(number: int) -> dict:
    """Matches every customer message of a Pro contact: tag, priority, apply rules."""
    return {
        "name": f"{WORKFLOW_PREFIX}match {number}",
        "status": "live",
        "trigger": "customer_any_message",
        "frequency": "every_time",
        "audience": {"match": "all", "rules": [_rule("contact.plan", "is", "Pro")]},
        "steps": [
            {"type": "add_tag", "tag": f"{TAG_PREFIX}pro-{number}"},
            {"type": "set_priority", "priority": True},
            {
                "type": "apply_rules",
                "rules": [
                    {
                        "when": {
                            "match": "all",
                            "rules": [_rule("message.body", "contains", "refund")],
                        },
                        "steps": [{"type": "add_tag", "tag": f"{TAG_PREFIX}refund"}],
                    },
                    {
                        "when": {"match": "all", "rules": [_rule("contact.plan", "is", "Pro")]},
                        "steps": [{"type": "set_data", "key": f"bench_{number}", "value": "pro"}],
                    },
                ],
            },
        ],
    }


def non_matching_document(number: int) -> dict:
    """Half on customer_any_message (targeting fails), the rest over the other triggers."""
    if number % 2 == 0:
        trigger, options = "customer_any_message", {}
    else:
        trigger, options = OTHER_TRIGGERS[(number // 2) % len(OTHER_TRIGGERS)]
    return {
        "name": f"{WORKFLOW_PREFIX}other {number}",
        "status": "live",
        "trigger": trigger,
        "trigger_options": options,
        "frequency": "every_time" if number % 4 < 2 and trigger in REPEATABLE_TRIGGERS else "once",
        "audience": {
            "match": "all",
            "rules": [_rule("contact.plan", "is", f"Enterprise-{number}")],
        },
        "steps": [
            {"type": "add_tag", "tag": f"{TAG_PREFIX}never-{number}"},
            {"type": "set_priority", "priority": True},
        ],
    }


def create_workflows(created: int, size: int, matching: int) -> int:
    """Bring the live bench workflows up to `size` (the matching ones first)."""
    for number in range(created, size):
        if number < matching:
            workflow_create(document=matching_document(number + 1))
        else:
            workflow_create(document=non_matching_document(number - matching))
    return size


@contextlib.contextmanager
def no_broker():
    """Task sends become no-ops: in process, the bench measures the orchestrator alone."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False

    def not_sent(*args, **kwargs):
        return None

    with contextlib.ExitStack() as stack:
        for module in (dispatch, conversation_services, signals, orchestrator):
            if hasattr(module, "enqueue_on_commit"):
                stack.enter_context(mock.patch.object(module, "enqueue_on_commit", not_sent))
        # A safety net: whatever else tries to send a task sends nothing.
        stack.enter_context(mock.patch.object(Task, "apply_async", not_sent))
        try:
            yield
        finally:
            celery_app.conf.task_always_eager = eager


def new_contacts(count: int, start: int) -> list[Contact]:
    return Contact.objects.bulk_create(
        Contact(name=f"Bench contact {n}", email=f"c{n}{CONTACT_DOMAIN}", plan="Pro")
        for n in range(start, start + count)
    )


# --- the rows a conversation owns ---------------------------------------------------------


def conversation_tables() -> list[type[models.Model]]:
    """Models with a `conversation` foreign key (not one-to-one), the tag links last."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model is Conversation:
            continue
        field = next(
            (f for f in model._meta.concrete_fields if f.name == "conversation"),
            None,
        )
        if field is None or not isinstance(field, models.ForeignKey):
            continue
        if isinstance(field, models.OneToOneField) or field.related_model is not Conversation:
            continue
        found.append(model)
    return found


def delete_conversations(conversation_ids) -> None:
    """Raw deletes (FKs are deferred to the commit): the ORM's cascade would load every row."""
    ids = list(conversation_ids)
    if not ids:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # Replay's snapshots hang off the events, not the conversation: they go first.
        cursor.execute(
            f'DELETE FROM "{ReplaySnapshot._meta.db_table}" WHERE event_id IN '
            f'(SELECT id FROM "{Event._meta.db_table}" WHERE conversation_id = ANY(%s))',
            [ids],
        )
        for model in conversation_tables():
            cursor.execute(
                f'DELETE FROM "{model._meta.db_table}" WHERE "conversation_id" = ANY(%s)', [ids]
            )
        Conversation.objects.filter(pk__in=ids).delete()


def delete_bench_data() -> None:
    from conversations.models import Teammate

    delete_conversations(
        Conversation.objects.filter(contact__email__endswith=CONTACT_DOMAIN).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic():
        deleted, _ = Workflow.all_objects.filter(name__startswith=WORKFLOW_PREFIX).delete()
        if deleted:
            bump_catalog_version()
    Contact.objects.filter(email__endswith=CONTACT_DOMAIN).delete()
    Tag.objects.filter(name__startswith=TAG_PREFIX).delete()
    Teammate.objects.filter(username=TEAMMATE_NAME).delete()
