"""The teammate inbox in headless Chromium: live updates and screenshots."""

import pytest

from conversations import services
from conversations.actors import Actor
from tests.browser.conftest import WIDTHS, screenshot
from tests.factories import ContactFactory, SlaPolicyFactory
from tests.workflows.helpers import make_workflow, process

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_inbox_updates_without_a_reload_when_a_customer_writes(login_as, live_server, teammate):
    conversation = services.conversation_open(contact=ContactFactory(name="Maya"), body="First")
    process(conversation)
    page = login_as(teammate)
    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")

    services.conversation_customer_message(conversation=conversation, body="Are you there?")

    page.wait_for_selector("text=Are you there?", timeout=10_000)


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_of_the_inbox_pages(login_as, live_server, teammate, support_team, width):
    make_workflow("Support routing", trigger="customer_first_message",
                  steps=[{"type": "add_tag", "tag": "Projects"}, {"type": "send_message", "body": "Thanks! We're on it."}])  # fmt: skip
    policy = SlaPolicyFactory(name="Premium Support")
    conversation = services.conversation_open(
        contact=ContactFactory(name="Maya Okafor", plan="Premium"),
        body="About my project: the export fails",
    )
    process(conversation)
    services.conversation_apply_sla(conversation=conversation, policy=policy, acting=Actor.system())
    services.conversation_add_note(
        conversation=conversation, body="Customer since 2019", acting=Actor.teammate(teammate)
    )
    for name in ("Noor", "Liam", "Aiko"):
        process(
            services.conversation_open(contact=ContactFactory(name=name), body=f"Hello from {name}")
        )
    page = login_as(teammate, width=width)

    for name, path in {
        "inbox-list": "/inbox/?view=all",
        "inbox-conversation": f"/inbox/conversations/{conversation.pk}/",
    }.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200
        assert screenshot(page, name).stat().st_size > 5_000
    # An error beside the field: a reply of blanks only (the browser lets it through).
    page.fill("textarea[name=body]", "   ")
    page.click("button[name=kind][value=reply]")
    page.wait_for_selector(".field-error")
    screenshot(page, "inbox-conversation-error")
