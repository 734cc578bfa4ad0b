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


def test_an_http_step_shows_its_fields_and_on_failure_path_and_saves_unchanged(
    login_as, live_server, admin_user
):
    from tests.workflows.helpers import make_workflow

    steps = [
        {
            "type": "http_request",
            "method": "POST",
            "url": "https://crm.example/contacts/{{contact.email}}",
            "headers": {"Authorization": "Bearer {{secret.CRM_TOKEN}}"},
            "body": {"email": "{{contact.email}}"},
            "save": {"conversation.custom.plan": "data.plan"},
            "on_failure": [{"type": "add_tag", "tag": "Lookup failed"}],
        }
    ]
    # Paused: the builder saves it straight away (a live one's edits would be a draft).
    workflow = make_workflow(
        "Look up", trigger="customer_first_message", steps=steps, status="paused"
    )
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/edit/")

    step = page.locator("[data-form=s-0]")
    assert step.locator(":scope > .row > [data-field=url]").is_visible()
    assert step.locator(":scope > .row > [data-field=json_body]").is_visible()
    assert not step.locator(
        ":scope > .row > [data-field=body]"
    ).is_visible()  # the messages' text body
    assert "On failure" in step.inner_text()
    assert page.input_value("[name=s-0-p-else-0-tag]") == "Lookup failed"
    screenshot(page, "builder-http-step")

    submit(page, "button[value=save]")

    assert "Saved" in page.content(), page.inner_text("main")[-3000:]
    workflow.refresh_from_db()
    assert workflow.steps == steps
