"""Customer, workflow and teammate together, each in their own browser."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_writes_a_workflow_acts_a_teammate_replies_and_the_customer_sees_it(
    browser, login_as, live_server, teammate
):
    # Tasks run inline on commit (tests run Celery eagerly): the workflow acts at once.
    make_workflow(
        "Welcome",
        trigger="customer_first_message",
        steps=[
            {"type": "add_tag", "tag": "New question"},
            {"type": "send_message", "body": "Thanks! A teammate will answer shortly."},
        ],
    )
    contact = ContactFactory(name="Maya Okafor")
    customer = browser.new_context(viewport={"width": 390, "height": 860}).new_page()
    customer.goto(f"{live_server.url}/messenger/?token={contact.messenger_token}")
    customer.fill("textarea[name=body]", "Hello, my export fails")
    with customer.expect_navigation():
        customer.click("button:has-text('Start conversation')")
    expect(customer.locator("body")).to_contain_text("Thanks! A teammate will answer shortly.")
    conversation_url = customer.url

    inbox = login_as(teammate)
    inbox.goto(f"{live_server.url}/inbox/?view=all")
    inbox.click("text=Maya Okafor")
    timeline = inbox.locator("#timeline")
    expect(timeline).to_contain_text("Hello, my export fails")
    expect(timeline).to_contain_text("Thanks! A teammate will answer shortly.")
    expect(timeline).to_contain_text("Welcome: tagged New question, sent a message")
    inbox.fill("textarea[name=body]", "Hi Maya, could you send a screenshot?")
    with inbox.expect_navigation():
        inbox.click("button[name=kind][value=reply]")
    screenshot(inbox, "e2e-inbox-after-reply")

    customer.evaluate("window.__not_reloaded = true")
    expect(customer.locator("body")).to_contain_text(
        "Hi Maya, could you send a screenshot?", timeout=10_000
    )
    assert customer.evaluate("window.__not_reloaded") is True
    assert customer.url == conversation_url
    screenshot(customer, "e2e-messenger-sees-reply")
    customer.context.close()
