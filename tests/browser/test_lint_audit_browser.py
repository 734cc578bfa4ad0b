"""The builder's lint warnings and the audit log page in headless Chromium."""

import pytest
from django.urls import reverse

from tests.browser.conftest import screenshot
from tests.factories import TeamFactory
from tests.workflows.helpers import make_workflow

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_builder_warns_about_a_negative_rule_in_an_any_group_and_clears_when_fixed(
    login_as, live_server, admin_user
):
    workflow = make_workflow(
        "Pro or unknown plan",
        audience={"match": "any", "rules": [
            {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
            {"attribute": "contact.plan", "operator": "is_not", "value": "Free"}]},
    )  # fmt: skip
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/edit/")
    warning = page.locator("#builder-preview [data-lint-code=negative_rule_in_any]")

    assert "Targeting › rule 2" in warning.inner_text()
    assert "Plan is not Free" in warning.inner_text()
    assert "Fix:" in warning.inner_text()
    page.evaluate("document.getElementById('builder-preview').scrollIntoView()")
    path = screenshot(page, "builder-lint-warning")
    assert path.exists()

    page.select_option("[name=a-r-1-operator]", "is")  # no longer a negative rule
    warning.wait_for(state="detached")
    assert page.locator("#builder-preview [data-lint]").count() == 0

    page.goto(f"{live_server.url}/workflows/")
    assert (
        page.locator(f"[data-id='{workflow.pk}'] [data-lint-count]").inner_text() == "⚠ 1 warning"
    )
    screenshot(page, "workflow-list-lint-badge")


def test_the_audit_page_shows_changes_filters_by_object_type(
    login_as, live_server, admin_user, client
):
    team = TeamFactory(name="Sales")
    client.force_login(admin_user)
    client.post(
        reverse("admin:conversations_team_change", args=[team.pk]),
        {
            "name": "Sales EU",
            "away_policy": "keep",
            "created_at_0": "2026-01-01",
            "created_at_1": "09:00:00",
        },
    )
    client.post(
        "/api/workflows/",
        {"name": "Greeter", "trigger": "customer_any_message",
         "steps": [{"type": "add_tag", "tag": "hello"}]},
        content_type="application/json",
    )  # fmt: skip
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/audit/")
    entries = page.locator("[data-audit-entry]")

    assert entries.count() == 2
    team_entry = entries.filter(has_text="changed the team")
    assert team_entry.locator("del").inner_text() == "Sales"
    assert team_entry.locator("ins").inner_text() == "Sales EU"
    screenshot(page, "audit-log")

    page.select_option("[name=object_type]", "workflow")
    page.click("button:text('Filter')")
    page.locator("[data-audit-entry]", has_text="created the workflow").wait_for()
    assert page.locator("[data-audit-entry]").count() == 1
    screenshot(page, "audit-log-filtered")
