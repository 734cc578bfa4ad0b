"""The builder in headless Chromium: build, reorder by drag, filter, and every page's
screenshot at 1280 and 390 pixels wide."""

import pytest

from conversations import services
from tests.browser.conftest import WIDTHS, screenshot
from tests.factories import ContactFactory, SlaPolicyFactory
from tests.workflows.helpers import make_workflow, process, tag_names
from workflows.models import Workflow

pytestmark = pytest.mark.django_db(transaction=True)


def submit(page, selector):
    """Click a button that posts the form, and wait for the page that answers."""
    with page.expect_navigation():
        page.click(selector)


def redraw(page, act):
    """Do `act` (a structural edit) and wait until htmx has redrawn its part."""
    before = page.eval_on_selector("#workflow-editor", "form => Number(form.dataset.redraws || 0)")
    act()
    page.wait_for_function(
        f"() => Number(document.getElementById('workflow-editor').dataset.redraws || 0) > {before}"
    )


def edit(page, selector):
    redraw(page, lambda: page.click(selector))


def add_step(page, steps_prefix, kind):
    page.select_option(f"[name='add-type-{steps_prefix}']", kind)
    edit(page, f"button[value='add:{steps_prefix}']")


def rule(page, prefix, attribute, operator, value):
    """Fill in a rule: the attribute and the operator each redraw the rule's widgets."""
    redraw(page, lambda: page.select_option(f"[name={prefix}-attribute]", attribute))
    if page.input_value(f"[name={prefix}-operator]") != operator:
        redraw(page, lambda: page.select_option(f"[name={prefix}-operator]", operator))
    page.fill(f"[name={prefix}-value]", value)


def test_an_admin_builds_a_workflow_with_rules_a_branch_and_apply_rules_and_it_fires(
    login_as, live_server, admin_user, support_team
):
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/new/?blank=1")
    page.fill("[name=name]", "Refund router")
    page.select_option("[name=status]", "live")
    page.select_option("[name=trigger]", "customer_first_message")

    edit(page, "button[value='add:a-r']")  # a targeting rule
    rule(page, "a-r-0", "contact.plan", "is", "Pro")  # no plans in the data: typed

    add_step(page, "s", "branches")
    edit(page, "button[value='add:s-0-p']")  # branch 1
    edit(page, "button[value='add:s-0-p-0-w-r']")
    rule(page, "s-0-p-0-w-r-0", "message.body", "contains", "refund")
    add_step(page, "s-0-p-0-s", "add_tag")
    page.fill("[name=s-0-p-0-s-0-tag]", "Refund")

    add_step(page, "s", "apply_rules")
    edit(page, "button[value='add:s-1-p']")  # entry 1
    edit(page, "button[value='add:s-1-p-0-w-r']")
    rule(page, "s-1-p-0-w-r-0", "contact.monthly_spend", "gt", "500")
    add_step(page, "s-1-p-0-s", "set_priority")
    page.check("[name=s-1-p-0-s-0-priority]")
    screenshot(page, "builder-editor-filled")

    submit(page, "button[value=save]")

    assert "Saved" in page.content(), page.inner_text("main")[:3000]
    workflow = Workflow.objects.get(name="Refund router")
    assert workflow.status == "live" and workflow.is_background
    assert workflow.steps[0]["branches"][0]["steps"] == [{"type": "add_tag", "tag": "Refund"}]
    conversation = services.conversation_open(
        contact=ContactFactory(plan="Pro", monthly_spend=900), body="I want a refund please"
    )
    process(conversation)
    conversation.refresh_from_db()
    assert tag_names(conversation) == ["Refund"]
    assert conversation.priority is True


def test_an_error_is_shown_beside_the_field_and_the_input_kept(login_as, live_server, admin_user):
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/new/?blank=1")
    page.fill("[name=name]", "Half done")
    add_step(page, "s", "assign")

    submit(page, "button[value=save]")

    step = page.locator("[data-step='s-0']")
    assert "Assign to a teammate or to a team" in step.inner_text()
    assert page.input_value("[name=name]") == "Half done"
    assert not Workflow.objects.exists()


def test_an_admin_reorders_workflows_by_dragging(login_as, live_server, admin_user):
    first, second = make_workflow("First in line"), make_workflow("Second in line")
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/")

    source = page.locator(f"li[data-id='{second.pk}'] .handle").bounding_box()
    target = page.locator(f"li[data-id='{first.pk}']").bounding_box()
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 20, target["y"] + 2, steps=12)
    page.mouse.move(target["x"] + 20, target["y"] + 1, steps=2)
    page.mouse.up()
    page.wait_for_selector("ol[data-saved='yes']")

    names = list(Workflow.objects.order_by("priority").values_list("name", flat=True))
    assert names == ["Second in line", "First in line"]


def test_the_list_filters_by_background(login_as, live_server, admin_user):
    make_workflow("Quiet tagger")
    make_workflow("Chatty greeter", steps=[{"type": "send_message", "body": "Hi"}])
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/")

    page.select_option("[name=is_background]", "true")
    submit(page, "form[aria-label=Filters] button[type=submit]")

    text = page.inner_text("main")
    assert "Quiet tagger" in text and "Chatty greeter" not in text
    assert page.locator("[aria-label='Background workflow']").count() == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_of_every_builder_page(login_as, live_server, admin_user, support_team, width):
    SlaPolicyFactory(name="Premium Support")
    make_workflow("Tagger")
    workflow = make_workflow("Greeter", steps=[{"type": "reply_buttons", "body": "Hi!", "buttons": [
        {"label": "Sales", "steps": [{"type": "add_tag", "tag": "Sales"}]}]}])  # fmt: skip
    conversation = services.conversation_open(contact=ContactFactory(), body="Hello there")
    process(conversation)
    page = login_as(admin_user, width=width)
    pages = {
        "workflow-list": "/workflows/",
        "workflow-new": "/workflows/new/",
        "workflow-template": "/workflows/new/?template=apply-rules",
        "workflow-edit": f"/workflows/{workflow.pk}/edit/",
        "workflow-test-run": f"/workflows/{workflow.pk}/test/?conversation={conversation.pk}",
        "workflow-report": f"/workflows/{workflow.pk}/report/",
        "workflow-delete": f"/workflows/{workflow.pk}/delete/",
    }
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, name
        shot = screenshot(page, name)
        assert shot.stat().st_size > 5_000
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "login")
