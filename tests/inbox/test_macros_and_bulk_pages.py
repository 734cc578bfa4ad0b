"""Macros and bulk actions in the inbox pages (Django test client)."""

import pytest
from django.test import Client
from django.urls import reverse

from conversations import services
from conversations.models import Conversation
from tests.factories import ContactFactory, TeamFactory
from tests.workflows.helpers import tag_names
from workflows.models import Macro

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, teammate):
    client.force_login(teammate)
    return client


def open_conversation(name="Maya"):
    return services.conversation_open(contact=ContactFactory(name=name), body="Hello")


def rows(*pairs):
    """The macro form's step rows: ("add_tag", "vip"), ("close", "")…"""
    data = {"steps-TOTAL_FORMS": str(len(pairs)), "steps-INITIAL_FORMS": "0"}
    for index, (kind, value) in enumerate(pairs):
        data[f"steps-{index}-kind"] = kind
        data[f"steps-{index}-value"] = value
    return data


def test_a_macro_is_made_from_step_rows_and_listed_in_words(logged_in, teammate):
    TeamFactory(name="Billing", members=[teammate])
    response = logged_in.post(
        reverse("inbox:macro_new"),
        {
            "name": "Billing handoff",
            "shared": "on",
            "reply": "Billing will write to you today.",
            **rows(("add_tag", "billing"), ("assign_team", "Billing"), ("", ""), ("close", "")),
        },
    )
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert (macro.owner, macro.shared) == (teammate, True)
    assert macro.steps == [
        {"type": "reply", "body": "Billing will write to you today."},
        {"type": "add_tag", "tag": "billing"},
        {"type": "assign", "team": "Billing"},
        {"type": "close"},
    ]
    page = logged_in.get(reverse("inbox:macros")).content.decode()
    assert "Assign to team “Billing”" in page and "Close the conversation" in page

    edit = logged_in.get(reverse("inbox:macro_edit", args=[macro.pk])).content.decode()
    assert 'value="billing"' in edit and "Billing will write to you today." in edit


def test_a_bad_row_is_refused_beside_it_and_nothing_is_saved(logged_in):
    response = logged_in.post(
        reverse("inbox:macro_new"),
        {"name": "Bad", "reply": "", **rows(("add_tag", "ok"), ("assign_team", "Nobody"))},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "No team named &quot;Nobody&quot;." in page
    assert page.index("Nobody&quot;.") > page.index('name="steps-1-value"')
    assert not Macro.objects.exists()

    empty = logged_in.post(reverse("inbox:macro_new"), {"name": "Empty", **rows(("", ""))})
    assert empty.status_code == 400
    assert "Add a reply or at least one step." in empty.content.decode()


def test_only_the_owner_edits_or_deletes_a_shared_macro(client, teammate, outsider):
    macro = Macro.objects.create(
        name="Shared", owner=teammate, shared=True, steps=[{"type": "close"}]
    )
    client.force_login(outsider)
    assert "Shared" in client.get(reverse("inbox:macros")).content.decode()
    assert client.get(reverse("inbox:macro_edit", args=[macro.pk])).status_code == 403
    assert client.post(reverse("inbox:macro_delete", args=[macro.pk])).status_code == 403
    client.force_login(teammate)
    assert client.post(reverse("inbox:macro_delete", args=[macro.pk])).status_code == 302
    assert not Macro.objects.exists()


def test_the_conversation_previews_a_macro_then_runs_it_as_the_teammate(logged_in, teammate):
    macro = Macro.objects.create(
        name="Thanks",
        owner=teammate,
        steps=[{"type": "add_tag", "tag": "thanked"}, {"type": "reply", "body": "Thank you!"}],
    )
    conversation = open_conversation()
    url = reverse("inbox:conversation", args=[conversation.pk])

    preview = logged_in.get(f"{url}?macro={macro.pk}").content.decode()
    assert "Macro “Thanks” will, as you:" in preview
    assert "Add tag “thanked”" in preview and "Thank you!" in preview
    assert tag_names(conversation) == []  # a preview changes nothing

    run = logged_in.post(reverse("inbox:run_macro", args=[conversation.pk, macro.pk]))
    assert run["Location"] == url
    page = logged_in.get(url).content.decode()
    assert "Ran the macro “Thanks”." in page
    assert "Ben via macro &quot;Thanks&quot; tagged this conversation thanked" in page
    assert tag_names(conversation) == ["thanked"]


def test_another_teammates_personal_macro_is_neither_previewed_nor_run(client, outsider, teammate):
    macro = Macro.objects.create(name="Mine", owner=teammate, steps=[{"type": "close"}])
    conversation = open_conversation()
    client.force_login(outsider)
    url = reverse("inbox:conversation", args=[conversation.pk])
    assert "will, as you" not in client.get(f"{url}?macro={macro.pk}").content.decode()
    assert (
        client.post(reverse("inbox:run_macro", args=[conversation.pk, macro.pk])).status_code == 404
    )
    conversation.refresh_from_db()
    assert conversation.state == "open"


def test_bulk_close_from_the_list_names_the_failures(logged_in, as_teammate):
    first, second, closed = open_conversation("A"), open_conversation("B"), open_conversation("C")
    services.conversation_close(conversation=closed, acting=as_teammate)

    response = logged_in.post(
        reverse("inbox:bulk"),
        {"conversations": [first.pk, second.pk, closed.pk], "action": "close", "next": "/inbox/"},
        follow=True,
    )

    page = response.content.decode()
    assert "Closed: 2 conversations." in page
    assert f"#{closed.pk}: already closed" in page
    assert set(Conversation.objects.values_list("state", flat=True)) == {"closed"}


def test_bulk_runs_a_macro_on_the_ticked_rows(logged_in, teammate):
    macro = Macro.objects.create(
        name="Tag it", owner=teammate, steps=[{"type": "add_tag", "tag": "bulk"}]
    )
    first, second = open_conversation("A"), open_conversation("B")
    response = logged_in.post(
        reverse("inbox:bulk"),
        {"conversations": [first.pk, second.pk], "action": "macro", "macro": macro.pk},
        follow=True,
    )
    assert "Ran the macro “Tag it”: 2 conversations." in response.content.decode()
    assert tag_names(first) == tag_names(second) == ["bulk"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "close"}, "Select at least one conversation."),
        ({"action": "close", "conversations": ["x"]}, "Conversation ids only."),
        ({"action": "close", "conversations": [str(n) for n in range(1, 502)]}, "at most 500"),
        ({"action": "add_tag", "conversations": ["1"]}, "Name the tag."),
        ({"action": "assign", "conversations": ["1"]}, "Pick a teammate or a team."),
    ],
)
def test_bulk_refuses_bad_input_in_words(logged_in, data, message):
    conversation = open_conversation()
    response = logged_in.post(reverse("inbox:bulk"), data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.state == "open"


def test_the_list_has_a_checkbox_per_row_and_every_form_needs_csrf(teammate):
    conversation = open_conversation()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(teammate)
    page = browser.get(reverse("inbox:list") + "?view=all").content.decode()
    assert f'name="conversations" value="{conversation.pk}" form="bulk-form"' in page
    refused = browser.post(
        reverse("inbox:bulk"), {"conversations": [conversation.pk], "action": "close"}
    )
    assert refused.status_code == 403
    macro = Macro.objects.create(name="M", owner=teammate, steps=[{"type": "close"}])
    assert (
        browser.post(reverse("inbox:run_macro", args=[conversation.pk, macro.pk])).status_code
        == 403
    )
    assert browser.post(reverse("inbox:macro_new"), {"name": "x"}).status_code == 403
    conversation.refresh_from_db()
    assert conversation.state == "open"
