"""The teammate inbox in headless Chromium: live updates and screenshots."""

import pytest

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation
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


def long_conversation(teammate, name="Maya Okafor", messages=24):
    conversation = services.conversation_open(contact=ContactFactory(name=name), body="Message 1")
    process(conversation)
    for number in range(2, messages + 1):
        services.conversation_customer_message(conversation=conversation, body=f"Message {number}")
    services.conversation_teammate_reply(
        conversation=conversation, teammate=teammate, body="The latest reply"
    )
    return conversation


def in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight + 1 && box.height > 0;
        }""",
        selector,
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_conversation_opens_at_its_latest_part_with_the_composer_in_view(
    login_as, live_server, teammate, width
):
    conversation = long_conversation(teammate)
    page = login_as(teammate, width=width)

    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")
    page.wait_for_function("document.readyState === 'complete'")

    assert in_viewport(page, "#composer textarea")
    assert in_viewport(page, "#composer button[value=reply]")
    latest = page.locator(".timeline-items .item").last
    assert "The latest reply" in latest.inner_text()
    assert latest.evaluate(
        "item => { const box = item.getBoundingClientRect();"
        " const composer = document.getElementById('composer').getBoundingClientRect();"
        " return box.top >= 0 && box.bottom <= composer.top + 1; }"
    )
    screenshot(page, "inbox-conversation-latest")


def test_keyboard_shortcuts_move_in_the_list_reply_and_close(login_as, live_server, teammate):
    for name in ("Aiko", "Liam", "Noor"):
        process(services.conversation_open(contact=ContactFactory(name=name), body=f"From {name}"))
    page = login_as(teammate)
    page.goto(f"{live_server.url}/inbox/?view=all")

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.closest('.conversation-row').dataset.id") == str(
        page.locator(".conversation-row").nth(1).get_attribute("data-id")
    )
    assert page.locator(".conversation-row.selected").count() == 1
    page.keyboard.press("?")
    assert page.locator("[data-shortcuts-help]").is_visible()
    second = page.locator(".conversation-row").nth(1).get_attribute("data-id")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/inbox/conversations/{second}/")

    # j beside a conversation opens the next one in the list.
    third = page.locator(".conversation-row").nth(2).get_attribute("data-id")
    page.keyboard.press("j")
    page.wait_for_url(f"**/inbox/conversations/{third}/")

    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "body"
    # Typing "e" in the composer is text, not a shortcut.
    page.keyboard.type("Thanks, we are on it")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".timeline-items >> text=Thanks, we are on it")
    closing = Conversation.objects.get(pk=third)
    assert closing.state == "open"

    page.keyboard.press("e")
    page.wait_for_selector(".conversation-head .badge.paused")
    closing.refresh_from_db()
    assert closing.state == "closed"


# 1024: a laptop, where the conversation shows with its details and the list is a link away.
@pytest.mark.parametrize("width", (*WIDTHS, 1024))
def test_long_tags_and_emails_wrap_without_widening_the_page(
    login_as, live_server, teammate, width
):
    tag = "customer-success-escalation-enterprise-renewal-priority-" + "x" * 8
    assert len(tag) == 64
    email = "maximiliana.konstantinopoulou-wolfeschlegelsteinhausen@example-enterprises.com"
    conversation = services.conversation_open(
        contact=ContactFactory(name="", email=email),
        body="Averyveryveryveryveryveryveryveryveryverylongwordwithoutanyspacesatalltowrap",
    )
    process(conversation)
    services.conversation_add_tag(conversation=conversation, name=tag, acting=Actor.system())
    page = login_as(teammate, width=width)

    for name, path in {
        "inbox-list-long": "/inbox/?view=all",
        "inbox-conversation-long": f"/inbox/conversations/{conversation.pk}/",
        "inbox-details-long": f"/inbox/conversations/{conversation.pk}/#details",
    }.items():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_function("document.readyState === 'complete'")
        assert tag in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        screenshot(page, name)
