"""Bulk actions on ticked rows and a macro run from the conversation, in Chromium."""

import pytest

from conversations import services
from conversations.models import Conversation
from tests.browser.axe import assert_accessible
from tests.browser.conftest import WIDTHS, screenshot
from tests.factories import ContactFactory
from tests.workflows.helpers import process
from workflows.models import Macro

pytestmark = pytest.mark.django_db(transaction=True)


def open_conversation(name, body="Hello"):
    conversation = services.conversation_open(contact=ContactFactory(name=name), body=body)
    process(conversation)
    return conversation


@pytest.mark.parametrize("width", WIDTHS)
def test_shift_click_ticks_three_rows_and_closes_them(login_as, live_server, teammate, width):
    for name in ("Maya", "Noor", "Liam", "Aiko"):
        open_conversation(name, f"Hello from {name}")
    page = login_as(teammate, width=width)
    page.goto(f"{live_server.url}/inbox/?view=all")
    boxes = page.locator("[data-row-check]")
    assert boxes.count() == 4

    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])

    assert [boxes.nth(i).is_checked() for i in range(4)] == [True, True, True, False]
    assert page.locator("[data-bulk-count]").inner_text() == "3 selected"
    assert page.locator("[data-bulk-field=snooze]").is_hidden()  # only the action's fields
    ticked = [int(boxes.nth(i).get_attribute("value")) for i in range(3)]
    assert_accessible(page, "inbox list with ticked rows")
    screenshot(page, "inbox-bulk-ticked")

    page.select_option("#bulk-form [name=action]", "close")
    page.click("text=Apply to selected")

    page.wait_for_selector("text=Closed: 3 conversations.")
    states = dict(Conversation.objects.values_list("pk", "state"))
    assert sorted(pk for pk, state in states.items() if state == "closed") == sorted(ticked)
    assert page.locator("[data-row-check]").count() == 1  # the open view keeps the fourth
    screenshot(page, "inbox-bulk-done")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_macro_is_previewed_then_run_from_the_conversation(
    login_as, live_server, teammate, width
):
    Macro.objects.create(
        name="Refund done",
        owner=teammate,
        shared=True,
        steps=[
            {"type": "add_tag", "tag": "refund"},
            {"type": "reply", "body": "Hi {{contact.name}}, your refund takes 3 to 5 days."},
            {"type": "close"},
        ],
    )
    conversation = open_conversation("Maya Okafor", "Where is my refund?")
    page = login_as(teammate, width=width)
    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")

    page.click("summary:has-text('Macros')")
    page.click(".macro-menu >> text=Refund done")

    preview = page.locator("[data-macro-preview]")
    preview.wait_for()
    assert preview.locator(".macro-steps li").all_inner_texts() == [
        "Add tag “refund”",
        "Reply “Hi {{contact.name}}, your refund takes 3 to 5 days.”",
        "Close the conversation",
    ]
    # The reply as this customer will read it: its placeholders filled in.
    reply = preview.locator(".macro-reply").inner_text()
    assert reply == "Hi Maya Okafor, your refund takes 3 to 5 days."
    conversation.refresh_from_db()
    assert conversation.state == "open"  # previewing changes nothing
    assert_accessible(page, "conversation with a macro preview")
    screenshot(page, "inbox-macro-preview")

    preview.locator("button:has-text('Run')").click()

    page.wait_for_selector("text=Ran the macro “Refund done”.")
    page.wait_for_selector('text=Ben via macro "Refund done" closed this conversation')
    assert page.locator(".timeline .who:has-text('via macro')").count() == 1  # the reply
    conversation.refresh_from_db()
    assert conversation.state == "closed"
    screenshot(page, "inbox-macro-ran")


def test_the_macros_page_makes_a_macro_from_step_rows(login_as, live_server, teammate):
    page = login_as(teammate)
    page.goto(f"{live_server.url}/inbox/macros/new/")
    page.fill("input[name=name]", "Escalate")
    page.fill("textarea[name=reply]", "A specialist will write to you.")
    page.select_option("select[name=steps-0-kind]", "add_tag")
    page.fill("input[name=steps-0-value]", "escalated")
    page.select_option("select[name=steps-1-kind]", "assign_team")
    page.fill("input[name=steps-1-value]", "Nobody")
    page.click("text=Save macro")

    page.wait_for_selector('text=No team named "Nobody".')
    assert_accessible(page, "macro form with an error")
    screenshot(page, "inbox-macro-form-error")

    page.select_option("select[name=steps-1-kind]", "priority")
    page.fill("input[name=steps-1-value]", "")
    page.click("text=Save macro")
    page.wait_for_selector("text=Saved the macro “Escalate”.")
    item = page.locator("[data-macro='Escalate'] .macro-steps li")
    assert item.all_inner_texts() == [
        "Reply “A specialist will write to you.”",
        "Add tag “escalated”",
        "Mark as priority",
    ]
    assert_accessible(page, "macros page")
    screenshot(page, "inbox-macros")
