"""GET /api/audit/: the audit log for workspace admins, newest first, filterable."""

from datetime import UTC

from django import forms
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers, viewsets

from config.api_input import StrictFilterSet
from conversations import validation
from conversations.api_auth import IsWorkspaceAdmin
from conversations.audit import field_changes
from conversations.models import AuditEntry, Teammate


class AuditEntrySerializer(serializers.ModelSerializer):
    changes = serializers.SerializerMethodField(help_text="The fields that differ, in words.")

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_name",
            "object_type",
            "object_id",
            "object_label",
            "action",
            "before",
            "after",
            "changes",
        ]

    def get_changes(self, entry) -> list[dict]:
        return field_changes(entry.before, entry.after)


class MomentField(IsoDateTimeField):
    """An ISO date and time within the years the API accepts, in UTC (PostgreSQL refuses
    offsets beyond ±16 hours that Python parses): 400 naming the filter otherwise."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        problem = validation.moment_problem(moment)
        if problem:
            raise forms.ValidationError(problem)
        return moment.astimezone(UTC)


class MomentFilter(filters.IsoDateTimeFilter):
    field_class = MomentField


class AuditEntryFilter(StrictFilterSet):
    object_type = filters.ChoiceFilter(
        choices=AuditEntry.ObjectType.choices, empty_label="Anything", label="What"
    )
    object_id = filters.NumberFilter(min_value=1, max_value=2**63 - 1, label="Object number")
    actor = filters.ModelChoiceFilter(
        queryset=Teammate.objects.all(), empty_label="Anyone", label="Who"
    )
    action = filters.ChoiceFilter(
        choices=AuditEntry.Action.choices, empty_label="Any change", label="Change"
    )
    since = MomentFilter(field_name="created_at", lookup_expr="gte")
    until = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["object_type", "object_id", "actor", "action", "since", "until"]


class AuditEntryApiFilter(AuditEntryFilter):
    """The API filters by the teammate's id: one that matches nobody finds nothing (the
    page offers the teammates to choose from instead)."""

    actor = filters.NumberFilter(field_name="actor_id")


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """Who changed which workflow, team, SLA policy or office hours, when, before and after."""

    lookup_value_regex = r"\d+"
    queryset = AuditEntry.objects.select_related("actor").order_by("-created_at", "-id")
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryApiFilter
    permission_classes = [IsWorkspaceAdmin]
