"""The builder's typed values: a custom attribute typed by its key, dates with a time on
the workspace's clock, and a number that is not one (issue 13, "Builder")."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.workflows.test_builder_fragments import post_data_for, workflow_document
from workflows import vocabulary
from workflows.editor import moment_to_text, text_to_moment
from workflows.engine.rules import parse_value
from workflows.forms import custom_attribute
from workflows.models import Workflow

FRAGMENT = reverse("workflows:fragment")
NEW = reverse("workflows:new")
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def paris(settings):
    """A workspace whose office hours (and so its clock) are in Paris."""
    settings.OFFICE_HOURS_TIME_ZONE = "Europe/Paris"


def rule_row(body: str, prefix: str = "a-r-0") -> str:
    """The HTML of one rule's row (its fields and the words beside them)."""
    start = body.index(f'id="form-{prefix}"')
    return body[start : body.index("Remove</button>", start)]


def summary_of(body: str) -> str:
    start = body.index('id="error-summary"')
    return body[start : body.index("</nav>", start)]


def input_value(html: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return found.group(1) if found else None


# --- pure parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("2026-11-25T14:30", "2026-11-25T14:30:00+01:00"),
        ("2026-07-01T09:05:30", "2026-07-01T09:05:30+02:00"),
        ("2026-11-25", "2026-11-25T00:00:00+01:00"),  # a plain date: the start of the day
        ("2026-11-25T14:30:00+00:00", "2026-11-25T14:30:00+00:00"),  # a zone given: kept
        ("next week", "next week"),  # for the validator to name
    ],
)
def test_a_typed_moment_is_read_on_the_workspace_clock(typed, saved):
    assert text_to_moment(typed, PARIS) == saved


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2026-11-25T14:30:00+01:00", "2026-11-25T14:30"),
        ("2026-11-25T13:30:00+00:00", "2026-11-25T14:30"),
        ("2026-11-25T13:30:15Z", "2026-11-25T14:30:15"),
        # A plain date, as the engine reads it (midnight UTC), on the workspace's clock.
        ("2026-01-01", "2026-01-01T01:00"),
        ("soon", "soon"),
    ],
)
def test_a_stored_moment_is_shown_on_the_workspace_clock(stored, shown):
    assert moment_to_text(stored, PARIS) == shown


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("seats", None),
        ("_plan-tier2", None),
        ("a" * 64, None),
        ("", vocabulary.CUSTOM_KEY_PROBLEM),
        ("2seats", vocabulary.CUSTOM_KEY_PROBLEM),
        ("seat count", vocabulary.CUSTOM_KEY_PROBLEM),
        ("billing.seats", vocabulary.CUSTOM_KEY_PROBLEM),
        ("a" * 65, vocabulary.CUSTOM_KEY_PROBLEM),
    ],
)
def test_a_custom_key_follows_the_validators_rule(key, problem):
    name, said = custom_attribute("contact.custom.", key)
    assert said == problem
    if problem is None:
        assert name == f"contact.custom.{key}"


# --- a custom attribute absent from the data ---------------------------------------------


@pytest.mark.django_db
def test_each_group_offers_a_custom_attribute_that_reveals_a_key_box(admin_client):
    data = post_data_for(
        workflow_document([{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]),
        action="refresh:a-r-0-operator",
        fragment="a",
    )
    body = admin_client.post(FRAGMENT, data).content.decode()
    for group in ("contact", "company", "conversation"):
        words = vocabulary.new_custom_attribute_words(group)
        assert f'<option value="{group}.custom.">{words}</option>' in body
    assert "custom_key" not in body

    data["a-r-0-attribute"] = "company.custom."
    response = admin_client.post(FRAGMENT, data)

    row = rule_row(response.content.decode())
    assert '<option value="company.custom." selected>Custom company attribute…</option>' in row
    assert f">{vocabulary.CUSTOM_KEY_LABEL}" in row
    assert 'name="a-r-0-custom_key"' in row
    assert response["X-Builder-Focus"] == '[name="a-r-0-custom_key"]'
    # A custom attribute compares text, numbers or dates: every operator is offered.
    assert '<option value="gt">' in row and '<option value="contains">' in row


@pytest.mark.django_db
def test_a_typed_custom_key_is_saved_and_reopened_as_that_attribute(admin_client):
    data = post_data_for(
        workflow_document([{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]),
        action="save",
    )
    data.update(
        {
            "a-r-0-attribute": "contact.custom.",
            "a-r-0-custom_key": " seats ",
            "a-r-0-operator": "gt",
            "a-r-0-value": "10",
        }
    )

    response = admin_client.post(NEW, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    workflow = Workflow.objects.get()
    assert workflow.document()["audience"]["rules"] == [
        {"attribute": "contact.custom.seats", "operator": "gt", "value": 10}
    ]
    body = admin_client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()
    row = rule_row(body)
    label = vocabulary.attribute_label("contact.custom.seats")
    assert f'<option value="contact.custom.seats" selected>{label}</option>' in row
    assert input_value(row, "a-r-0-value") == "10"
    assert "contact.custom.seats" not in re.sub(r"<[^>]*>", "", row)  # never said in words


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "seat count", "billing.seats"])
def test_a_bad_custom_key_is_said_beside_its_box_and_nothing_is_saved(admin_client, key):
    data = post_data_for(
        workflow_document([{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]),
        action="save",
    )
    data.update({"a-r-0-attribute": "conversation.custom.", "a-r-0-custom_key": key})

    response = admin_client.post(NEW, data)

    body = response.content.decode()
    assert response.status_code == 400
    assert not Workflow.objects.exists()
    row = rule_row(body)
    assert vocabulary.CUSTOM_KEY_PROBLEM in row
    assert (input_value(row, "a-r-0-custom_key") or "") == key  # what was typed stays
    summary = summary_of(body)
    assert 'href="#id_a-r-0-custom_key"' in summary
    assert f"{vocabulary.CUSTOM_KEY_LABEL}: {vocabulary.CUSTOM_KEY_PROBLEM}" in summary


@pytest.mark.django_db
def test_the_live_outline_of_a_custom_attribute_says_it_in_words(admin_client):
    data = post_data_for(
        workflow_document([{"attribute": "contact.plan", "operator": "is", "value": "Pro"}])
    )
    data.update({"a-r-0-attribute": "contact.custom.", "a-r-0-custom_key": ""})
    preview = reverse("workflows:preview_new")

    waiting = admin_client.post(preview, data).content.decode()
    data["a-r-0-custom_key"] = "seats"
    typed = admin_client.post(preview, data).content.decode()

    assert "Choose an attribute." in waiting
    assert "contact.custom" not in waiting and "contact.custom" not in typed
    assert "Seats (contact data) is Pro" in typed


# --- dates with a time ---------------------------------------------------------------------


def signed_up_before(value):
    return workflow_document(
        [{"attribute": "contact.created_at", "operator": "before", "value": value}]
    )


@pytest.mark.django_db
def test_a_date_and_time_is_saved_in_the_workspace_zone_and_shown_back_the_same(
    admin_client, paris
):
    data = post_data_for(signed_up_before("2026-01-01"), action="save")
    data["a-r-0-value"] = "2026-11-25T14:30"

    response = admin_client.post(NEW, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    workflow = Workflow.objects.get()
    [rule] = workflow.document()["audience"]["rules"]
    assert rule["value"] == "2026-11-25T14:30:00+01:00"
    # The engine compares with 13:30 UTC, the moment the admin meant in Paris.
    assert parse_value(rule["attribute"], "before", rule["value"]) == datetime(
        2026, 11, 25, 13, 30, tzinfo=UTC
    )
    body = admin_client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()
    row = rule_row(body)
    assert '<input type="datetime-local" name="a-r-0-value"' in row
    assert input_value(row, "a-r-0-value") == "2026-11-25T14:30"
    assert vocabulary.zone_hint("Europe/Paris") in row


@pytest.mark.django_db
def test_a_plain_date_is_still_accepted_as_the_start_of_that_day(admin_client, paris):
    data = post_data_for(signed_up_before("2026-01-01"), action="save")
    data["a-r-0-value"] = "2026-03-02"

    response = admin_client.post(NEW, data)

    assert response.status_code == 302
    [rule] = Workflow.objects.get().document()["audience"]["rules"]
    assert rule["value"] == "2026-03-02T00:00:00+01:00"


@pytest.mark.django_db
def test_a_date_that_is_not_one_is_a_form_error_and_nothing_is_saved(admin_client, paris):
    data = post_data_for(signed_up_before("2026-01-01"), action="save")
    data["a-r-0-value"] = "next week"

    response = admin_client.post(NEW, data)

    body = response.content.decode()
    assert response.status_code == 400
    assert not Workflow.objects.exists()
    words = vocabulary.value_problem_words("contact.created_at", "date")
    assert words == "Signed up must be a date."
    assert words in rule_row(body)
    assert 'href="#id_a-r-0-value"' in summary_of(body)


# --- a number that is not one --------------------------------------------------------------


@pytest.mark.django_db
def test_a_non_number_stays_in_its_box_with_the_error_beside_it_and_in_the_summary(
    admin_client,
):
    document = workflow_document(
        [{"attribute": "contact.monthly_spend", "operator": "gt", "value": 500}]
    )
    data = post_data_for(document, action="save")
    data["a-r-0-value"] = "lots"

    response = admin_client.post(NEW, data)

    body = response.content.decode()
    assert response.status_code == 400
    assert not Workflow.objects.exists()
    row = rule_row(body)
    assert input_value(row, "a-r-0-value") == "lots"
    assert '<span class="errors">Monthly spend must be a number.</span>' in row
    assert "Monthly spend must be a number." in summary_of(body)
