"""The customer Messenger with the Django test client."""

import pytest
from django.test import Client
from django.urls import reverse

from conversations import services, validation
from conversations.actors import Actor
from conversations.models import Contact, Conversation, Part
from inbox.messenger_views import SESSION_KEY
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db

HOME = reverse("messenger:home")
SWITCH = reverse("messenger:switch")


def detail_url(conversation):
    return reverse("messenger:conversation", args=[conversation.pk])


def timeline_url(conversation):
    return reverse("messenger:timeline", args=[conversation.pk])


@pytest.fixture
def as_contact(client, contact):
    """A browser signed in to the Messenger as `contact` (through its token link)."""
    response = client.get(HOME, {"token": contact.messenger_token})
    assert response.status_code == 302
    return client


@pytest.fixture
def other_contact(db):
    return ContactFactory(name="Otto Berg")


def open_as(contact, body="Hello"):
    conversation = services.conversation_open(
        contact=contact, body=body, acting=Actor.contact(contact)
    )
    process(conversation)
    return conversation


# --- who is the customer ----------------------------------------------------------------


def test_the_token_link_signs_the_contact_in_and_drops_the_token_from_the_address(client, contact):
    response = client.get(HOME, {"token": contact.messenger_token})

    assert response.status_code == 302 and response["Location"] == HOME
    assert client.session[SESSION_KEY] == contact.pk
    page = client.get(HOME)
    assert page.status_code == 200
    assert "Maya Okafor" in page.content.decode()
    assert "Start a new conversation" in page.content.decode()


@pytest.mark.parametrize("token", ["not-a-token", "", " ", "x" * 5000])
def test_an_unknown_token_says_the_link_is_not_valid(client, contact, token):
    response = client.get(HOME, {"token": token})

    assert response.status_code == 404
    assert "This Messenger link is not valid" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_the_token_link_starts_a_new_session_key(client, contact):
    client.get(HOME)
    before = client.session.session_key

    client.get(HOME, {"token": contact.messenger_token})

    assert client.session.session_key != before


@pytest.mark.parametrize("query", ["%C3%A4" * 10, "x" * 65, "a&token=b", "a.b"])
def test_a_malformed_token_says_the_link_is_not_valid(client, contact, query):
    response = client.get(f"{HOME}?token={query}")

    assert response.status_code == 404
    assert "This Messenger link is not valid" in response.content.decode()
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("query", ["a%00b", "a%ED%A0%80b", "%FF%FE"])
def test_a_token_that_is_not_text_is_refused_before_the_messenger(client, contact, query):
    response = client.get(f"{HOME}?token={query}")

    assert response.status_code == 400
    assert SESSION_KEY not in client.session


def test_every_messenger_page_keeps_the_referer_to_itself(as_contact, contact):
    conversation = open_as(contact)
    responses = [
        as_contact.get(HOME),
        as_contact.get(HOME, {"token": contact.messenger_token}),
        as_contact.get(detail_url(conversation)),
        as_contact.get(timeline_url(conversation)),
        Client().get(HOME, {"token": "nope"}),
    ]

    assert [r["Referrer-Policy"] for r in responses] == ["same-origin"] * len(responses)


def test_another_contacts_link_asks_before_switching_and_keeps_the_token_out_of_the_address(
    as_contact, contact, other_contact
):
    response = as_contact.get(HOME, {"token": other_contact.messenger_token})

    assert response.status_code == 302 and response["Location"] == SWITCH
    assert as_contact.session[SESSION_KEY] == contact.pk  # nothing switched yet
    page = as_contact.get(SWITCH).content.decode()
    assert "Maya Okafor" in page and "Otto Berg" in page
    assert other_contact.messenger_token not in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_confirming_the_switch_signs_in_as_the_other_contact(as_contact, other_contact):
    as_contact.get(HOME, {"token": other_contact.messenger_token})
    before = as_contact.session.session_key

    response = as_contact.post(SWITCH, {"choice": "switch"})

    assert response.status_code == 302 and response["Location"] == HOME
    assert as_contact.session[SESSION_KEY] == other_contact.pk
    assert as_contact.session.session_key != before
    assert "Otto Berg" in as_contact.get(HOME).content.decode()


def test_declining_the_switch_keeps_the_current_contact(as_contact, contact, other_contact):
    as_contact.get(HOME, {"token": other_contact.messenger_token})

    response = as_contact.post(SWITCH, {"choice": "stay"})

    assert response.status_code == 302 and response["Location"] == HOME
    assert as_contact.session[SESSION_KEY] == contact.pk
    assert "Maya Okafor" in as_contact.get(HOME).content.decode()
    # The offer is gone: confirming afterwards switches nothing.
    as_contact.post(SWITCH, {"choice": "switch"})
    assert as_contact.session[SESSION_KEY] == contact.pk


def test_the_switch_needs_the_csrf_token(contact, other_contact):
    browser = Client(enforce_csrf_checks=True)
    browser.get(HOME, {"token": contact.messenger_token})
    browser.get(HOME, {"token": other_contact.messenger_token})

    assert browser.post(SWITCH, {"choice": "switch"}).status_code == 403
    assert browser.session[SESSION_KEY] == contact.pk


def test_the_switch_page_without_an_offer_goes_home(as_contact, contact):
    assert as_contact.get(SWITCH)["Location"] == HOME
    assert as_contact.post(SWITCH, {"choice": "switch"})["Location"] == HOME
    assert as_contact.session[SESSION_KEY] == contact.pk


def test_the_own_link_again_needs_no_confirmation(as_contact, contact):
    response = as_contact.get(HOME, {"token": contact.messenger_token})

    assert response["Location"] == HOME
    assert as_contact.session[SESSION_KEY] == contact.pk


def test_rotating_the_token_signs_out_the_sessions_it_opened(as_contact, contact, settings):
    settings.MESSENGER_DEMO_PICKER = False
    conversation = open_as(contact)
    services.contact_messenger_token_rotate(contact=contact)

    assert "Open the Messenger from your link" in as_contact.get(HOME).content.decode()
    assert as_contact.get(detail_url(conversation))["Location"] == HOME
    assert as_contact.get(timeline_url(conversation)).status_code == 404
    assert SESSION_KEY not in as_contact.session


def test_a_switch_offered_before_a_rotation_is_void(as_contact, contact, other_contact):
    as_contact.get(HOME, {"token": other_contact.messenger_token})
    services.contact_messenger_token_rotate(contact=other_contact)

    as_contact.post(SWITCH, {"choice": "switch"})

    assert as_contact.session[SESSION_KEY] == contact.pk


def test_without_a_contact_the_demo_picker_lists_contacts_and_picking_signs_in(
    client, settings, contact, other_contact
):
    settings.MESSENGER_DEMO_PICKER = True
    page = client.get(HOME).content.decode()
    assert "Pick a demo contact" in page
    assert "Maya Okafor" in page and "Otto Berg" in page

    response = client.post(reverse("messenger:pick"), {"contact": other_contact.pk})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == other_contact.pk
    assert "Otto Berg" in client.get(HOME).content.decode()


@pytest.mark.parametrize("value", ["", "abc", "999999", "1" * 40])
def test_picking_a_missing_contact_is_a_404(client, settings, contact, value):
    settings.MESSENGER_DEMO_PICKER = True
    assert client.post(reverse("messenger:pick"), {"contact": value}).status_code == 404
    assert SESSION_KEY not in client.session


def test_without_the_demo_picker_the_page_asks_for_the_link_and_picking_is_refused(
    client, settings, contact
):
    settings.MESSENGER_DEMO_PICKER = False
    response = client.get(HOME)
    page = response.content.decode()

    assert response.status_code == 200
    assert "Open the Messenger from your link" in page
    assert "Maya Okafor" not in page
    assert client.post(reverse("messenger:pick"), {"contact": contact.pk}).status_code == 404
    assert SESSION_KEY not in client.session


def test_signing_out_forgets_the_contact_but_keeps_a_teammate_signed_in(
    as_contact, teammate, settings
):
    settings.MESSENGER_DEMO_PICKER = False
    as_contact.force_login(teammate)

    response = as_contact.post(reverse("messenger:sign_out"))

    assert response.status_code == 302
    assert SESSION_KEY not in as_contact.session
    assert "Open the Messenger from your link" in as_contact.get(HOME).content.decode()
    assert as_contact.session["_auth_user_id"] == str(teammate.pk)


def test_a_deleted_contact_is_signed_out(as_contact, contact, settings):
    settings.MESSENGER_DEMO_PICKER = False
    Contact.objects.filter(pk=contact.pk).delete()
    assert "Open the Messenger from your link" in as_contact.get(HOME).content.decode()
    assert SESSION_KEY not in as_contact.session


def test_every_post_needs_the_csrf_token(contact):
    browser = Client(enforce_csrf_checks=True)
    browser.get(HOME, {"token": contact.messenger_token})
    conversation = open_as(contact)

    assert browser.post(HOME, {"body": "Hi"}).status_code == 403
    assert browser.post(detail_url(conversation), {"body": "Hi"}).status_code == 403
    assert browser.post(reverse("messenger:sign_out")).status_code == 403
    assert Conversation.objects.count() == 1
    assert conversation.parts.filter(part_type="customer_message").count() == 1


# --- the contact's conversations ----------------------------------------------------------


def test_the_home_page_lists_only_the_contacts_conversations_newest_first_with_a_preview(
    as_contact, contact, other_contact, teammate
):
    older = open_as(contact, "My invoice is wrong")
    newer = open_as(contact, "The export fails")
    open_as(other_contact, "Someone else's problem")
    services.conversation_add_note(
        conversation=newer, body="Internal: check the logs", acting=Actor.teammate(teammate)
    )

    page = as_contact.get(HOME).content.decode()

    assert "Someone else" not in page
    assert "Internal: check the logs" not in page  # the note is not a preview
    assert page.index("You: The export fails") < page.index("You: My invoice is wrong")
    assert detail_url(older) in page and detail_url(newer) in page

    services.conversation_teammate_reply(conversation=older, teammate=teammate, body="Fixed it!")
    page = as_contact.get(HOME).content.decode()
    assert page.index("Fixed it!") < page.index("The export fails")  # latest activity first


def test_starting_a_conversation_opens_it_as_the_contact(as_contact, contact):
    response = as_contact.post(HOME, {"body": "  I cannot log in  "})

    conversation = Conversation.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(conversation)
    assert conversation.contact == contact
    assert conversation.channel == Conversation.Channel.MESSENGER
    message = conversation.parts.get(part_type="customer_message")
    assert message.body == "I cannot log in"
    assert (message.author_type, message.author_id) == ("contact", contact.pk)
    assert "I cannot log in" in as_contact.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", validation.BODY_EMPTY),
        ("   \n ", validation.BODY_EMPTY),
        ("x" * (validation.MAX_BODY_LENGTH + 1), validation.BODY_TOO_LONG),
    ],
)
def test_an_empty_or_oversized_first_message_shows_the_error_and_saves_nothing(
    as_contact, body, error
):
    response = as_contact.post(HOME, {"body": body})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="messenger-field field-error"' in page
    assert error in page
    assert Conversation.objects.count() == 0 and Part.objects.count() == 0


def test_a_message_of_exactly_the_maximum_length_is_accepted(as_contact):
    as_contact.post(HOME, {"body": "x" * validation.MAX_BODY_LENGTH})
    assert Conversation.objects.count() == 1


def test_a_post_without_a_contact_saves_nothing(client):
    assert client.post(HOME, {"body": "Hello"}).status_code == 302
    assert Conversation.objects.count() == 0


# --- one conversation ---------------------------------------------------------------------


def test_the_conversation_shows_what_the_customer_may_see_and_no_internal_parts(
    as_contact, contact, teammate, support_team
):
    conversation = open_as(contact, "Where is my order?")
    services.conversation_add_note(
        conversation=conversation, body="VIP, be quick", acting=Actor.teammate(teammate)
    )
    services.conversation_assign(
        conversation=conversation, team=support_team, acting=Actor.teammate(teammate)
    )
    services.conversation_bot_message(
        conversation=conversation,
        body="A teammate will answer soon.",
        acting=Actor.workflow(1, "Secret routing workflow"),
    )
    services.conversation_teammate_reply(
        conversation=conversation, teammate=teammate, body="It ships today."
    )

    response = as_contact.get(detail_url(conversation))
    page = response.content.decode()

    assert response.status_code == 200
    assert 'class="messenger-part from-customer"' in page
    assert "Where is my order?" in page
    assert 'class="messenger-part from-bot"' in page
    assert "A teammate will answer soon." in page
    assert 'class="badge messenger-bot">Bot<' in page
    assert 'class="messenger-part from-team"' in page
    assert "It ships today." in page and "Ben" in page
    assert "VIP, be quick" not in page
    assert "Secret routing workflow" not in page
    assert "Support" not in page.split('id="messenger-live"')[1]  # no assignment part
    # Pushed (data-live-stream), with a slow poll should the stream drop.
    assert 'hx-trigger="live, every 20s"' in page
    assert f'data-live-stream="{detail_url(conversation)}live/"' in page


def test_bodies_are_escaped_everywhere(as_contact, contact, teammate):
    conversation = open_as(contact, "<script>alert(1)</script>")
    services.conversation_teammate_reply(
        conversation=conversation, teammate=teammate, body="<b>bold</b><script>x()</script>"
    )

    for url in (HOME, detail_url(conversation), timeline_url(conversation)):
        page = as_contact.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "<script>x()</script>" not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;" in page


def test_the_customer_writes_in_the_conversation(as_contact, contact):
    conversation = open_as(contact)

    response = as_contact.post(detail_url(conversation), {"body": "Any news?"})

    assert response.status_code == 302 and response["Location"] == detail_url(conversation)
    message = conversation.parts.filter(part_type="customer_message").last()
    assert (message.body, message.author_type, message.author_id) == (
        "Any news?",
        "contact",
        contact.pk,
    )
    assert "Any news?" in as_contact.get(detail_url(conversation)).content.decode()


def test_writing_in_a_closed_conversation_reopens_it(as_contact, contact, teammate):
    conversation = open_as(contact)
    services.conversation_close(conversation=conversation, acting=Actor.teammate(teammate))
    assert (
        "This conversation is closed" in as_contact.get(detail_url(conversation)).content.decode()
    )

    as_contact.post(detail_url(conversation), {"body": "It happened again"})

    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.OPEN


@pytest.mark.parametrize(
    ("body", "error"),
    [("", validation.BODY_EMPTY), ("y" * 10_001, validation.BODY_TOO_LONG)],
)
def test_an_empty_or_oversized_reply_shows_the_error_and_saves_nothing(
    as_contact, contact, body, error
):
    conversation = open_as(contact)
    parts = conversation.parts.count()
    events = conversation.events.count()

    response = as_contact.post(detail_url(conversation), {"body": body})

    assert response.status_code == 400
    page = response.content.decode()
    assert error in page and "field-error" in page
    assert "Hello" in page  # the timeline is still there
    assert conversation.parts.count() == parts and conversation.events.count() == events


def test_another_contacts_conversation_answers_404_and_takes_no_message(as_contact, other_contact):
    theirs = open_as(other_contact, "Private matter")
    parts = theirs.parts.count()

    assert as_contact.get(detail_url(theirs)).status_code == 404
    assert as_contact.get(timeline_url(theirs)).status_code == 404
    assert as_contact.post(detail_url(theirs), {"body": "Let me in"}).status_code == 404
    assert as_contact.post(detail_url(theirs), {"body": ""}).status_code == 404
    assert theirs.parts.count() == parts
    missing = reverse("messenger:conversation", args=[999999])
    assert as_contact.get(missing).status_code == 404


def test_without_a_contact_a_conversation_is_not_reachable(client, contact):
    conversation = open_as(contact, "Private matter")

    assert client.get(detail_url(conversation))["Location"] == HOME
    assert client.get(timeline_url(conversation)).status_code == 404
    assert client.post(detail_url(conversation), {"body": "Hi"}).status_code == 404
    assert conversation.parts.filter(part_type="customer_message").count() == 1


def test_the_timeline_partial_answers_204_until_something_visible_changes(
    as_contact, contact, teammate
):
    conversation = open_as(contact)
    first = as_contact.get(timeline_url(conversation))
    assert first.status_code == 200
    version = first.content.decode().split('data-version="')[1].split('"')[0]

    assert as_contact.get(timeline_url(conversation), {"v": version}).status_code == 204
    services.conversation_add_note(
        conversation=conversation, body="internal", acting=Actor.teammate(teammate)
    )
    assert as_contact.get(timeline_url(conversation), {"v": version}).status_code == 204

    services.conversation_teammate_reply(
        conversation=conversation, teammate=teammate, body="Here to help"
    )
    changed = as_contact.get(timeline_url(conversation), {"v": version})
    assert changed.status_code == 200
    assert "Here to help" in changed.content.decode()
    assert "<html" not in changed.content.decode()  # a partial, not a page


# --- workflows through the Messenger ------------------------------------------------------


def test_reply_buttons_show_and_clicking_one_continues_the_run(as_contact):
    workflow = make_workflow(
        "Triage",
        trigger="customer_opened_conversation",
        steps=[
            {
                "type": "reply_buttons",
                "body": "Sales or support?",
                "buttons": [
                    {
                        "label": "Sales",
                        "steps": [{"type": "send_message", "body": "Sales will call you."}],
                    },
                    {
                        "label": "Support & <help>",
                        "steps": [{"type": "send_message", "body": "Support is on it."}],
                    },
                ],
            }
        ],
    )
    as_contact.post(HOME, {"body": "Hi there"})
    conversation = Conversation.objects.get()
    process(conversation)

    page = as_contact.get(detail_url(conversation)).content.decode()
    assert "Sales or support?" in page
    assert '<button type="submit" name="body" value="Sales">Sales</button>' in page
    assert (
        '<button type="submit" name="body" value="Support &amp; &lt;help&gt;">'
        "Support &amp; &lt;help&gt;</button>"
    ) in page
    run = WorkflowRun.objects.get(conversation=conversation, workflow=workflow)
    assert run.status == WorkflowRun.Status.WAITING

    as_contact.post(detail_url(conversation), {"body": "Support & <help>"})
    process(conversation)

    run.refresh_from_db()
    assert run.status == WorkflowRun.Status.COMPLETED
    page = as_contact.get(detail_url(conversation)).content.decode()
    assert "Support is on it." in page and "Sales will call you." not in page
    assert 'name="body" value="Sales"' not in page  # the buttons went with the answer


def test_a_collect_data_question_is_answered_with_the_message_box(as_contact, contact):
    make_workflow(
        "Ask size",
        trigger="customer_opened_conversation",
        steps=[
            {"type": "collect_data", "body": "How big is your team?", "attribute": "custom.size"},
            {"type": "send_message", "body": "Thanks!"},
        ],
    )
    as_contact.post(HOME, {"body": "Hello"})
    conversation = Conversation.objects.get()
    process(conversation)

    page = as_contact.get(detail_url(conversation)).content.decode()
    assert "How big is your team?" in page
    assert "Type your answer in the message box below." in page
    assert 'name="body" value=' not in page  # no buttons

    as_contact.post(detail_url(conversation), {"body": "12"})
    process(conversation)

    contact.refresh_from_db()
    assert contact.custom_attributes["size"] == "12"
    page = as_contact.get(detail_url(conversation)).content.decode()
    assert "Thanks!" in page and "Type your answer" not in page


def test_buttons_disappear_when_a_teammate_interrupts_the_bot(client, teammate):
    make_workflow(
        "Ask", trigger="customer_opened_conversation",
        steps=[{"type": "reply_buttons", "body": "Sales or support?",
                "buttons": [{"label": "Sales", "steps": []}]}],
    )  # fmt: skip
    contact = ContactFactory()
    conversation = services.conversation_open(contact=contact, body="Hi")
    process(conversation)
    client.get(f"/messenger/?token={contact.messenger_token}")
    url = f"/messenger/conversations/{conversation.pk}/"
    assert "Sales" in client.get(url).content.decode()

    services.conversation_assign(
        conversation=conversation, assignee=teammate, acting=Actor.teammate(teammate)
    )
    process(conversation)

    assert 'value="Sales"' not in client.get(url).content.decode()


def test_guessing_links_is_throttled_per_address_and_real_links_still_work(settings, contact):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "failed_token_burst": "3/min",
            "failed_token_sustained": "60/hour",
        },
    }
    guesser = Client(REMOTE_ADDR="203.0.113.9")

    statuses = [guesser.get(HOME, {"token": f"guess{n}"}).status_code for n in range(5)]

    assert statuses == [404, 404, 404, 429, 429]
    assert (
        Client(REMOTE_ADDR="203.0.113.9").get(HOME, {"token": contact.messenger_token}).status_code
        == 302
    )
