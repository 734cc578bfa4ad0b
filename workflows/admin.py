import json
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from conversations.admin import ReadOnlyAdmin
from workflows import services, vocabulary
from workflows.audit_trail import audited
from workflows.engine.definitions import TRIGGERS
from workflows.failures import processing_retry_now
from workflows.models import (
    DeferredAssignment,
    ProcessingFailure,
    Secret,
    Workflow,
    WorkflowLog,
    WorkflowRun,
)
from workflows.vocabulary import trigger_label


class TriggerFilter(admin.SimpleListFilter):
    """Workflows by trigger, in the builder's words."""

    title = "trigger"
    parameter_name = "trigger"

    def lookups(self, request, model_admin):
        return [(trigger, trigger_label(trigger)) for trigger in TRIGGERS]

    def queryset(self, request, queryset):
        return queryset.filter(trigger=self.value()) if self.value() else queryset


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    """Workflows are edited as documents by the builder and the API (one validator);
    here they are listed, filtered and inspected."""

    list_display = [
        "name_with_icon",
        "trigger_words",
        "priority",
        "status_words",
        "frequency_words",
        "updated_at",
    ]
    list_filter = ["is_background", TriggerFilter, "status"]
    search_fields = ["name"]
    ordering = ["trigger", "priority", "id"]
    readonly_fields = ["document_json", "is_background"]
    fields = ["name", "status", "trigger_words", "priority", "is_background", "document_json"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request):
        return False

    # Deleting archives (API.md "Safer writes"), as the API and the builder do.

    def get_deleted_objects(self, objs, request):
        """What the confirmation page lists: the workflows only (runs and logs stay);
        a reusable workflow another one runs is "protected", which refuses the delete."""
        objs = list(objs)
        archived = [f"{workflow} (archived: its runs and logs are kept)" for workflow in objs]
        protected = []
        for workflow in objs:
            callers = services.callers_of(workflow)
            if callers:
                protected.append(
                    f"{workflow}: " + services.WORKFLOW_IN_USE.format(names=", ".join(callers))
                )
        return archived, {Workflow._meta.verbose_name_plural: len(objs)}, set(), protected

    def delete_model(self, request, obj):
        audited(request.user, obj, lambda: services.workflow_archive(workflow=obj))

    def delete_queryset(self, request, queryset):
        for workflow in queryset.order_by("pk"):
            self.delete_model(request, workflow)

    @admin.display(description="name", ordering="name")
    def name_with_icon(self, workflow):
        # The background icon of the seed article, beside background workflows.
        if workflow.is_background:
            return format_html('<span title="Background workflow">⚙ {}</span>', workflow.name)
        return workflow.name

    @admin.display(description="trigger", ordering="trigger")
    def trigger_words(self, workflow):
        return trigger_label(workflow.trigger)

    @admin.display(description="status", ordering="status")
    def status_words(self, workflow):
        return vocabulary.STATUS_WORDS.get(workflow.status, workflow.status)

    @admin.display(description="frequency", ordering="frequency")
    def frequency_words(self, workflow):
        return vocabulary.frequency_words(workflow.frequency)

    @admin.display(description="definition (API.md format)")
    def document_json(self, workflow):
        return format_html("<pre>{}</pre>", json.dumps(workflow.document(), indent=2))


class WorkflowLogInline(admin.TabularInline):
    model = WorkflowLog
    fields = ["created_at", "kind", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkflowRun)
class WorkflowRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "workflow",
        "conversation",
        "status_words",
        "is_customer_facing",
        "started_at",
    ]
    list_filter = ["status", "is_customer_facing", "workflow"]
    list_select_related = ["workflow"]
    raw_id_fields = ["conversation", "event"]
    inlines = [WorkflowLogInline]

    @admin.display(description="status", ordering="status")
    def status_words(self, run):
        return vocabulary.RUN_STATUS_WORDS.get(run.status, run.status)


@admin.register(WorkflowLog)
class WorkflowLogAdmin(ReadOnlyAdmin):
    list_display = ["id", "conversation", "workflow", "kind", "message", "created_at"]
    list_filter = ["kind", "workflow"]
    list_select_related = ["workflow"]
    search_fields = ["message"]
    raw_id_fields = ["conversation", "run", "event"]


@admin.register(DeferredAssignment)
class DeferredAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "conversation", "assignee", "team", "created_at", "applied_at"]
    raw_id_fields = ["conversation", "run"]


class FailingFilter(admin.SimpleListFilter):
    """Failing (PROCESSING_FAILURES_BEFORE_FAILING in a row or more) or still retrying."""

    title = "status"
    parameter_name = "failing"

    def lookups(self, request, model_admin):
        return [("yes", "Failing"), ("no", "Retrying")]

    def queryset(self, request, queryset):
        threshold = settings.PROCESSING_FAILURES_BEFORE_FAILING
        if self.value() == "yes":
            return queryset.filter(failures__gte=threshold)
        if self.value() == "no":
            return queryset.filter(failures__lt=threshold)
        return queryset


@admin.register(ProcessingFailure)
class ProcessingFailureAdmin(ReadOnlyAdmin):
    """Conversations whose processing raised: the error, the count in a row, the next
    automatic retry. Fix the cause, then "Retry processing now"."""

    list_display = [
        "conversation",
        "failing",
        "failures",
        "error",
        "first_failed_at",
        "last_failed_at",
        "retry_at",
    ]
    list_filter = [FailingFilter]
    list_select_related = ["conversation"]
    raw_id_fields = ["conversation"]
    search_fields = ["error"]
    actions = ["retry_now"]

    @admin.display(boolean=True, description="failing")
    def failing(self, failure):
        return failure.is_failing

    @admin.action(description="Retry processing now")
    def retry_now(self, request, queryset):
        count = processing_retry_now(queryset.values_list("conversation_id", flat=True))
        self.message_user(
            request,
            f"{count} conversation(s) sent for processing; each leaves this list once it "
            "is processed without error.",
            messages.SUCCESS,
        )


class SecretForm(forms.ModelForm):
    """The value is written, never shown again: blank on a change keeps the stored one."""

    value = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        max_length=2000,
        help_text="Shown never again after saving. Leave blank to keep the stored value.",
    )

    class Meta:
        model = Secret
        fields = ["name", "value"]

    def clean_name(self):
        name = self.cleaned_data["name"]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}", name):
            raise forms.ValidationError("Letters, digits, _ and - (at most 64).")
        return name

    def clean_value(self):
        value = self.cleaned_data.get("value") or ""
        if not value and self.instance.pk is None:
            raise forms.ValidationError("Enter the secret's value.")
        return value

    def save(self, commit=True):
        secret = super().save(commit=False)
        if not self.cleaned_data.get("value"):
            secret.value = Secret.objects.get(pk=secret.pk).value
        secret.updated_at = timezone.now()
        if commit:
            secret.save()
        return secret


@admin.register(Secret)
class SecretAdmin(admin.ModelAdmin):
    """Secrets the HTTP request step's headers name ({{secret.NAME}}); values write-only."""

    form = SecretForm
    list_display = ["name", "created_at", "updated_at"]
    search_fields = ["name"]

    def has_module_permission(self, request):
        return bool(
            getattr(request.user, "is_workspace_admin", False)
        ) and super().has_module_permission(request)
