"""No page shows people the engine's machine words: every page's visible text is free of
dotted attribute names (`contact.plan`), operator codes (`gt`, `is_not`), trigger codes
and step type codes. Text is what a reader sees: tags stripped, scripts and styles left
out, attribute values (an input's value, an option's value) ignored. The document shown
deliberately in API.md's JSON format (the editor's "As JSON") is left out too."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse

from conversations import services as conversation_services
from conversations.models import Contact, Conversation
from tests.workflows.helpers import process
from workflows.builder_templates import TEMPLATES
from workflows.engine.definitions import TRIGGERS
from workflows.engine.rules import ALL_OPERATORS
from workflows.engine.steps import STEP_TYPES
from workflows.models import Workflow

pytestmark = pytest.mark.django_db

DOTTED = re.compile(r"\b(contact|company|conversation|message|time)\.[a-z_]+\b")
# Operator codes that are not also plain English words ("is", "in", "contains" are).
OPERATOR_CODES = sorted(op for op in ALL_OPERATORS if "_" in op or op in ("gt", "gte", "lt", "lte"))
# Trigger and step type codes with an underscore ("reusable", "close" are words too).
NAMED_CODES = [code for code in [*TRIGGERS, *STEP_TYPES] if "_" in code]
CODES = re.compile(
    r"\b(" + "|".join(re.escape(c) for c in [*OPERATOR_CODES, *NAMED_CODES]) + r")\b"
)


class VisibleText(HTMLParser):
    # <code> shows syntax to type as it is (the placeholder menu's {{contact.name}}).
    SKIPPED = {"script", "style", "template", "code"}

    def __init__(self):
        super().__init__()
        self.skipping = 0
        self.in_pre = False
        self.pre = []
        self.chunks = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        if tag == "pre":
            self.in_pre, self.pre = True, []

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping -= 1
        if tag == "pre" and self.in_pre:
            self.in_pre = False
            text = "".join(self.pre)
            if not _is_json(text):
                self.chunks.append(text)

    def handle_data(self, data):
        if self.skipping:
            return
        (self.pre if self.in_pre else self.chunks).append(data)


def _is_json(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.chunks).split())


def machine_words(html: str) -> list[str]:
    text = visible_text(html)
    return [m.group(0) for m in DOTTED.finditer(text)] + [m.group(0) for m in CODES.finditer(text)]


@pytest.fixture
def demo(admin_user):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo_workflows", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # A new conversation the demo workflows act on: runs, skips and steps in its timeline.
    contact = Contact.objects.filter(plan="Pro", monthly_spend__gt=500).first()
    conversation = conversation_services.conversation_open(
        contact=contact, body="Hello, I would like a refund for my project"
    )
    process(conversation)
    return conversation


def test_the_checker_finds_machine_words_in_text_but_not_in_attributes():
    assert machine_words("<p>contact.monthly_spend gt 500</p>") == ["contact.monthly_spend", "gt"]
    assert machine_words("<p>When: <span>customer_first_message</span></p>") == [
        "customer_first_message"
    ]
    assert machine_words('<input value="contact.plan"><option value="gt">greater</option>') == []
    assert machine_words('<pre>{"attribute": "contact.plan"}</pre>') == []


def test_no_builder_page_shows_machine_words(client, admin_user, demo):
    client.force_login(admin_user)
    pages = [
        reverse("workflows:list"),
        reverse("workflows:new"),
        reverse("workflows:new") + "?blank",
    ]
    pages += [reverse("workflows:new") + f"?template={key}" for key in TEMPLATES]
    for workflow in Workflow.objects.all():
        pages += [
            reverse("workflows:edit", args=[workflow.pk]),
            reverse("workflows:report", args=[workflow.pk]),
            reverse("workflows:test", args=[workflow.pk]) + f"?conversation={demo.pk}",
        ]
    assert Workflow.objects.filter(name="Route Pro customers").exists()  # the seed's example

    found = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        words = machine_words(response.content.decode())
        if words:
            found[page] = words

    assert found == {}


def test_the_preview_of_every_demo_workflow_shows_no_machine_words(client, admin_user, demo):
    from tests.workflows.test_pages_builder import post_data_for

    client.force_login(admin_user)
    found = {}
    for workflow in Workflow.objects.all():
        data = post_data_for(workflow.document())
        response = client.post(reverse("workflows:preview", args=[workflow.pk]), data)
        assert response.status_code == 200
        assert "<svg" in response.content.decode()
        words = machine_words(response.content.decode())
        if words:
            found[workflow.name] = words

    assert found == {}


def test_the_inbox_timeline_shows_no_machine_words(client, admin_user, demo):
    client.force_login(admin_user)
    pages = [reverse("inbox:conversation", args=[demo.pk])]
    pages += [
        reverse("inbox:conversation", args=[pk])
        for pk in Conversation.objects.exclude(pk=demo.pk).values_list("pk", flat=True)[:5]
    ]

    found = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200
        words = machine_words(response.content.decode())
        if words:
            found[page] = words

    assert found == {}
    assert "Route Pro customers" in client.get(pages[0]).content.decode()


def test_the_admin_lists_show_no_machine_words(client, admin_user, demo):
    client.force_login(admin_user)
    pages = [
        reverse("admin:workflows_workflow_changelist"),
        reverse("admin:workflows_workflowrun_changelist"),
        reverse("admin:workflows_workflowlog_changelist"),
    ]

    found = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200
        words = machine_words(response.content.decode())
        if words:
            found[page] = words

    assert found == {}
