import pytest

from conversations.models import Contact, SlaPolicy, Team

pytestmark = pytest.mark.django_db


def test_it_creates_a_contact_with_its_company_and_messenger_token(teammate_api):
    response = teammate_api.post(
        "/api/contacts/",
        {
            "name": "Ines",
            "email": "ines@example.com",
            "role": "lead",
            "plan": "Pro",
            "monthly_spend": 750,
            "company": "Acme",
            "custom_attributes": {"language": "pt"},
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["id"] and len(body["messenger_token"]) > 20
    assert (body["company"], body["monthly_spend"], body["role"]) == ("Acme", "750.00", "lead")
    assert Contact.objects.get(pk=body["id"]).company.name == "Acme"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"monthly_spend": "lots"}, "monthly_spend"),
        ({"role": "king"}, "role"),
        ({"email": "not-an-email"}, "email"),
        ({"custom_attributes": ["a"]}, "custom_attributes"),
        ({"monthly_spend": -5}, "monthly_spend"),
    ],
)
def test_it_refuses_a_bad_contact_with_field_messages_and_saves_nothing(
    teammate_api, payload, field
):
    response = teammate_api.post("/api/contacts/", {"name": "X", **payload}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Contact.objects.exists()


def test_it_filters_contacts_by_email_and_plan(teammate_api):
    for email, plan in [("a@example.com", "Pro"), ("b@example.com", "Free")]:
        teammate_api.post("/api/contacts/", {"email": email, "plan": plan}, format="json")

    by_email = teammate_api.get("/api/contacts/?email=A@example.com").json()["results"]
    by_plan = teammate_api.get("/api/contacts/?plan=free").json()["results"]

    assert [c["email"] for c in by_email] == ["a@example.com"]
    assert [c["email"] for c in by_plan] == ["b@example.com"]


def test_an_admin_creates_a_team_with_members(admin_api, teammate):
    response = admin_api.post(
        "/api/teams/", {"name": "Tier 2", "members": [teammate.pk]}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["members"] == [teammate.pk]
    assert list(Team.objects.get(name="Tier 2").members.all()) == [teammate]


def test_it_refuses_a_team_with_an_unknown_member_or_a_taken_name(admin_api, support_team):
    unknown = admin_api.post("/api/teams/", {"name": "Tier 2", "members": [999]}, format="json")
    taken = admin_api.post("/api/teams/", {"name": "Support"}, format="json")

    assert (unknown.status_code, list(unknown.json())) == (400, ["members"])
    assert (taken.status_code, list(taken.json())) == (400, ["name"])


def test_an_admin_creates_an_sla_policy_with_duration_strings(admin_api):
    response = admin_api.post(
        "/api/sla-policies/",
        {
            "name": "Premium Support",
            "first_reply": "30m",
            "next_reply": "2h",
            "time_to_close": "1d",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["first_reply"] == "30m"
    assert SlaPolicy.objects.get().next_reply.total_seconds() == 7200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"first_reply": "0m"}, "first_reply"),
        ({"first_reply": "-5m"}, "first_reply"),
        ({"first_reply": "soon"}, "first_reply"),
        ({}, "first_reply"),
    ],
)
def test_it_refuses_zero_negative_or_missing_sla_targets(admin_api, payload, field):
    response = admin_api.post("/api/sla-policies/", {"name": "Bad", **payload}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not SlaPolicy.objects.exists()
