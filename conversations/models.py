"""The conversations domain (DESIGN.md §4).

Fields here are changed only by `conversations.services`; the admin shows conversation
state read-only and changes it through actions that call those services.
"""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from conversations import business_time
from conversations.routing import AWAY_KEEP, AWAY_REQUEUE, MAX_CAPACITY
from conversations.validation import MAX_TAG_NAME_LENGTH


def new_messenger_token() -> str:
    return secrets.token_urlsafe(24)


class ActorType(models.TextChoices):
    CONTACT = "contact", "Contact"
    TEAMMATE = "teammate", "Teammate"
    WORKFLOW = "workflow", "Workflow"
    SYSTEM = "system", "System"


class Teammate(AbstractUser):
    """A support teammate who logs in; workspace admins also edit workflows."""

    is_workspace_admin = models.BooleanField(
        default=False, help_text="Workspace admins build and edit workflows."
    )
    is_away = models.BooleanField(default=False, help_text="Away teammates get no new work.")
    capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_CAPACITY)],
        help_text="Open conversations at most from team assignment; empty: no limit.",
    )
    # When team assignment last gave them a conversation (balanced: ties go to the oldest).
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When an inbox page last asked for the notification bell (at most once a minute):
    # a teammate not seen for NOTIFICATION_EMAIL_AWAY_MINUTES gets notifications by e-mail.
    inbox_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "teammate"
        ordering = ["username"]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name


class Team(models.Model):
    class AwayPolicy(models.TextChoices):
        KEEP = AWAY_KEEP, "Keep their open conversations"
        REQUEUE = AWAY_REQUEUE, "Put their open conversations back in the queue"

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(Teammate, related_name="teams", blank=True)
    away_policy = models.CharField(
        max_length=10,
        choices=AwayPolicy.choices,
        default=AwayPolicy.KEEP,
        help_text="What happens to a member's open conversations when they go away.",
    )
    # The round robin's position: the member it gave the last conversation to.
    last_assigned_member = models.ForeignKey(
        Teammate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    name = models.CharField(max_length=200, unique=True)
    plan = models.CharField(max_length=100, blank=True)
    monthly_spend = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    class Role(models.TextChoices):
        USER = "user", "User"
        LEAD = "lead", "Lead"

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.USER)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    external_id = models.CharField(max_length=200, blank=True)
    plan = models.CharField(max_length=100, blank=True, db_index=True)
    monthly_spend = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    custom_attributes = models.JSONField(default=dict, blank=True)
    # The contact's own credential for the Messenger and its API calls.
    messenger_token = models.CharField(
        max_length=64, unique=True, default=new_messenger_token, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="contact_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.email or f"Contact {self.pk}"


class Tag(models.Model):
    name = models.CharField(max_length=MAX_TAG_NAME_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets of a service-level agreement; timing behaviour lives in the SLA issue."""

    name = models.CharField(max_length=100, unique=True)
    first_reply = models.DurationField(null=True, blank=True)
    next_reply = models.DurationField(null=True, blank=True)
    time_to_close = models.DurationField(null=True, blank=True)
    office_hours_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from conversations.validation import validate_sla_targets

        validate_sla_targets(
            first_reply=self.first_reply,
            next_reply=self.next_reply,
            time_to_close=self.time_to_close,
        )


def default_office_hours_time_zone() -> str:
    return getattr(settings, "OFFICE_HOURS_TIME_ZONE", None) or settings.TIME_ZONE


def default_office_hours_weekly() -> dict:
    return {
        day: [["09:00", "17:00"]] if index < 5 else []
        for index, day in enumerate(business_time.WEEKDAYS)
    }


def default_office_hours_holidays() -> list:
    return []


class OfficeHours(models.Model):
    """The workspace's office hours: one row (pk 1), edited by admins (DESIGN.md §7)."""

    SINGLETON_PK = 1

    time_zone = models.CharField(
        max_length=64,
        default=default_office_hours_time_zone,
        help_text='An IANA time zone name, e.g. "Europe/Berlin" or "America/New_York".',
    )
    weekly = models.JSONField(
        default=default_office_hours_weekly,
        help_text=(
            "Opening ranges per weekday as JSON, e.g. "
            '{"monday": [["09:00", "12:00"], ["13:00", "17:00"]], "saturday": []}. '
            'A range starts before it ends on the same day; "24:00" ends at midnight; '
            "ranges of one day must not overlap; days left out are closed."
        ),
    )
    holidays = models.JSONField(
        default=default_office_hours_holidays,
        blank=True,
        help_text='Dates closed all day, as a JSON list, e.g. ["2025-12-25", "2026-01-01"].',
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "office hours"
        verbose_name_plural = "office hours"

    def __str__(self) -> str:
        return f"Office hours ({self.time_zone})"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)
        from conversations.office_hours import clear_schedule_cache

        clear_schedule_cache()
        transaction.on_commit(clear_schedule_cache)

    @classmethod
    def load(cls) -> "OfficeHours":
        """The workspace's row, created with the defaults on first use."""
        row, _ = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return row

    def schedule(self) -> business_time.Schedule:
        """The stored schedule; raises business_time.ScheduleError if it is invalid."""
        return business_time.Schedule(self.time_zone, self.weekly, self.holidays)

    def clean(self):
        try:
            self.schedule()
        except business_time.ScheduleError as error:
            raise ValidationError(office_hours_field_errors(error)) from error


def office_hours_field_errors(error: business_time.ScheduleError) -> dict[str, list[str]]:
    """Schedule errors by model field; a place inside a field prefixes its message."""
    fields: dict[str, list[str]] = {}
    for place, messages in error.errors.items():
        if place == "time_zone":
            field = "time_zone"
        elif place.startswith("holidays"):
            field = "holidays"
        else:
            field = "weekly"
        prefix = "" if place == field else f"{place}: "
        fields.setdefault(field, []).extend(prefix + message for message in messages)
    return fields


class Conversation(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        SNOOZED = "snoozed", "Snoozed"
        CLOSED = "closed", "Closed"

    class Channel(models.TextChoices):
        MESSENGER = "messenger", "Messenger"
        EMAIL = "email", "Email"
        API = "api", "API"

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    title = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.MESSENGER)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        Teammate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    # Waiting in its team's queue for a member with room (handed out oldest first).
    assignment_queued = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)
    # True while a customer-facing workflow handles the conversation.
    in_bot_inbox = models.BooleanField(default=False)
    priority = models.BooleanField(default=False)
    tags = models.ManyToManyField(Tag, related_name="conversations", blank=True)
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    sla_applied_at = models.DateTimeField(null=True, blank=True)
    first_reply_due_at = models.DateTimeField(null=True, blank=True)
    next_reply_due_at = models.DateTimeField(null=True, blank=True)
    close_due_at = models.DateTimeField(null=True, blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Timestamps that rules, SLAs and the inbox's "waiting longest" sort read.
    first_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    first_teammate_reply_at = models.DateTimeField(null=True, blank=True)
    last_teammate_reply_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox's sorts (inbox/selectors.py): each list walks one of these in order
            # and stops after a page, whatever the number of conversations.
            models.Index(fields=["state", "waiting_since", "id"], name="conv_state_waiting_id"),
            models.Index(fields=["state", "updated_at", "id"], name="conv_state_updated_id"),
            models.Index(
                fields=["assignee", "state", "waiting_since", "id"], name="conv_assignee_waiting"
            ),
            models.Index(fields=["team", "state", "waiting_since", "id"], name="conv_team_waiting"),
            models.Index(
                fields=["team", "queued_at", "id"],
                name="conv_team_queue",
                condition=models.Q(assignment_queued=True),
            ),
            models.Index(
                fields=["state", "waiting_since", "id"],
                name="conv_unassigned_waiting",
                condition=models.Q(assignee__isnull=True, team__isnull=True, in_bot_inbox=False),
            ),
            models.Index(
                fields=["state", "waiting_since", "id"],
                name="conv_bot_waiting",
                condition=models.Q(in_bot_inbox=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class PartType(models.TextChoices):
    OPENED = "opened", "Conversation opened"
    CUSTOMER_MESSAGE = "customer_message", "Customer message"
    TEAMMATE_REPLY = "teammate_reply", "Teammate reply"
    NOTE = "note", "Internal note"
    BOT_MESSAGE = "bot_message", "Bot message"
    ASSIGNMENT = "assignment", "Assignment"
    UNASSIGNMENT = "unassignment", "Unassignment"
    CLOSED = "closed", "Closed"
    SNOOZED = "snoozed", "Snoozed"
    REOPENED = "reopened", "Reopened"
    UNSNOOZED = "unsnoozed", "Unsnoozed"
    TAG_ADDED = "tag_added", "Tag added"
    TAG_REMOVED = "tag_removed", "Tag removed"
    PRIORITY = "priority", "Priority changed"
    SLA_APPLIED = "sla_applied", "SLA applied"
    DATA_SET = "data_set", "Conversation data set"
    BOT_INBOX = "bot_inbox", "Bot inbox"
    CONTACT_UPDATED = "contact_updated", "Contact updated"
    SLA_MISSED = "sla_missed", "SLA target missed"
    UNRESPONSIVE = "unresponsive", "No reply for a while"
    CUSTOM_EVENT = "custom_event", "Custom event"
    WORKFLOW_STARTED = "workflow_started", "Workflow started"
    WORKFLOW_ENDED = "workflow_ended", "Workflow ended"
    WORKFLOW_ACTIVITY = "workflow_activity", "Workflow activity"


class Part(models.Model):
    """One row of a conversation's timeline."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="parts")
    part_type = models.CharField(max_length=30, choices=PartType.choices)
    author_type = models.CharField(max_length=10, choices=ActorType.choices)
    # Not a foreign key: the author may be a contact, a teammate or a workflow.
    author_id = models.BigIntegerField(null=True, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="part_conv_created")]

    def __str__(self) -> str:
        return f"{self.get_part_type_display()} on {self.conversation_id}"


class EventType(models.TextChoices):
    CONVERSATION_OPENED = "conversation_opened", "Conversation opened by customer"
    CUSTOMER_MESSAGE = "customer_message", "Customer message"
    TEAMMATE_REPLIED = "teammate_replied", "Teammate replied"
    NOTE_ADDED = "note_added", "Note added"
    BOT_MESSAGE = "bot_message", "Bot message sent"
    ASSIGNED = "assigned", "Assigned"
    UNASSIGNED = "unassigned", "Unassigned"
    STATE_CHANGED = "state_changed", "State changed"
    UNSNOOZED = "unsnoozed", "Unsnoozed"
    TAG_ADDED = "tag_added", "Tag added"
    TAG_REMOVED = "tag_removed", "Tag removed"
    PRIORITY_CHANGED = "priority_changed", "Priority changed"
    SLA_APPLIED = "sla_applied", "SLA applied"
    DATA_SET = "data_set", "Conversation data set"
    BOT_INBOX_CHANGED = "bot_inbox_changed", "Bot inbox changed"
    CONTACT_UPDATED = "contact_updated", "Contact updated"
    SLA_MISSED = "sla_missed", "SLA target missed"
    CUSTOMER_UNRESPONSIVE = "customer_unresponsive", "Customer unresponsive"
    TEAMMATE_UNRESPONSIVE = "teammate_unresponsive", "Teammate unresponsive"
    # The answer to a workflow's HTTP request step (the run it resumes is in the payload).
    HTTP_RESPONSE = "http_response", "HTTP answer received"
    CUSTOM_EVENT = "custom_event", "Custom event"


class Event(models.Model):
    """The outbox: written with every change, consumed by the workflow orchestrator."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=30, choices=EventType.choices)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    # Length of the chain of workflow-caused events that led here (0: a person or timer).
    depth = models.PositiveSmallIntegerField(default=0)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The orchestrator reads a conversation's unprocessed events oldest first.
            models.Index(
                fields=["conversation", "id"],
                condition=models.Q(processed_at__isnull=True),
                name="event_unprocessed_by_conv",
            ),
            # The sweep looks for unprocessed events older than a few seconds.
            models.Index(
                fields=["created_at"],
                condition=models.Q(processed_at__isnull=True),
                name="event_unprocessed_by_age",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} on {self.conversation_id}"


class AuditEntry(models.Model):
    """Who changed which workflow, team, SLA policy or office hours, when, and the object
    before and after (plain JSON snapshots; null before a create, after a delete).
    Written by conversations.audit.record_change in the transaction of the change."""

    class ObjectType(models.TextChoices):
        WORKFLOW = "workflow", "Workflow"
        TEAM = "team", "Team"
        SLA_POLICY = "sla_policy", "SLA policy"
        OFFICE_HOURS = "office_hours", "Office hours"
        WEBHOOK = "webhook", "Webhook"

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        Teammate, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    # Kept when the teammate is deleted: the log still says who.
    actor_name = models.CharField(max_length=150, blank=True)
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
    object_id = models.BigIntegerField()
    object_label = models.CharField(max_length=200)
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.actor_name or 'system'} {self.action} {self.object_label}"


class Notification(models.Model):
    """Something a teammate should know about (assigned to them, mentioned in a note, an
    SLA about to be missed on their conversation). Written in the transaction of the change
    that causes it (conversations/notifications.py); the words are the inbox's."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        MENTIONED = "mentioned", "Mentioned"
        SLA_WARNING = "sla_warning", "SLA warning"

    recipient = models.ForeignKey(Teammate, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="notifications"
    )
    # Who caused it (null: a workflow or the system); the name is kept for display.
    actor = models.ForeignKey(
        Teammate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set once its e-mail went out (a redelivered task does not send it twice).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A teammate's list, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recent"),
            # The bell's unread count: only unread rows are in this index.
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} on {self.conversation_id}"
