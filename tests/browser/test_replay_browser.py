"""The builder's Replay panel in headless Chromium: the form's unsaved edits replayed
over past events, with the differences from the live version."""

import pytest

from conversations import services
from tests.browser.conftest import screenshot
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process

pytestmark = pytest.mark.django_db(transaction=True)

PRO = {"match": "all", "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]}


def test_the_replay_panel_shows_what_the_edited_form_would_have_done(
    login_as, live_server, admin_user
):
    workflow = make_workflow("Greeter", frequency="every_time", audience=PRO)
    conversations = {}
    for plan in ("Pro", "Free"):
        conversations[plan] = services.conversation_open(
            contact=ContactFactory(plan=plan), body="Hi"
        )
        process(conversations[plan])
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/edit/")

    # The saved version first: one start, one skip with the rule that failed.
    page.select_option("[name=replay_source]", "live")
    page.click("#replay-button")
    result = page.locator("#replay-result .replay-result")
    result.wait_for()
    assert "2 past events examined over 7 days" in result.inner_text()
    assert "would start 1" in result.inner_text()
    assert f"#{conversations['Free'].pk} ✘ Would not start" in result.inner_text()

    # An unsaved edit (targeting Free instead of Pro) replayed: where it differs.
    page.select_option("[name=a-r-0-value]", "Free")
    page.select_option("[name=replay_source]", "form")
    page.fill("[name=replay_days]", "3")
    page.click("#replay-button")
    page.locator("#replay-result .replay-differences").wait_for()
    text = page.locator("#replay-result").inner_text()
    assert "over 3 days" in text
    assert "The draft would start; the live version would not" in text
    assert "The live version would start; the draft would not" in text
    assert "Add tag “Greeter”" in text
    page.locator("#replay-panel").scroll_into_view_if_needed()
    screenshot(page, "builder-replay-panel")
    page.screenshot(
        path=str(screenshot(page, "builder-replay-panel").with_name("replay-panel-1280.png")),
        clip=page.locator("#replay-panel").bounding_box(),
    )

    # A bad number of days is said beside the panel, nothing replayed.
    page.fill("[name=replay_days]", "0")
    page.click("#replay-button")
    page.locator("#replay-result .errors").wait_for()
    assert 'Say how many days back, e.g. "7d"' in page.locator("#replay-result").inner_text()
