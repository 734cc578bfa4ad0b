"""GET /api/workflows/lint/ and GET /api/audit/: what admins read, what others cannot;
saves refused for "every time" on a trigger that cannot repeat; each change audited."""

import pytest

from conversations.models import AuditEntry, Team
from tests.factories import SlaPolicyFactory, TeamFactory
from tests.workflows.helpers import make_workflow
from workflows.models import Workflow

pytestmark = pytest.mark.django_db

NEGATIVE_IN_ANY = {
    "match": "any",
    "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
        {"attribute": "contact.email", "operator": "is_unknown"},
    ],
}


def test_lint_lists_each_likely_mistake_with_its_place_and_fix(admin_api):
    workflow = make_workflow("Pro or anonymous", audience=NEGATIVE_IN_ANY)
    make_workflow("Clean")

    response = admin_api.get("/api/workflows/lint/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "workflow": workflow.pk,
            "severity": "warning",
            "code": "negative_rule_in_any",
            "place": "audience.rules[1]",
            "message": response.json()[0]["message"],
        }
    ]
    assert "Email is unknown" in response.json()[0]["message"]
    assert "Fix:" in response.json()[0]["message"]


def test_lint_names_the_background_workflow_that_wins(admin_api):
    make_workflow("Tag VIP", steps=[{"type": "add_tag", "tag": "vip"}])
    make_workflow("Untag VIP", steps=[{"type": "remove_tag", "tag": "vip"}])

    findings = admin_api.get("/api/workflows/lint/").json()

    assert [f["code"] for f in findings] == ["background_conflict", "background_conflict"]
    assert all("“Untag VIP” wins" in f["message"] for f in findings)


def test_lint_is_for_admins_only(teammate_api, anonymous_api):
    assert teammate_api.get("/api/workflows/lint/").status_code == 403
    assert anonymous_api.get("/api/workflows/lint/").status_code in (401, 403)


def test_every_time_on_a_trigger_that_happens_once_is_refused_on_save(admin_api):
    document = {
        "name": "Welcome",
        "trigger": "customer_opened_conversation",
        "frequency": "every_time",
        "steps": [{"type": "send_message", "body": "Hi"}],
    }

    response = admin_api.post("/api/workflows/", document, format="json")

    assert response.status_code == 400
    assert "happens once" in response.json()["frequency"][0]
    assert not Workflow.objects.exists()
    assert not AuditEntry.objects.exists()


# --- audit ----------------------------------------------------------------------------------


def test_a_workflow_change_through_the_api_is_audited_with_before_and_after(admin_api, admin_user):
    created = admin_api.post(
        "/api/workflows/",
        {"name": "Greeter", "trigger": "customer_any_message",
         "steps": [{"type": "add_tag", "tag": "hello"}]},
        format="json",
    ).json()  # fmt: skip
    admin_api.patch(
        f"/api/workflows/{created['id']}/",
        {"steps": [{"type": "add_tag", "tag": "welcome"}]},
        format="json",
    )
    admin_api.delete(f"/api/workflows/{created['id']}/")

    entries = admin_api.get(f"/api/audit/?object_type=workflow&object_id={created['id']}").json()

    assert [e["action"] for e in entries["results"]] == ["deleted", "changed", "created"]
    deleted, changed, created_entry = entries["results"]
    assert changed["actor"] == admin_user.pk and changed["actor_name"] == "ada"
    assert changed["object_label"] == "Greeter"
    assert changed["changes"] == [{"field": "steps[0].tag", "before": "hello", "after": "welcome"}]
    assert created_entry["before"] is None and created_entry["after"]["name"] == "Greeter"
    assert deleted["after"] is None


def test_team_and_sla_policy_changes_are_audited_and_filterable(admin_api, teammate):
    team = admin_api.post("/api/teams/", {"name": "Billing"}, format="json").json()
    admin_api.patch(f"/api/teams/{team['id']}/", {"members": [teammate.pk]}, format="json")
    policy = SlaPolicyFactory(name="Gold")
    admin_api.patch(f"/api/sla-policies/{policy.pk}/", {"first_reply": "2h"}, format="json")

    teams = admin_api.get("/api/audit/?object_type=team").json()["results"]
    policies = admin_api.get("/api/audit/?object_type=sla_policy").json()["results"]

    assert [e["action"] for e in teams] == ["changed", "created"]
    assert teams[0]["changes"] == [{"field": "members", "before": "—", "after": "ben"}]
    assert policies[0]["changes"][0]["field"] == "first_reply"
    assert policies[0]["changes"][0]["after"] == "2h"


def test_a_refused_change_leaves_no_audit_entry(admin_api):
    team = TeamFactory(name="Sales")

    response = admin_api.patch(f"/api/teams/{team.pk}/", {"name": ""}, format="json")

    assert response.status_code == 400
    assert not AuditEntry.objects.exists()


def test_the_audit_api_filters_by_person_and_refuses_bad_filters(admin_api, admin_user, teammate):
    admin_api.post("/api/teams/", {"name": "Billing"}, format="json")

    assert admin_api.get(f"/api/audit/?actor={admin_user.pk}").json()["count"] == 1
    assert admin_api.get(f"/api/audit/?actor={teammate.pk}").json()["count"] == 0
    assert admin_api.get("/api/audit/?object_type=planet").status_code == 400
    assert admin_api.get("/api/audit/?object_id=abc").status_code == 400


def test_the_audit_api_is_for_admins_only(teammate_api, anonymous_api):
    assert teammate_api.get("/api/audit/").status_code == 403
    assert anonymous_api.get("/api/audit/").status_code in (401, 403)
    assert Team.objects.count() == 0


def test_audit_filters_refuse_moments_out_of_range_and_take_any_teammate_id(admin_api):
    odd_offset = admin_api.get("/api/audit/", {"since": "5015-12-31T14:13:38-18:20"})
    far = admin_api.get("/api/audit/", {"until": "9999-12-31T23:59:59-12:00"})
    nobody = admin_api.get("/api/audit/", {"actor": 5695268235860869000})
    for out_of_range in (0, -5, "1e30", "5.695268235860869e+18"):
        answer = admin_api.get("/api/audit/", {"actor": out_of_range})
        assert (answer.status_code, answer.json()["results"]) == (200, [])

    assert odd_offset.status_code == 200  # compared in UTC
    assert far.status_code == 400
    assert "until" in far.json()
    assert nobody.status_code == 200
    assert nobody.json()["results"] == []
