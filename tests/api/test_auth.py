import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LIST_ENDPOINTS = [
    "/api/contacts/",
    "/api/teams/",
    "/api/teammates/",
    "/api/sla-policies/",
    "/api/conversations/",
    "/api/workflows/",
    "/api/workflow-runs/",
]


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_it_answers_401_to_anonymous_callers(anonymous_api, url):
    response = anonymous_api.get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_it_refuses_a_wrong_token(anonymous_api):
    anonymous_api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert anonymous_api.get("/api/conversations/").status_code == 401


@pytest.mark.parametrize("url", [u for u in LIST_ENDPOINTS if u != "/api/conversations/"])
def test_a_contact_token_reaches_only_conversations(customer_api, url):
    assert customer_api.get(url).status_code == 403


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/workflows/", {"name": "x", "trigger": "customer_any_message", "steps": []}),
        ("/api/teams/", {"name": "Tier 3"}),
        ("/api/sla-policies/", {"name": "Gold", "first_reply": "1h"}),
    ],
)
def test_only_workspace_admins_write_workflows_teams_and_sla_policies(teammate_api, url, body):
    response = teammate_api.post(url, body, format="json")

    assert response.status_code == 403
    assert teammate_api.get(url).status_code == 200


def test_create_api_token_prints_a_working_token_as_the_last_word(capsys):
    call_command("create_api_token", "integrator", "--admin", "--create")
    token = capsys.readouterr().out.split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.get("/api/teammates/")

    assert response.status_code == 200
    assert response.json()["results"][0] == {
        "id": response.json()["results"][0]["id"],
        "username": "integrator",
        "name": "integrator",
        "email": "",
        "is_admin": True,
        "is_away": False,
        "capacity": None,
    }


def test_create_api_token_refuses_an_unknown_teammate_without_create():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "ghost")


def test_session_auth_works_for_the_browsable_api(client, teammate):
    client.force_login(teammate)

    assert client.get("/api/conversations/").status_code == 200
