"""Placeholders: read, filled in with fallbacks, escaped for where they go, refused when
unknown (the place named), and the texts a customer receives carry the values."""

import json
from urllib.parse import unquote

import pytest

from conversations import services
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process
from workflows.engine import placeholders
from workflows.engine.definitions import References, compile_definition
from workflows.engine.errors import DefinitionError

FACTS = {
    "contact.name": "Maya O'Neil",
    "contact.email": "maya@example.com",
    "contact.plan": "",
    "contact.custom": {"tier": "gold", "note": 'say "hi" & go'},
    "company.name": None,
    "conversation.id": 42,
    "conversation.custom": {"order": "A/7?x=1#f"},
}


def test_a_text_reads_its_placeholders_with_and_without_fallbacks():
    found, problems = placeholders.parse(
        'Hi {{contact.name}}, {{ company.name | fallback: "your team" }}!'
    )

    assert problems == []
    assert [(p.name, p.fallback) for p in found] == [
        ("contact.name", ""),
        ("company.name", "your team"),
    ]


def test_values_fill_in_and_an_empty_value_takes_its_fallback():
    text = 'Hi {{contact.name}} ({{contact.plan | fallback: "Free"}}) at {{company.name | fallback: "there"}}, #{{conversation.id}} {{contact.custom.tier}}{{contact.custom.missing}}'

    assert placeholders.render(text, FACTS) == "Hi Maya O'Neil (Free) at there, #42 gold"


def test_values_are_escaped_for_a_url_and_for_json_text_but_not_for_messages():
    assert placeholders.render("{{contact.custom.note}}", FACTS) == 'say "hi" & go'
    url = placeholders.render(
        "https://x.test/o/{{conversation.custom.order}}?n={{contact.name}}", FACTS, placeholders.URL
    )
    assert url == "https://x.test/o/A%2F7%3Fx%3D1%23f?n=Maya%20O%27Neil"
    assert unquote(url.split("/o/")[1].split("?")[0]) == "A/7?x=1#f"
    json_text = placeholders.render('{"note": "{{contact.custom.note}}"}', FACTS, placeholders.JSON)
    assert json.loads(json_text) == {"note": 'say "hi" & go'}


def test_a_json_body_keeps_values_inside_their_strings():
    body = placeholders.render_json(
        {"who": "{{contact.name}}", "items": ["{{contact.custom.note}}", 3]}, FACTS
    )

    assert json.loads(json.dumps(body)) == {
        "who": "Maya O'Neil",
        "items": ['say "hi" & go', 3],
    }


@pytest.mark.parametrize(
    "text",
    [
        "{{contact.phone}}",
        "{{contact.custom.}}",
        "{{ contact.name | default: 'x' }}",
        "{{contact.name",
    ],
)
def test_unknown_or_unreadable_placeholders_are_problems(text):
    assert placeholders.problems(text)


def test_the_validator_refuses_an_unknown_placeholder_naming_the_place():
    document = {
        "name": "Greet",
        "trigger": "customer_first_message",
        "steps": [
            {"type": "add_note", "body": "ok {{contact.name}}"},
            {"type": "send_message", "body": "Hi {{contact.nickname}}"},
        ],
    }

    with pytest.raises(DefinitionError) as refused:
        compile_definition(document, References())

    assert list(refused.value.errors) == ["steps[1].body"]
    assert "{{contact.nickname}}" in refused.value.errors["steps[1].body"][0]


@pytest.mark.django_db
def test_the_customer_receives_the_message_with_the_values_filled_in():
    make_workflow(
        "Greet",
        trigger="customer_first_message",
        steps=[
            {"type": "send_message", "body": 'Hi {{contact.name | fallback: "there"}}, about <b>{{conversation.custom.order | fallback: "your order"}}</b>'},
            {"type": "add_note", "body": "Plan: {{contact.plan}}"},
        ],
    )  # fmt: skip
    conversation = services.conversation_open(
        contact=ContactFactory(name="", plan="Pro"), body="Hello"
    )

    process(conversation)

    bodies = list(
        conversation.parts.filter(part_type__in=["bot_message", "note"])
        .order_by("id")
        .values_list("body", flat=True)
    )
    # Plain text: the pages escape the <b> when they show it (not escaped twice here).
    assert bodies == ["Hi there, about <b>your order</b>", "Plan: Pro"]
