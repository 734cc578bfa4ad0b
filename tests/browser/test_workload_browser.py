"""The away toggle and the admins' workload page in headless Chromium (1280 and 390 px)."""

import pytest

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, Teammate
from tests.browser.conftest import WIDTHS, screenshot
from tests.factories import ContactFactory, TeamFactory, TeammateFactory

pytestmark = pytest.mark.django_db(transaction=True)


def fill_billing(admin_user):
    """A team of two with capacity 2 and three conversations routed to it: one waits."""
    ana = TeammateFactory(username="ana", first_name="Ana", capacity=2)
    bo = TeammateFactory(username="bo", first_name="Bo", capacity=2, is_away=True)
    team = TeamFactory(name="Billing", members=[ana, bo, admin_user])
    Teammate.objects.filter(pk=admin_user.pk).update(capacity=0)
    for _ in range(3):
        services.conversation_assign_to_team(
            conversation=services.conversation_open(contact=ContactFactory(), body="Invoice"),
            team=team,
            method="balanced",
            acting=Actor.system(),
        )
    return team, ana, bo


@pytest.mark.parametrize("width", WIDTHS)
def test_a_teammate_goes_away_and_comes_back_which_hands_out_the_queue(
    login_as, live_server, admin_user, width
):
    *_, bo = fill_billing(admin_user)
    waiting = Conversation.objects.get(assignment_queued=True)
    page = login_as(bo, width=width)
    page.goto(f"{live_server.url}/inbox/")
    toggle = page.get_by_role("button", name="● Away")
    assert toggle.get_attribute("aria-pressed") == "true"
    assert page.locator(".whoami .capacity").inner_text() == "up to 2 open"
    screenshot(page, "inbox-away-toggle-away")

    toggle.click()

    page.get_by_role("button", name="● Active").wait_for()
    assert page.get_by_text("You are back.").is_visible()
    screenshot(page, "inbox-away-toggle-back")
    waiting.refresh_from_db()
    assert (waiting.assignee_id, waiting.assignment_queued) == (bo.pk, False)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_admin_reads_each_members_load_and_the_queue_on_the_workload_page(
    login_as, live_server, admin_user, width
):
    fill_billing(admin_user)
    page = login_as(admin_user, width=width)
    page.goto(f"{live_server.url}/inbox/")

    page.get_by_role("link", name="Workload").click()

    page.get_by_role("heading", name="Workload").wait_for()
    billing = page.locator("section.workload-team", has_text="Billing")
    assert billing.locator("[data-waiting]").inner_text() == "1 waiting in the queue"
    ana = billing.locator("tr[data-member=ana]")
    assert ana.locator("[data-open]").inner_text() == "2 full"
    assert ana.locator("[data-capacity]").inner_text() == "2"
    assert ana.locator("[data-status]").inner_text() == "Active"
    assert billing.locator("tr[data-member=bo] [data-status]").inner_text() == "Away"
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
    screenshot(page, "inbox-workload")


def test_the_workload_page_is_for_admins_only(login_as, live_server, teammate):
    page = login_as(teammate)
    page.goto(f"{live_server.url}/inbox/")
    assert page.get_by_role("link", name="Workload").count() == 0

    response = page.goto(f"{live_server.url}/inbox/workload/")

    assert response.status == 403
