"""The customer Messenger in headless Chromium: a customer opens it by the token link,
writes, clicks a reply button, and sees the bot's next message arrive without a reload;
and every Messenger page's screenshot at 1280 and 390 pixels wide."""

import pytest
from playwright.sync_api import expect

from config.celery import app as celery_app
from conversations import services
from conversations.models import Conversation
from tests.browser.conftest import WIDTHS, screenshot
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process

pytestmark = pytest.mark.django_db(transaction=True)

POLL_TIMEOUT = 10_000  # ms: a few rounds of the Messenger's 3-second polling


@pytest.fixture
def customer_page(browser):
    """A browser page with no teammate login: the Messenger's contacts are not users."""
    contexts = []

    def open_page(width=1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def triage_workflow():
    return make_workflow(
        "Triage",
        trigger="customer_opened_conversation",
        steps=[
            {
                "type": "reply_buttons",
                "body": "Is this about sales or support?",
                "buttons": [
                    {
                        "label": "Sales",
                        "steps": [{"type": "send_message", "body": "Our sales team will call."}],
                    },
                    {
                        "label": "Support",
                        "steps": [{"type": "send_message", "body": "Support is on its way."}],
                    },
                ],
            }
        ],
    )


def test_a_customer_opens_the_messenger_by_link_and_answers_the_bot_without_reloading(
    customer_page, live_server
):
    # The worker is this test thread: the live server only queues the events.
    celery_app.conf.task_always_eager = False
    triage_workflow()
    contact = ContactFactory(name="Maya Okafor")
    page = customer_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/messenger/?token={contact.messenger_token}")
    expect(page).to_have_url(f"{live_server.url}/messenger/")
    expect(page.locator(".messenger-whoami")).to_contain_text("Maya Okafor")

    page.fill("textarea[name=body]", "Hello, I need a hand")
    with page.expect_navigation():
        page.click("button:has-text('Start conversation')")
    conversation = Conversation.objects.get(contact=contact)
    assert page.url == f"{live_server.url}/messenger/conversations/{conversation.pk}/"
    expect(page.locator(".from-customer")).to_contain_text("Hello, I need a hand")
    page.evaluate("window.notReloaded = true")

    process(conversation)  # the workflow asks, with buttons

    bot = page.locator(".from-bot").last
    expect(bot).to_contain_text("Is this about sales or support?", timeout=POLL_TIMEOUT)
    expect(bot.locator(".messenger-bot")).to_have_text("Bot")
    expect(page.locator(".messenger-buttons button")).to_have_text(["Sales", "Support"])

    page.click(".messenger-buttons button:has-text('Support')")
    expect(page.locator(".from-customer").last).to_contain_text("Support")
    expect(page.locator(".messenger-buttons")).to_have_count(0)
    assert conversation.parts.filter(part_type="customer_message").last().body == "Support"

    process(conversation)  # the run continues down the "Support" path

    expect(page.locator(".from-bot").last).to_contain_text(
        "Support is on its way.", timeout=POLL_TIMEOUT
    )
    assert page.evaluate("window.notReloaded") is True  # htmx did it all in place
    assert page.locator(".from-bot", has_text="Our sales team").count() == 0
    assert errors == []


def test_every_messenger_page_at_both_widths(customer_page, live_server, settings, teammate):
    triage_workflow()
    contact = ContactFactory(name="Maya Okafor")
    ContactFactory(name="Otto Berg")
    older = services.conversation_open(contact=contact, body="My invoice shows the wrong VAT")
    process(older)
    services.conversation_teammate_reply(
        conversation=older, teammate=teammate, body="Thanks, I have corrected it."
    )
    conversation = services.conversation_open(
        contact=contact, body="Can I change my plan?\n<script>alert('x')</script>"
    )
    process(conversation)
    link = f"{live_server.url}/messenger/?token={contact.messenger_token}"

    for width in WIDTHS:
        settings.MESSENGER_DEMO_PICKER = True
        page = customer_page(width)
        page.goto(f"{live_server.url}/messenger/")
        expect(page.locator("h1")).to_have_text("Pick a demo contact")
        screenshot(page, "messenger-picker")

        settings.MESSENGER_DEMO_PICKER = False
        page.goto(f"{live_server.url}/messenger/")
        expect(page.locator("h1")).to_have_text("Open the Messenger from your link")
        screenshot(page, "messenger-needs-link")
        page.goto(f"{live_server.url}/messenger/?token=nope")
        expect(page.locator("h1")).to_have_text("This Messenger link is not valid")
        screenshot(page, "messenger-invalid-link")

        page.goto(link)
        expect(page.locator(".messenger-list li")).to_have_count(2)
        screenshot(page, "messenger-home")
        page.click("button:has-text('Start conversation')")
        expect(page.locator(".errorlist")).to_contain_text("The message is empty.")
        screenshot(page, "messenger-home-error")

        page.goto(f"{live_server.url}/messenger/conversations/{conversation.pk}/")
        expect(page.locator(".messenger-buttons button")).to_have_count(2)
        expect(page.locator(".from-customer").first).to_contain_text("<script>alert('x')</script>")
        screenshot(page, "messenger-conversation-buttons")
        page.click(".messenger-composer button")
        expect(page.locator(".messenger-composer .errorlist")).to_contain_text(
            "The message is empty."
        )
        screenshot(page, "messenger-conversation-error")

        page.goto(f"{live_server.url}/messenger/conversations/{older.pk}/")
        expect(page.locator(".from-team")).to_contain_text("Thanks, I have corrected it.")
        screenshot(page, "messenger-conversation-reply")


def test_another_contacts_link_asks_before_switching(customer_page, live_server):
    maya = ContactFactory(name="Maya Okafor")
    otto = ContactFactory(name="Otto Berg")
    for width in WIDTHS:
        page = customer_page(width)
        page.goto(f"{live_server.url}/messenger/?token={maya.messenger_token}")
        expect(page).to_have_url(f"{live_server.url}/messenger/")

        page.goto(f"{live_server.url}/messenger/?token={otto.messenger_token}")

        expect(page).to_have_url(f"{live_server.url}/messenger/switch/")
        expect(page.locator("h1")).to_have_text("Switch to Otto Berg?")
        screenshot(page, "messenger-switch")
        page.click("button:has-text('Stay as Maya Okafor')")
        expect(page).to_have_url(f"{live_server.url}/messenger/")
        expect(page.locator(".messenger-whoami")).to_contain_text("Maya Okafor")

        page.goto(f"{live_server.url}/messenger/?token={otto.messenger_token}")
        page.click("button:has-text('Switch to Otto Berg')")
        expect(page).to_have_url(f"{live_server.url}/messenger/")
        expect(page.locator(".messenger-whoami")).to_contain_text("Otto Berg")
