"""The conversation's timeline in headless Chromium: run lines fold and unfold by keyboard,
and stay unfolded across the timeline's refreshes."""

import re

import pytest
from playwright.sync_api import expect

from conversations import services
from tests.browser.conftest import screenshot
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process

pytestmark = pytest.mark.django_db(transaction=True)

PRO = {"match": "all", "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]}
BIG = {"match": "all", "rules": [
    {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500}]}  # fmt: skip


@pytest.mark.parametrize("width", [1280, 390])
def test_a_run_line_expands_to_its_steps_by_keyboard_and_stays_open(
    login_as, live_server, teammate, support_team, width
):
    make_workflow("Route Pro customers", trigger="customer_first_message",
                  steps=[{"type": "add_tag", "tag": "VIP"}, {"type": "assign", "team": "Support"},
                         {"type": "send_message", "body": "Thanks! A teammate will answer shortly."}])  # fmt: skip
    make_workflow("Pro only", trigger="customer_first_message", audience=PRO)
    make_workflow("Big spenders", trigger="customer_first_message", audience=BIG)
    conversation = services.conversation_open(
        contact=ContactFactory(name="Maya Okafor", plan="Free", monthly_spend=20),
        body="Hello, my export fails",
    )
    process(conversation)

    page = login_as(teammate, width=width)
    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")
    run = page.locator("#timeline details.run-entry")
    expect(run.locator("summary")).to_contain_text(
        "Route Pro customers: tagged VIP, assigned to Support, sent a message"
    )
    steps = run.locator(".entry-steps")
    expect(steps).to_be_hidden()

    run.locator("summary").focus()
    page.keyboard.press("Enter")

    expect(steps).to_be_visible()
    expect(steps.locator("li")).to_have_text(
        [
            "Started: Customer sends their first message",
            "Tagged VIP",
            "Assigned to Support",
            "Sent a message",
            "Finished",
        ]
    )
    skips = page.locator("#timeline details.skips-entry")
    expect(skips.locator("summary")).to_contain_text("2 workflows did not start")
    skips.locator("summary").click()
    expect(skips.locator(".entry-steps")).to_contain_text("is Pro — was Free")
    expect(skips.locator(".entry-steps")).to_contain_text("500 — was 20")
    # Times are words, with the exact moment on hover.
    time = run.locator("summary time")
    expect(time).to_have_text("just now")
    expect(time).to_have_attribute(
        "title", re.compile(r"^\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC$")
    )
    screenshot(page, f"timeline-expanded-{width}")

    # The timeline refreshes every 3 s: what was expanded stays expanded, focus stays.
    with page.expect_response(lambda response: "partial=timeline" in response.url):
        pass
    page.wait_for_timeout(200)
    expect(steps).to_be_visible()
    expect(skips.locator(".entry-steps")).to_be_visible()
    expect(skips.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")
    expect(skips.locator(".entry-steps")).to_be_hidden()
    expect(steps).to_be_visible()


def test_a_run_that_changed_nothing_reads_quieter_than_one_that_did(
    login_as, live_server, teammate
):
    make_workflow("Tagger", trigger="customer_any_message", frequency="every_time",
                  steps=[{"type": "add_tag", "tag": "Known"}])  # fmt: skip
    conversation = services.conversation_open(contact=ContactFactory(name="Noor"), body="Hi")
    process(conversation)
    services.conversation_customer_message(conversation=conversation, body="Hello again")
    process(conversation)

    page = login_as(teammate)
    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")

    did, did_not = page.locator("#timeline details.run-entry").all()
    expect(did.locator("summary")).to_contain_text("Tagger: tagged Known")
    expect(did_not.locator("summary")).to_contain_text("Tagger: ran, changed nothing")
    expect(did_not).to_have_class(re.compile(r"\bunchanged\b"))
    ink = "rgb(29, 36, 51)"  # --ink: a run that changed something reads as text
    expect(did.locator("summary")).to_have_css("color", ink)
    expect(did_not.locator("summary")).not_to_have_css("color", ink)
    screenshot(page, "timeline-changed-nothing")
