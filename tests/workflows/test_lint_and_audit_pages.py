"""The builder's lint warnings, the list's count, the builder's refusal of "every time"
on a trigger that cannot repeat, and the audit log page and admin recording."""

import pytest
from django.urls import reverse

from conversations.models import AuditEntry, OfficeHours
from tests.factories import TeamFactory
from tests.workflows.helpers import make_workflow
from tests.workflows.test_pages_builder import post_data_for
from workflows.models import Workflow

pytestmark = pytest.mark.django_db

NEGATIVE_IN_ANY = {
    "match": "any",
    "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
        {"attribute": "contact.plan", "operator": "is_not", "value": "Free"},
    ],
}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_builder_shows_a_lint_warning_beside_the_form_with_its_place(admin_client):
    workflow = make_workflow("Plans", audience=NEGATIVE_IN_ANY)

    body = admin_client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()

    assert "Likely mistakes" in body
    assert 'data-lint-code="negative_rule_in_any"' in body
    assert "Targeting › rule 2" in body
    assert "Plan is not Free" in body


def test_the_live_preview_warns_about_the_unsaved_form(admin_client, support_team):
    document = {
        "name": "Plans",
        "trigger": "customer_any_message",
        "audience": NEGATIVE_IN_ANY,
        "steps": [{"type": "add_tag", "tag": "plans"}],
    }

    response = admin_client.post(reverse("workflows:preview_new"), post_data_for(document))

    assert 'data-lint-code="negative_rule_in_any"' in response.content.decode()


def test_the_list_counts_each_workflows_warnings(admin_client):
    make_workflow("Plans", audience=NEGATIVE_IN_ANY)
    make_workflow("Clean")

    body = admin_client.get(reverse("workflows:list")).content.decode()

    assert body.count("data-lint-count=") == 1
    assert "⚠ 1 warning<" in body


def test_the_builder_refuses_every_time_on_a_trigger_that_happens_once(admin_client, support_team):
    document = {
        "name": "Welcome",
        "trigger": "customer_opened_conversation",
        "frequency": "every_time",
        "steps": [{"type": "send_message", "body": "Hi"}],
    }

    response = admin_client.post(reverse("workflows:new"), post_data_for(document))

    assert response.status_code == 400
    assert "happens once per conversation" in response.content.decode()
    assert not Workflow.objects.exists()


def test_a_builder_publish_is_audited_with_the_person(admin_client, admin_user, support_team):
    workflow = make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "old"}])
    document = {**workflow.document(), "steps": [{"type": "add_tag", "tag": "new"}]}

    saved = admin_client.post(
        reverse("workflows:edit", args=[workflow.pk]), post_data_for(document)
    )
    # A live workflow's edit is a draft: nothing live changed, nothing to audit yet.
    assert saved.status_code == 302
    assert not AuditEntry.objects.exists()
    published = admin_client.post(reverse("workflows:publish", args=[workflow.pk]))

    assert published.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.object_type, entry.action) == (admin_user, "workflow", "changed")
    assert entry.before["steps"] == [{"type": "add_tag", "tag": "old"}]
    assert entry.after["steps"] == [{"type": "add_tag", "tag": "new"}]


def test_pausing_and_reordering_in_the_list_are_audited(admin_client):
    first, second = make_workflow("First"), make_workflow("Second")

    admin_client.post(reverse("workflows:status", args=[first.pk]))
    admin_client.post(
        reverse("workflows:reorder"),
        {"trigger": "customer_any_message", "order": [second.pk, first.pk]},
        content_type="application/json",
    )

    said = [(e.object_label, e.before.get("status"), e.after.get("status"), e.before["priority"],
             e.after["priority"]) for e in AuditEntry.objects.order_by("id")]  # fmt: skip
    assert said == [
        ("First", "live", "paused", 0, 0),
        ("First", "paused", "paused", 0, 1),
        ("Second", "live", "live", 1, 0),
    ]


# --- the Django admin ---------------------------------------------------------------------


def test_team_and_office_hours_changes_in_the_django_admin_are_audited(admin_client, teammate):
    team = TeamFactory(name="Support")
    admin_client.post(
        reverse("admin:conversations_team_change", args=[team.pk]),
        {"name": "Support EU", "members": [teammate.pk], "away_policy": "keep",
         "created_at_0": "2026-01-01", "created_at_1": "09:00:00"},
    )  # fmt: skip
    hours = OfficeHours.load()
    admin_client.post(
        reverse("admin:conversations_officehours_change", args=[hours.pk]),
        {"time_zone": "Europe/Berlin", "weekly": '{"monday": [["08:00", "12:00"]]}', "holidays": "[]"},
    )  # fmt: skip
    admin_client.post(reverse("admin:conversations_team_delete", args=[team.pk]), {"post": "yes"})

    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.object_type, e.action) for e in entries] == [
        ("team", "changed"),
        ("office_hours", "changed"),
        ("team", "deleted"),
    ]
    assert entries[0].before == {"name": "Support", "members": []}
    assert entries[0].after == {"name": "Support EU", "members": ["ben"]}
    assert entries[1].after["time_zone"] == "Europe/Berlin"


# --- the audit page ---------------------------------------------------------------------


def test_the_audit_page_shows_who_changed_what_as_a_field_diff(admin_client, teammate):
    make_workflow("Unlogged")  # made by a test helper, not a person: no entry
    TeamFactory(name="Support")
    team = TeamFactory(name="Sales")
    admin_client.post(
        reverse("admin:conversations_team_change", args=[team.pk]),
        {
            "name": "Sales EU",
            "away_policy": "keep",
            "created_at_0": "2026-01-01",
            "created_at_1": "09:00:00",
        },
    )

    body = admin_client.get(reverse("audit")).content.decode()

    assert "ada</strong>" in body and "changed the team" in body
    assert "<del>Sales</del>" in body and "<ins>Sales EU</ins>" in body

    filtered = admin_client.get(reverse("audit"), {"object_type": "workflow"}).content.decode()
    assert "No changes recorded for these filters" in filtered


def test_the_audit_page_is_for_admins_only(client, teammate):
    assert client.get(reverse("audit")).status_code == 302  # to the login page
    client.force_login(teammate)
    assert client.get(reverse("audit")).status_code == 403
