from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from conversations import services, validation
from conversations.actors import Actor
from conversations.audit import record_instance, snapshot_of
from conversations.models import (
    AuditEntry,
    Company,
    Contact,
    Conversation,
    Event,
    OfficeHours,
    Part,
    SlaPolicy,
    Tag,
    Team,
    Teammate,
)
from conversations.timeline import describe_part

# The snooze admin action's fixed duration; the inbox offers presets and a custom time.
ADMIN_SNOOZE_DURATION = timedelta(hours=1)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History (timeline parts, events, runs, logs): browsable, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Teammate)
class TeammateAdmin(UserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "is_workspace_admin",
        "is_away",
        "capacity",
    ]
    list_filter = ["is_workspace_admin", "is_away", "is_active", "teams"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Workspace", {"fields": ["is_workspace_admin", "is_away", "capacity"]}),
    ]

    def save_model(self, request, obj, form, change):
        routing_fields = {"is_away", "capacity"} & set(form.changed_data)
        before = Teammate.objects.get(pk=obj.pk) if change and routing_fields else None
        super().save_model(request, obj, form, change)
        if before is not None:
            # Through the service: the teams' queues move (or are requeued) as in the inbox.
            services.teammate_update_settings(
                teammate=before, away=obj.is_away, capacity=obj.capacity
            )


class AuditedAdmin(admin.ModelAdmin):
    """Saves and deletes recorded in the audit log, in the admin's own transaction (the
    change view's); after `save_related`, so a team's members are in the snapshot."""

    def save_model(self, request, obj, form, change):
        stored = type(obj).objects.filter(pk=obj.pk).first() if change else None
        obj._audit_before = snapshot_of(stored) if stored is not None else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record_instance(request.user, form.instance, getattr(form.instance, "_audit_before", None))

    def delete_model(self, request, obj):
        with transaction.atomic():
            before, pk = snapshot_of(obj), obj.pk
            super().delete_model(request, obj)
            obj.pk = pk
            record_instance(request.user, obj, before, deleted=True)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "member_count", "away_policy"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    @admin.display(description="members")
    def member_count(self, team):
        return team.members.count()


class CustomAttributesForm(forms.ModelForm):
    """Custom attributes within the same bounds as the API (count, key and value size)."""

    def clean_custom_attributes(self):
        attributes = self.cleaned_data.get("custom_attributes") or {}
        try:
            return validation.clean_custom_attributes(attributes)
        except ValidationError as error:
            raise ValidationError(
                [f"{place}: {message}" for place, messages_ in error.message_dict.items()
                 for message in messages_]
            ) from None  # fmt: skip


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    form = CustomAttributesForm
    list_display = ["name", "plan", "monthly_spend", "size"]
    list_filter = ["plan"]
    search_fields = ["name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    form = CustomAttributesForm
    list_display = ["name", "email", "role", "plan", "monthly_spend", "company", "created_at"]
    list_filter = ["role", "plan"]
    search_fields = ["name", "email", "external_id"]
    list_select_related = ["company"]
    raw_id_fields = ["company"]
    # The messenger token is not shown: admins rotate it (POST /api/contacts/{id}/messenger-token/).
    exclude = ["messenger_token"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    list_display = ["name", "first_reply", "next_reply", "time_to_close", "office_hours_only"]
    list_filter = ["office_hours_only"]
    search_fields = ["name"]


@admin.register(OfficeHours)
class OfficeHoursAdmin(AuditedAdmin):
    """One row for the workspace: the list opens its change page; no adding or deleting."""

    fields = ["time_zone", "weekly", "holidays", "updated_at"]
    readonly_fields = ["updated_at"]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = OfficeHours.load()
        return redirect(reverse("admin:conversations_officehours_change", args=[row.pk]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartInline(admin.TabularInline):
    model = Part
    fields = ["created_at", "part_type", "author_type", "words"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="what happened")
    def words(self, part):
        return describe_part(part)


def _conversation_action(description, change):
    """An admin action that applies one service to each selected conversation."""

    def action(modeladmin, request, queryset):
        acting = Actor.teammate(request.user)
        done = 0
        for conversation in queryset:
            try:
                change(conversation=conversation, acting=acting, teammate=request.user)
            except ValidationError as error:
                modeladmin.message_user(
                    request, f"{conversation}: {'; '.join(error.messages)}", messages.ERROR
                )
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"{description}: {done} conversation(s).")

    action.short_description = description
    action.__name__ = description.lower().replace(" ", "_").replace("-", "_")
    return action


CONVERSATION_ACTIONS = [
    _conversation_action(
        "Close",
        lambda conversation, acting, teammate: services.conversation_close(
            conversation=conversation, acting=acting
        ),
    ),
    _conversation_action(
        "Reopen",
        lambda conversation, acting, teammate: services.conversation_reopen(
            conversation=conversation, acting=acting
        ),
    ),
    _conversation_action(
        "Snooze for an hour",
        lambda conversation, acting, teammate: services.conversation_snooze(
            conversation=conversation, until=timezone.now() + ADMIN_SNOOZE_DURATION, acting=acting
        ),
    ),
    _conversation_action(
        "Assign to me",
        lambda conversation, acting, teammate: services.conversation_assign(
            conversation=conversation, assignee=teammate, acting=acting
        ),
    ),
    _conversation_action(
        "Unassign",
        lambda conversation, acting, teammate: services.conversation_unassign(
            conversation=conversation, acting=acting
        ),
    ),
    _conversation_action(
        "Mark priority",
        lambda conversation, acting, teammate: services.conversation_set_priority(
            conversation=conversation, priority=True, acting=acting
        ),
    ),
    _conversation_action(
        "Remove priority",
        lambda conversation, acting, teammate: services.conversation_set_priority(
            conversation=conversation, priority=False, acting=acting
        ),
    ),
]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Read-only: a conversation changes only through the services, here via actions."""

    list_display = [
        "id",
        "contact",
        "title",
        "state",
        "assignee",
        "team",
        "priority",
        "in_bot_inbox",
        "waiting_since",
        "created_at",
    ]
    list_filter = ["state", "priority", "in_bot_inbox", "channel", "team", "assignee", "tags"]
    search_fields = ["title", "contact__name", "contact__email"]
    list_select_related = ["contact", "assignee", "team"]
    date_hierarchy = "created_at"
    actions = CONVERSATION_ACTIONS
    inlines = [PartInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + ["tag_names"]

    @admin.display(description="tags")
    def tag_names(self, conversation):
        return ", ".join(tag.name for tag in conversation.tags.all()) or "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Part)
class PartAdmin(ReadOnlyAdmin):
    list_display = ["id", "conversation", "part_type", "author_type", "author_name", "created_at"]
    list_filter = ["part_type", "author_type"]
    search_fields = ["body", "author_name"]
    raw_id_fields = ["conversation"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "conversation",
        "event_type",
        "actor_type",
        "actor_name",
        "depth",
        "created_at",
        "processed_at",
    ]
    list_filter = ["event_type", "actor_type", ("processed_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["conversation"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_name", "action", "object_type", "object_label"]
    list_filter = ["object_type", "action"]
    search_fields = ["object_label", "actor_name"]
