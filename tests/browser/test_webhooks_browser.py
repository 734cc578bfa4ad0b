"""The webhooks page in headless Chromium: an admin creates an endpoint (secret shown
once), sends a test event to a real receiver, sees the delivery and redelivers it."""

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.webhooks.receiver import signature_is_valid, start_receiver
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def test_an_admin_creates_a_webhook_sends_a_test_event_and_redelivers_it(
    login_as, live_server, admin_user, receiver
):
    page = login_as(admin_user)
    page.goto(f"{live_server.url}/workflows/")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("heading", name="Webhooks").wait_for()

    # A URL that is not http(s): the form says so beside the field, nothing is saved.
    page.get_by_label("URL").fill("ftp://example.com/hook")
    page.get_by_label("Conversation opened").check()
    page.get_by_role("button", name="Create webhook").click()
    assert "http" in page.locator("#url-error").inner_text()
    assert WebhookEndpoint.objects.count() == 0

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_role("button", name="Create webhook").click()
    secret_box = page.locator("[data-secret-once]")
    secret = secret_box.locator("code.secret").inner_text()
    endpoint = WebhookEndpoint.objects.get()
    assert secret == endpoint.secret and endpoint.events == ["conversation.opened"]

    page.get_by_role("button", name="Send test event").click()
    row = page.locator("table.deliveries tbody tr").first
    assert "Test event" in row.inner_text() and "Delivered" in row.inner_text()
    assert "HTTP 200" in row.inner_text() and "ms" in row.inner_text()
    assert '"received": true' in row.locator("code.answer").inner_text()
    assert page.locator("[data-secret-once]").count() == 0  # shown once only
    [received] = receiver.received
    assert received.json["type"] == "webhook.test" and signature_is_valid(secret, received)

    screenshot(page, "webhooks-page")
    assert_accessible(page, "webhooks page")

    receiver.answers = [(500, 0)]
    row.get_by_role("button", name="Redeliver").click()
    row = page.locator("table.deliveries tbody tr").first
    assert "HTTP 500" in row.inner_text()
    assert row.locator("td").nth(2).inner_text() == "2"
    assert [r.delivery_id for r in receiver.received] == [received.delivery_id] * 2

    # Switched off from the page; the list says so.
    page.get_by_label("Active").uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="All webhooks").click()
    assert "Off" in page.locator(f"tr[data-endpoint='{endpoint.pk}']").inner_text()


def test_the_page_at_phone_width_and_closed_to_teammates(
    login_as, live_server, admin_user, teammate, receiver
):
    WebhookEndpoint.objects.create(url=receiver.url, events=["*"])
    page = login_as(admin_user, width=390)
    page.goto(f"{live_server.url}/webhooks/")
    assert "All events" in page.locator("table").inner_text()
    screenshot(page, "webhooks-list")

    other = login_as(teammate)
    answer = other.goto(f"{live_server.url}/webhooks/")
    assert answer.status == 403
    other.goto(f"{live_server.url}/workflows/")
    assert other.get_by_role("link", name="Webhooks").count() == 0
