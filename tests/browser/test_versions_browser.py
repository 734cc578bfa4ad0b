"""Versions in the builder, in headless Chromium: edit a live workflow → a draft (the live
version unchanged) → publish → the history shows two versions and what changed."""

import pytest

from tests.browser.conftest import WIDTHS, screenshot
from tests.workflows.helpers import make_workflow
from workflows.models import Workflow

pytestmark = pytest.mark.django_db(transaction=True)


def submit(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_editing_a_live_workflow_keeps_a_draft_until_it_is_published(
    login_as, live_server, admin_user, support_team
):
    from conversations.models import Team

    Team.objects.create(name="Billing")
    workflow = make_workflow(
        "Route billing questions",
        trigger="customer_first_message",
        steps=[{"type": "add_tag", "tag": "billing"}, {"type": "assign", "team": "Support"}],
    )
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/edit/")
    assert "Version 1 is live" in page.inner_text(".draft-banner")

    page.select_option("[name=s-1-team]", "Billing")
    submit(page, "button[name=action][value=save]")

    assert "Draft saved. Version 1 stays live until you publish." in page.inner_text(".messages")
    assert "You are editing a draft" in page.inner_text(".draft-banner")
    live = Workflow.objects.get(pk=workflow.pk)
    assert live.steps[1] == {"type": "assign", "team": "Support"}  # live unchanged
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, "versions-editor-draft")

    page.goto(f"{live_server.url}/workflows/")
    badge = page.locator(f"li[data-id='{workflow.pk}'] .badge")
    assert badge.inner_text() == "Live · draft pending"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, "versions-list-draft-pending")

    # Before publishing, the history compares the live version with the draft.
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/history/")
    assert page.locator(".version-changes li").all_inner_texts() == [
        "Step 2 changed: Assign to team “Support” → Assign to team “Billing”"
    ]
    assert page.locator(".versions-table tbody tr").count() == 1
    screenshot(page, "versions-history-draft")

    page.goto(f"{live_server.url}/workflows/{workflow.pk}/edit/")
    submit(page, ".draft-banner button:has-text('Publish')")

    assert page.url.endswith(f"/workflows/{workflow.pk}/history/")
    assert "Published version 2" in page.inner_text(".messages")
    rows = page.locator(".versions-table tbody tr")
    assert rows.count() == 2
    assert "Live version" in rows.nth(0).inner_text()
    assert admin_user.display_name in rows.nth(0).inner_text()  # who published it
    assert page.locator(".version-changes li").all_inner_texts() == [
        "Step 2 changed: Assign to team “Support” → Assign to team “Billing”"
    ]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, "versions-history")
    assert Workflow.objects.get(pk=workflow.pk).steps[1] == {"type": "assign", "team": "Billing"}

    page.set_viewport_size({"width": 1280, "height": 900})
    submit(page, "button[aria-label='Restore version 1']")
    assert "Restored version 1 as version 3." in page.inner_text(".messages")
    assert page.locator(".versions-table tbody tr").count() == 3
    screenshot(page, "versions-history-restored")


def test_the_report_splits_runs_by_version(login_as, live_server, teammate):
    from conversations import services
    from tests.factories import ContactFactory
    from tests.workflows.helpers import process
    from workflows.services import workflow_update

    workflow = make_workflow("Tagger", trigger="customer_first_message")
    process(services.conversation_open(contact=ContactFactory(), body="Hi"))
    workflow_update(
        workflow=workflow, document={**workflow.document(), "steps": [{"type": "close"}]}
    )
    for _ in range(2):
        process(services.conversation_open(contact=ContactFactory(), body="Hi"))
    page = login_as(teammate)

    page.goto(f"{live_server.url}/workflows/{workflow.pk}/report/")

    rows = page.locator(".by-version tbody tr")
    assert rows.nth(0).inner_text().split("\t")[0] == "Version 2"
    assert rows.nth(0).locator("td").nth(2).inner_text() == "2"
    assert rows.nth(1).locator("td").nth(2).inner_text() == "1"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, "versions-report")


def test_a_draft_is_replayed_against_the_live_version_then_published(
    login_as, live_server, admin_user
):
    from conversations import services
    from tests.factories import ContactFactory
    from tests.workflows.helpers import process

    pro = {
        "match": "all",
        "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Pro"}],
    }
    workflow = make_workflow("Greeter", frequency="every_time", audience=pro)
    for plan in ("Pro", "Free"):
        process(services.conversation_open(contact=ContactFactory(plan=plan), body="Hi"))
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/edit/")

    # Edit the live workflow: the targeting moves from Pro to Free, saved as a draft.
    page.select_option("[name=a-r-0-value]", "Free")
    submit(page, "button[name=action][value=save]")
    assert "You are editing a draft" in page.inner_text(".draft-banner")
    assert Workflow.objects.get(pk=workflow.pk).audience == pro  # live unchanged

    # Replay the draft over the past events: where it and the live version differ.
    page.select_option("[name=replay_source]", "form")
    page.click("#replay-button")
    page.locator("#replay-result .replay-differences").wait_for()
    differences = page.locator("#replay-result").inner_text()
    assert "The draft would start; the live version would not" in differences
    assert "The live version would start; the draft would not" in differences
    screenshot(page, "versions-draft-replayed")

    # Publish: the history shows both versions and what changed.
    submit(page, ".draft-banner button:has-text('Publish')")
    assert page.url.endswith(f"/workflows/{workflow.pk}/history/")
    assert page.locator(".versions-table tbody tr").count() == 2
    assert page.locator(".version-changes li").count() >= 1
    assert Workflow.objects.get(pk=workflow.pk).audience["rules"][0]["value"] == "Free"
