"""The API takes what its OpenAPI schema documents and refuses the rest (issue 11: a
schemathesis run with all checks found these accepted): unknown keys, values of the wrong
JSON type, filters it used to ignore, page numbers it used to read as 1."""

import re

import pytest

from config.api_input import (
    FILTER_EMPTY,
    FILTER_GIVEN_TWICE,
    NOT_A_BOOLEAN,
    NOT_A_LIST,
    NOT_A_STRING,
    UNKNOWN_FIELD,
)
from conversations.durations import duration_pattern, parse_duration
from conversations.models import Contact, Team
from workflows.models import Workflow

WORKFLOW = {
    "name": "Tag VIPs",
    "trigger": "customer_first_message",
    "steps": [{"type": "add_tag", "tag": "VIP"}],
}


def test_it_refuses_an_unknown_key_and_creates_nothing(admin_api):
    response = admin_api.post("/api/teams/", {"name": "Tier 2", "colour": "red"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"colour": [UNKNOWN_FIELD]}
    assert not Team.objects.filter(name="Tier 2").exists()


def test_it_ignores_the_read_only_keys_of_its_own_answers(admin_api):
    response = admin_api.post(
        "/api/teams/", {"name": "Tier 2", "id": 999, "created_at": "garbage"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["id"] != 999


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "Maya", "external_id": 12}, "external_id", NOT_A_STRING),
        ({"name": 5}, "name", NOT_A_STRING),
    ],
)
def test_it_refuses_a_number_where_the_schema_says_string(admin_api, body, field, message):
    response = admin_api.post("/api/contacts/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert not Contact.objects.exists()


def test_it_refuses_an_object_for_a_list_of_members(admin_api):
    response = admin_api.post("/api/teams/", {"name": "Tier 2", "members": {}}, format="json")

    assert response.status_code == 400
    assert response.json() == {"members": [NOT_A_LIST]}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("is_background=null", "is_background", NOT_A_BOOLEAN),
        ("is_background=AAA", "is_background", NOT_A_BOOLEAN),
        ("status=", "status", FILTER_EMPTY),
        ("is_background=true&is_background=true", "is_background", FILTER_GIVEN_TWICE),
    ],
)
def test_it_refuses_a_filter_it_used_to_ignore(teammate_api, query, field, message):
    response = teammate_api.get(f"/api/workflows/?{query}")

    assert response.status_code == 400
    assert message in response.json()[field]


def test_an_empty_text_filter_still_means_no_filter(teammate_api, contact):
    assert teammate_api.get("/api/contacts/?plan=").json()["count"] == 1


@pytest.mark.parametrize("page", ["", "0", "+1", "1.0", "last", "1&page=1"])
def test_a_page_that_is_no_whole_number_from_1_is_a_404(teammate_api, page):
    response = teammate_api.get(f"/api/teams/?page={page}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_trigger_options_null_is_none_and_a_list_is_refused(admin_api, db):
    created = admin_api.post(
        "/api/workflows/", {**WORKFLOW, "trigger_options": None}, format="json"
    )
    refused = admin_api.post(
        "/api/workflows/", {**WORKFLOW, "name": "Other", "trigger_options": []}, format="json"
    )

    assert created.status_code == 201
    assert created.json()["trigger_options"] == {}
    assert refused.status_code == 400
    assert "trigger_options" in refused.json()
    assert Workflow.objects.count() == 1


def test_the_schema_documents_durations_exactly_as_they_are_accepted():
    pattern = re.compile(duration_pattern())

    for text in ["1s", "3650d", "87600h", "5256000m", "315360000s", "0m", "3651d", " 30m", "030m"]:
        try:
            accepted = parse_duration(text).total_seconds() > 0
        except ValueError:
            accepted = False
        assert bool(pattern.match(text)) == accepted, text


def test_the_schema_closes_request_bodies_and_bounds_parameters(client):
    document = client.get("/api/schema/?format=json").json()
    schemas = document["components"]["schemas"]

    team = schemas["TeamRequest"]
    assert team["additionalProperties"] is False
    assert team["properties"]["id"] == {
        "description": "Read-only: any value is accepted and ignored."
    }
    parameters = {
        p["name"]: p["schema"]
        for p in document["paths"]["/api/conversations/"]["get"]["parameters"]
    }
    assert parameters["page"]["minimum"] == 1
    assert parameters["tag"] == {"type": "string", "pattern": "^[^\\x00]*$", "maxLength": 64}
    snoozes = [
        variant["required"]
        for variant in schemas["WorkflowStep"]["anyOf"]
        if variant["properties"]["type"]["enum"] == ["snooze"]
    ]
    assert sorted(snoozes) == [["type", "duration"], ["type", "until"]]


def test_it_refuses_unknown_keys_in_buttons_and_branches_instead_of_storing_them(admin_api, db):
    steps = [
        {"type": "reply_buttons", "body": "Pick", "buttons": [{"label": "A", "steps": [], "x": 1}]},
        {"type": "branches", "branches": [{"when": None, "steps": [], "colour": "red"}]},
    ]

    response = admin_api.post("/api/workflows/", {**WORKFLOW, "steps": steps}, format="json")

    assert response.status_code == 400
    assert {"steps[0].buttons[0].x", "steps[1].branches[0].colour"} <= set(response.json())
    assert not Workflow.objects.exists()
