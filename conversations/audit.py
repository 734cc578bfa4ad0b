"""The audit log: who changed which workflow, team, SLA policy or office hours, when,
before and after.

`record_change` is called by every place those objects change (API viewsets, builder
views, the Django admin) inside the change's transaction, so a change and its entry
commit or roll back together. Snapshots are plain JSON; `field_changes` turns two of
them into the readable field-by-field diff the audit page shows.
"""

import json
from datetime import timedelta

from django.db import transaction

from conversations.durations import format_duration
from conversations.models import AuditEntry, OfficeHours, SlaPolicy, Team

# A diff shows at most this many changed fields; a value at most this many characters.
MAX_DIFF_FIELDS = 200
MAX_VALUE_CHARS = 300


def record_change(actor, object_type, object_id, object_label, before, after) -> AuditEntry | None:
    """Record one change; nothing when before and after are the same (a save that
    changed nothing). Must run inside the change's transaction."""
    if before == after:
        return None
    action = (
        AuditEntry.Action.CREATED
        if before is None
        else AuditEntry.Action.DELETED
        if after is None
        else AuditEntry.Action.CHANGED
    )
    is_person = actor is not None and getattr(actor, "is_authenticated", False)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_change runs inside the change's transaction")
    return AuditEntry.objects.create(
        actor=actor if is_person else None,
        actor_name=actor.get_username() if is_person else "",
        object_type=object_type,
        object_id=object_id,
        object_label=str(object_label)[:200],
        action=action,
        before=before,
        after=after,
    )


def _duration(value: timedelta | None) -> str | None:
    return None if value is None else format_duration(value)


def team_snapshot(team: Team) -> dict:
    return {
        "name": team.name,
        "members": sorted(team.members.values_list("username", flat=True)),
    }


def sla_policy_snapshot(policy: SlaPolicy) -> dict:
    return {
        "name": policy.name,
        "first_reply": _duration(policy.first_reply),
        "next_reply": _duration(policy.next_reply),
        "time_to_close": _duration(policy.time_to_close),
        "office_hours_only": policy.office_hours_only,
    }


def office_hours_snapshot(hours: OfficeHours) -> dict:
    return {"time_zone": hours.time_zone, "weekly": hours.weekly, "holidays": hours.holidays}


SNAPSHOTS = {
    AuditEntry.ObjectType.TEAM: team_snapshot,
    AuditEntry.ObjectType.SLA_POLICY: sla_policy_snapshot,
    AuditEntry.ObjectType.OFFICE_HOURS: office_hours_snapshot,
}
TYPE_OF_MODEL = {
    Team: AuditEntry.ObjectType.TEAM,
    SlaPolicy: AuditEntry.ObjectType.SLA_POLICY,
    OfficeHours: AuditEntry.ObjectType.OFFICE_HOURS,
}


def snapshot_of(instance) -> dict:
    return SNAPSHOTS[TYPE_OF_MODEL[type(instance)]](instance)


class AuditedViewSetMixin:
    """A DRF model viewset whose saves and deletes are recorded, each in its transaction."""

    def perform_create(self, serializer):
        with transaction.atomic():
            super().perform_create(serializer)
            record_instance(self.request.user, serializer.instance, None)

    def perform_update(self, serializer):
        with transaction.atomic():
            before = snapshot_of(serializer.instance)
            super().perform_update(serializer)
            record_instance(self.request.user, serializer.instance, before)

    def perform_destroy(self, instance):
        with transaction.atomic():
            before, pk = snapshot_of(instance), instance.pk
            super().perform_destroy(instance)
            instance.pk = pk
            record_instance(self.request.user, instance, before, deleted=True)


def record_instance(actor, instance, before: dict | None, *, deleted=False) -> None:
    """Record a change of a team, SLA policy or office hours (`before` taken earlier)."""
    after = None if deleted else snapshot_of(instance)
    record_change(actor, TYPE_OF_MODEL[type(instance)], instance.pk, str(instance), before, after)


# --- the readable diff --------------------------------------------------------------------


def _flatten(value, place="", into=None) -> dict:
    """{"steps[0].tag": "vip", ...}: nested objects and lists by their places."""
    into = {} if into is None else into
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            _flatten(inner, f"{place}.{key}" if place else str(key), into)
    elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        for index, inner in enumerate(value):
            _flatten(inner, f"{place}[{index}]", into)
    else:
        into[place] = value
    return into


def shown(value) -> str:
    """A snapshot value as people read it: text as is, lists joined, nothing as "—"."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        text = ", ".join(shown(v) for v in value)
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def field_changes(before: dict | None, after: dict | None) -> list[dict]:
    """[{field, before, after}] of the fields that differ, in the snapshot's order."""
    old = _flatten(before) if before else {}
    new = _flatten(after) if after else {}
    places = list(old) + [place for place in new if place not in old]
    changes = []
    for place in places:
        said_before, said_after = shown(old.get(place)), shown(new.get(place))
        if said_before != said_after:  # an empty list and nothing read the same: "—"
            changes.append({"field": place, "before": said_before, "after": said_after})
    return changes[:MAX_DIFF_FIELDS]
