"""The builder's placeholder menu: it inserts at the cursor, by mouse and by keyboard, and
the saved step sends the rendered text."""

import pytest

from conversations import services
from tests.browser.conftest import screenshot
from tests.browser.test_builder_browser import add_step, submit
from tests.factories import ContactFactory
from tests.workflows.helpers import process
from workflows.models import Workflow

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_menu_inserts_a_placeholder_at_the_cursor_and_the_message_carries_the_value(
    login_as, live_server, admin_user
):
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/new/?blank=1")
    page.fill("[name=name]", "Greeter")
    page.select_option("[name=status]", "live")
    page.select_option("[name=trigger]", "customer_first_message")
    add_step(page, "s", "send_message")
    body = page.locator("[name=s-0-body]")
    body.fill("Hi , welcome!")
    body.evaluate("field => field.setSelectionRange(3, 3)")  # after "Hi "

    menu = page.locator("[data-form=s-0] [data-field=body] [data-placeholder-menu]")
    menu.locator("summary").click()
    screenshot(page, "builder-placeholder-menu")
    menu.get_by_role("button", name="Contact name").click()

    assert body.input_value() == "Hi {{contact.name}}, welcome!"
    assert page.evaluate("document.activeElement.name") == "s-0-body"

    # By keyboard: the menu opens with Enter, Tab reaches a choice, Enter inserts it.
    body.press("End")
    menu.locator("summary").focus()
    page.keyboard.press("Enter")
    menu.get_by_role("button", name="Company name").focus()
    page.keyboard.press("Enter")
    assert body.input_value() == "Hi {{contact.name}}, welcome!{{company.name}}"

    body.fill('Hi {{contact.name | fallback: "there"}}, welcome!')
    submit(page, "button[value=save]")

    assert "Saved" in page.content(), page.inner_text("main")[:2000]
    assert Workflow.objects.get(name="Greeter").steps == [
        {"type": "send_message", "body": 'Hi {{contact.name | fallback: "there"}}, welcome!'}
    ]
    conversation = services.conversation_open(contact=ContactFactory(name="Maya"), body="Hello")
    process(conversation)
    sent = conversation.parts.filter(part_type="bot_message").values_list("body", flat=True)
    assert list(sent) == ["Hi Maya, welcome!"]


def test_an_unknown_placeholder_is_refused_beside_its_field(login_as, live_server, admin_user):
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/new/?blank=1")
    page.fill("[name=name]", "Typo")
    page.select_option("[name=trigger]", "customer_first_message")
    add_step(page, "s", "add_note")
    page.fill("[name=s-0-body]", "For {{contact.nmae}}")

    submit(page, "button[value=save]")

    error = page.locator("[data-form=s-0] [data-field=body] .errors")
    assert "Unknown placeholder {{contact.nmae}}" in error.inner_text()
    screenshot(page, "builder-placeholder-error")
    assert not Workflow.objects.filter(name="Typo").exists()
