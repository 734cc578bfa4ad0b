"""What a teammate sees of the hardening: a conversation whose workflows keep failing,
and the login page after too many wrong passwords."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services
from tests.browser.conftest import screenshot
from tests.factories import ContactFactory
from workflows.models import ProcessingFailure

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_ERROR = 'ValueError: <script>alert("x")</script> in step 2'


def test_a_failing_conversation_shows_a_banner_and_a_list_marker_with_the_error_as_text(
    login_as, live_server, teammate
):
    conversation = services.conversation_open(
        contact=ContactFactory(name="Maya"), body="My invoice is wrong"
    )
    ProcessingFailure.objects.create(
        conversation=conversation, failures=5, error=HOSTILE_ERROR,
        retry_at=timezone.now() + timedelta(minutes=10),
    )  # fmt: skip
    page = login_as(teammate)

    page.goto(f"{live_server.url}/inbox/?view=all")
    marker = page.locator("[data-processing-failing]").first
    assert marker.inner_text() == "Workflows failing"
    screenshot(page, "inbox-list-failing")

    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")
    banner = page.locator("div[data-processing-failing]")
    assert HOSTILE_ERROR in banner.inner_text()
    assert page.locator("script:has-text('alert')").count() == 0
    screenshot(page, "conversation-failing")


def test_the_login_page_explains_a_lock_out(browser, live_server, teammate, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", teammate.username)
        page.fill("input[name=password]", "wrong password")
        page.click("button[type=submit], input[type=submit]")

    assert "Too many failed log-in attempts" in page.content()
    screenshot(page, "login-locked-out")
    context.close()
