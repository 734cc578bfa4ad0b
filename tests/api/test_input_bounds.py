"""Input bounds at the API's edges (issue 11): hostile JSON, query strings and path
parameters, strings within their columns, dates within years 1-9998 and bounded custom
attributes answer 400 naming the field, never 500, and save nothing."""

import pytest
from rest_framework.authtoken.models import Token

from conversations import services, validation
from conversations.actors import Actor
from conversations.models import Contact, Conversation, Part
from tests.api.conftest import client_with
from tests.factories import ContactFactory, TeammateFactory
from tests.workflows.test_definition_bounds import document, nested_steps
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


def post_raw(api, url, text: str | bytes):
    body = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return api.generic("POST", url, body, content_type="application/json")


# --- the JSON parser -------------------------------------------------------------------


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_it_refuses_json_nested_a_hundred_thousand_deep_without_recursing(customer_api, opening):
    response = post_raw(customer_api, "/api/conversations/", opening * 100_000)

    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert not Conversation.objects.exists()


def test_it_refuses_json_nested_deeper_than_64_levels(admin_api):
    deep = "[" * 65 + "]" * 65

    response = post_raw(admin_api, "/api/contacts/", '{"custom_attributes": {"a": ' + deep + "}}")

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_brackets_inside_strings_do_not_count_as_nesting(admin_api):
    response = post_raw(admin_api, "/api/contacts/", '{"name": "' + "[" * 200 + '"}')

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ('{"name": "Ma\\u0000ya"}', "name"),
        ('{"custom_attributes": {"plan": "a\\u0000b"}}', "custom_attributes.plan"),
        ('{"custom_attributes": {"pl\\u0000an": "x"}}', "custom_attributes"),
        ('{"custom_attributes": {"plan": "\\ud800"}}', "custom_attributes.plan"),
        ('{"custom_attributes": {"tags": ["ok", "\\udc00x"]}}', "custom_attributes.tags[1]"),
        ('{"name": "\\udfff"}', "name"),
    ],
)
def test_nul_bytes_and_unpaired_surrogates_are_400s_naming_the_field(admin_api, body, field):
    response = post_raw(admin_api, "/api/contacts/", body)

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Contact.objects.exists()


def test_paired_surrogates_are_ordinary_characters(admin_api):
    response = post_raw(admin_api, "/api/contacts/", '{"name": "Maya \\ud83d\\ude00"}')

    assert response.status_code == 201
    assert response.json()["name"] == "Maya \U0001f600"


@pytest.mark.parametrize(
    "body", ['{"monthly_spend": 1e400}', '{"monthly_spend": NaN}', '{"monthly_spend": -Infinity}']
)
def test_non_finite_numbers_are_400s(admin_api, body):
    response = post_raw(admin_api, "/api/contacts/", body)

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_invalid_utf8_is_a_400(admin_api):
    response = post_raw(admin_api, "/api/contacts/", b'{"name": "\xff\xfe"}')

    assert response.status_code == 400


@pytest.mark.parametrize(
    "body, field",
    [
        ({"monthly_spend": 1e308}, "monthly_spend"),
        ({"monthly_spend": 10**30}, "monthly_spend"),
        ({"custom_attributes": {"n": 2**64}}, "custom_attributes.n"),
    ],
)
def test_huge_numbers_are_400s_naming_the_field(admin_api, body, field):
    response = admin_api.post("/api/contacts/", body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()


@pytest.mark.parametrize("field", ["admin_id", "assignee_id", "team_id"])
def test_ids_beyond_64_bits_are_400s(teammate_api, conversation, field):
    body = {"message_type": "assignment", field: 2**70}

    response = teammate_api.post(
        f"/api/conversations/{conversation.pk}/parts/", body, format="json"
    )

    assert response.status_code in (400, 403)
    assert response.status_code != 500


# --- query strings and path parameters -------------------------------------------------


def test_a_nul_byte_in_the_messenger_token_is_a_400(client):
    response = client.get("/messenger/?token=a%00b")

    assert response.status_code == 400


@pytest.mark.parametrize("query", ["email=a%00b", "plan=%ff%fe", "email=%ed%a0%80"])
def test_bad_bytes_in_a_query_string_are_400s(teammate_api, query):
    response = teammate_api.get(f"/api/contacts/?{query}")

    assert response.status_code == 400


def test_a_nul_byte_in_a_tag_name_in_the_url_is_a_400(teammate_api, conversation):
    response = teammate_api.delete(f"/api/conversations/{conversation.pk}/tags/a%00b/")

    assert response.status_code == 400


def test_undecodable_bytes_in_a_tag_name_in_the_url_name_no_tag(teammate_api, conversation):
    services.conversation_add_tag(conversation=conversation, name="ab", acting=Actor.system())

    response = teammate_api.delete(f"/api/conversations/{conversation.pk}/tags/a%ffb/")

    assert response.status_code == 200
    assert response.json()["tags"] == ["ab"]


def test_a_tag_whose_name_looks_like_an_escape_can_be_removed(teammate_api, conversation):
    services.conversation_add_tag(conversation=conversation, name="50%ff", acting=Actor.system())

    response = teammate_api.delete(f"/api/conversations/{conversation.pk}/tags/50%25ff/")

    assert response.status_code == 200
    assert response.json()["tags"] == []


def test_an_over_long_tag_name_in_the_url_is_a_400(teammate_api, conversation):
    response = teammate_api.delete(f"/api/conversations/{conversation.pk}/tags/{'x' * 300}/")

    assert response.status_code == 400
    assert "name" in response.json()


# --- every string within its column ----------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "a" * 245 + "@example.com"}, "email"),
        ({"name": "n" * 201}, "name"),
        ({"plan": "p" * 101}, "plan"),
        ({"external_id": "e" * 201}, "external_id"),
        ({"company": "c" * 201}, "company"),
    ],
)
def test_contact_strings_longer_than_their_column_are_400s(admin_api, body, field):
    response = admin_api.post("/api/contacts/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_contact_with_a_legal_254_character_email_can_reach_support(admin_api, teammate):
    email = "a" * 64 + "@" + ("b" * 63 + ".") * 2 + "c" * 57 + ".com"
    assert len(email) == 254
    created = admin_api.post("/api/contacts/", {"email": email}, format="json")
    assert created.status_code == 201, created.json()
    contact = Contact.objects.get()
    contact_api = client_with(f"Token {contact.messenger_token}")

    opened = contact_api.post("/api/conversations/", {"body": "Hello"}, format="json")
    assert opened.status_code == 201
    pk = opened.json()["id"]
    teammate_api = client_with(f"Token {Token.objects.create(user=teammate).key}")
    answers = [
        contact_api.post(f"/api/conversations/{pk}/reply/", {"type": "user", "body": "Again"}),
        teammate_api.post(f"/api/conversations/{pk}/reply/", {"type": "admin", "body": "Hi"}),
        teammate_api.post(f"/api/conversations/{pk}/tags/", {"name": "vip"}),
        teammate_api.post(f"/api/conversations/{pk}/parts/", {"message_type": "close"}),
    ]

    assert [answer.status_code for answer in answers] == [201, 201, 200, 200]
    assert Part.objects.filter(author_name=email[:200]).count() >= 3


def test_a_teammate_with_a_250_character_name_can_reply_tag_and_close(conversation):
    long_name = TeammateFactory(username="long", first_name="F" * 150, last_name="L" * 100)
    api = client_with(f"Token {Token.objects.create(user=long_name).key}")
    pk = conversation.pk

    answers = [
        api.post(f"/api/conversations/{pk}/reply/", {"type": "admin", "body": "Hi"}),
        api.post(f"/api/conversations/{pk}/tags/", {"name": "vip"}),
        api.post(f"/api/conversations/{pk}/parts/", {"message_type": "close"}),
    ]

    assert [answer.status_code for answer in answers] == [201, 200, 200]
    part = Part.objects.filter(part_type="closed").get()
    assert part.author_name == long_name.display_name[:200]


# --- dates within years 1-9998 ---------------------------------------------------------


@pytest.mark.parametrize(
    "until", ["9999-12-31T23:59:59-12:00", "9999-01-01T00:00:00+00:00", "10000-01-01T00:00:00Z"]
)
def test_a_snooze_beyond_year_9998_is_a_400_naming_the_field(teammate_api, conversation, until):
    body = {"message_type": "snoozed", "snoozed_until": until}

    response = teammate_api.post(
        f"/api/conversations/{conversation.pk}/parts/", body, format="json"
    )

    assert response.status_code == 400
    assert "snoozed_until" in response.json()
    conversation.refresh_from_db()
    assert conversation.state == "open"


def test_the_conversation_list_still_reads_after_a_far_snooze_is_refused(
    teammate_api, conversation
):
    body = {"message_type": "snoozed", "snoozed_until": "9998-12-31T00:00:00+00:00"}
    assert (
        teammate_api.post(
            f"/api/conversations/{conversation.pk}/parts/", body, format="json"
        ).status_code
        == 200
    )

    assert teammate_api.get("/api/conversations/").status_code == 200


# --- custom attributes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "attributes, field",
    [
        ({f"k{i}": i for i in range(validation.MAX_CUSTOM_ATTRIBUTES + 1)}, "custom_attributes"),
        ({"k" * (validation.MAX_ATTRIBUTE_KEY_LENGTH + 1): 1}, "custom_attributes"),
        ({"note": "x" * (validation.MAX_ATTRIBUTE_VALUE_LENGTH + 1)}, "custom_attributes.note"),
        ({"deep": {"a": {"b": 1}}}, "custom_attributes.deep"),
        ({"": 1}, "custom_attributes"),
    ],
)
def test_custom_attributes_are_bounded(admin_api, attributes, field):
    response = admin_api.post("/api/contacts/", {"custom_attributes": attributes}, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Contact.objects.exists()


def test_custom_attributes_within_the_bounds_are_kept(admin_api):
    attributes = {f"k{i}": i for i in range(validation.MAX_CUSTOM_ATTRIBUTES)}
    attributes["k0"] = "x" * validation.MAX_ATTRIBUTE_VALUE_LENGTH

    response = admin_api.post("/api/contacts/", {"custom_attributes": attributes}, format="json")

    assert response.status_code == 201
    assert Contact.objects.get().custom_attributes == attributes


def test_conversation_data_values_over_the_limit_are_refused_by_the_service(conversation):
    from django.core.exceptions import ValidationError

    from conversations.actors import Actor

    with pytest.raises(ValidationError) as error:
        services.conversation_set_data(
            conversation=conversation,
            key="k",
            value="x" * (validation.MAX_ATTRIBUTE_VALUE_LENGTH + 1),
            acting=Actor.system(),
        )

    assert "value" in error.value.message_dict


def test_a_contact_custom_attribute_answer_is_bounded_by_the_same_limit(conversation):
    from conversations.actors import Actor

    ContactFactory()
    services.conversation_update_contact(
        conversation=conversation,
        attribute="custom.note",
        value="x" * (validation.MAX_ATTRIBUTE_VALUE_LENGTH + 50),
        acting=Actor.system(),
    )

    conversation.contact.refresh_from_db()
    assert len(conversation.contact.custom_attributes["note"]) <= (
        validation.MAX_ATTRIBUTE_VALUE_LENGTH
    )


# --- workflow documents ------------------------------------------------------------


class TestWorkflowsOverTheApi:
    def test_a_far_snooze_is_a_400_naming_the_step_and_saves_nothing(self, admin_api):
        body = document({"type": "snooze", "until": "9999-12-31T23:59:59-12:00"})

        response = admin_api.post("/api/workflows/", body, format="json")

        assert response.status_code == 400
        assert "steps[0].until" in response.json()
        assert not Workflow.objects.exists()

    def test_a_nul_in_a_workflow_name_is_a_400_naming_it(self, admin_api):
        response = admin_api.post(
            "/api/workflows/", {**document({"type": "close"}), "name": "a\x00"}, format="json"
        )

        assert response.status_code == 400
        assert "name" in response.json()

    def test_deeply_nested_steps_are_a_400(self, admin_api):
        response = admin_api.post("/api/workflows/", document(*nested_steps(190)), format="json")

        assert response.status_code == 400
        assert not Workflow.objects.exists()


def test_a_form_encoded_body_is_refused_with_415(admin_api):
    contacts = Contact.objects.count()

    response = admin_api.post(
        "/api/contacts/", {"name": "Maya", "custom_attributes": "x"}, format="multipart"
    )

    assert response.status_code == 415
    assert Contact.objects.count() == contacts
