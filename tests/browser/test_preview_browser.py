"""The builder's live outline and diagram in headless Chromium: edits show without a
page load."""

import pytest

from tests.browser.conftest import screenshot
from tests.factories import SlaPolicyFactory
from tests.workflows.helpers import make_workflow

pytestmark = pytest.mark.django_db(transaction=True)

SEED_EXAMPLE_STEPS = [
    {"type": "add_tag", "tag": "VIP"},
    {"type": "apply_rules", "rules": [
        {"when": {"match": "all", "rules": [
            {"attribute": "contact.plan", "operator": "is", "value": "Premium"}]},
         "steps": [{"type": "apply_sla", "sla": "Premium Support"}]},
        {"when": {"match": "all", "rules": [
            {"attribute": "message.body", "operator": "contains", "value": "project"}]},
         "steps": [{"type": "add_tag", "tag": "Projects"}]}]},
    {"type": "assign", "team": "Support"},
]  # fmt: skip


def test_editing_a_rule_updates_the_outline_and_diagram_without_a_page_load(
    login_as, live_server, admin_user, support_team
):
    SlaPolicyFactory(name="Premium Support")
    workflow = make_workflow(
        "Route Pro customers",
        trigger="customer_first_message",
        audience={"match": "all", "rules": [
            {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
            {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500}]},
        steps=SEED_EXAMPLE_STEPS,
    )  # fmt: skip
    page = login_as(admin_user)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/edit/")
    outline = page.locator("#builder-preview [data-outline]")
    diagram = page.locator("#builder-preview svg[data-diagram]")
    assert "Monthly spend is greater than 500" in outline.inner_text()
    loaded = len(navigations)

    page.fill("[name=a-r-1-value]", "750")
    page.locator("#builder-preview [data-outline]", has_text="greater than 750").wait_for()
    assert diagram.locator("text", has_text="greater than 750").count() == 1

    page.fill("[name=s-0-tag]", "Gold")
    page.locator("#builder-preview svg text", has_text="Add tag “Gold”").wait_for()
    assert len(navigations) == loaded  # no page load: only the preview was swapped
    page.evaluate("document.getElementById('builder-preview').scrollIntoView()")
    path = screenshot(page, "builder-preview-diagram")
    assert path.exists()
    box = page.locator("#builder-preview").bounding_box()
    page.screenshot(path=str(path.with_name("builder-preview-aside-1280.png")), clip=box)


def test_every_time_is_offered_only_for_triggers_that_can_repeat(login_as, live_server, admin_user):
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/new/?blank=1")
    every_time = page.locator("[name=frequency] option[value=every_time]")

    page.select_option("[name=trigger]", "customer_first_message")
    assert every_time.is_disabled()
    page.select_option("[name=trigger]", "customer_any_message")
    assert not every_time.is_disabled()
    page.select_option("[name=frequency]", "every_time")
    page.select_option("[name=trigger]", "customer_opened_conversation")
    assert page.input_value("[name=frequency]") == "once"
