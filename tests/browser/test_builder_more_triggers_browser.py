"""The builder in a browser: choosing issue 17's triggers shows their option box, and a
time rule gets the Time group's operators and a duration box."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_builder_in_place import add_step, choose, click
from workflows.models import Workflow

pytestmark = pytest.mark.django_db(transaction=True)


def shown(page, name):
    return page.is_visible(f"[data-trigger-field={name}]")


def test_a_tag_trigger_and_a_waiting_time_rule_are_chosen_and_saved(
    login_as, live_server, admin_user
):
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/new/?blank=1")
    page.fill("[name=name]", "Waiting VIPs")

    page.select_option("[name=trigger]", "custom_event")
    assert shown(page, "trigger_name") and not shown(page, "trigger_tag")
    page.select_option("[name=trigger]", "tag_added")
    assert shown(page, "trigger_tag") and not shown(page, "trigger_name")
    assert not shown(page, "trigger_key") and not shown(page, "trigger_after")
    page.fill("[name=trigger_tag]", "VIP")

    click(page, "button[value='add:a-r']")
    choose(page, "[name=a-r-0-attribute]", "conversation.waiting_since")
    operators = page.eval_on_selector_all(
        "[name=a-r-0-operator] option", "os => os.map(o => o.value)"
    )
    assert "more_than_ago" in operators and "contains" not in operators
    if page.input_value("[name=a-r-0-operator]") != "more_than_ago":
        choose(page, "[name=a-r-0-operator]", "more_than_ago")
    page.fill("[name=a-r-0-value]", "2h")
    add_step(page, "s", "add_note")
    page.fill("[name=s-0-body]", "Waiting over two hours")
    page.wait_for_timeout(700)  # the live outline follows the typing
    screenshot(page, "builder-tag-trigger-time-rule")
    outline = page.inner_text("#builder-preview")
    assert "Tag added “VIP”" in outline
    assert "Customer waiting since is more than 2 hours ago" in outline

    with page.expect_navigation():
        page.click("button[value=save]")
    assert "Saved" in page.inner_text("main")
    document = Workflow.objects.get().document()
    assert document["trigger_options"] == {"tag": "VIP"}
    assert document["audience"]["rules"] == [
        {"attribute": "conversation.waiting_since", "operator": "more_than_ago", "value": "2h"}
    ]
