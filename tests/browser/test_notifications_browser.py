"""Notifications in the browser, served as in production (uvicorn, ASGI: the live push):
Dana mentions Ben with the composer's @name suggestions; Ben's bell counts it at once
without a reload; he opens it and lands on the conversation. Screenshots at 1280 and
390 px, axe on the bell and the suggestions."""

import subprocess
import sys

import pytest
import requests
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from conversations import services
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.factories import ContactFactory, TeammateFactory
from tests.integration.conftest import CeleryProcesses, free_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def asgi_server(transactional_db, tmp_path):
    """uvicorn on the test database (no worker: the e-mail tasks just wait in the broker)."""
    processes = CeleryProcesses(tmp_path)
    processes.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    port = free_port()
    log = open(tmp_path / "uvicorn.log", "w")  # noqa: SIM115 - lives with the process
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.browser.live_asgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
         "--timeout-graceful-shutdown", "1"],
        cwd=settings.BASE_DIR, env=processes.env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    server.log_path = tmp_path / "uvicorn.log"
    processes.processes["uvicorn"] = server
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(f"{base}/accounts/login/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(answers, timeout=30, processes=processes)
        yield base
    finally:
        processes.stop_all()


def page_for(browser, base, user, width):
    client = Client()  # one each: logging another user in ends the first one's session
    client.force_login(user)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.mark.parametrize("width", [1280, 390])
def test_a_mention_rings_the_bell_live_and_opens_the_conversation(browser, asgi_server, width):
    base = asgi_server
    ben = TeammateFactory(username="ben", first_name="Ben", last_name="Okoro")
    dana = TeammateFactory(username="dana", first_name="Dana", last_name="Reyes")
    TeammateFactory(username="bea", first_name="Bea", last_name="Lind")
    contact = ContactFactory(name="Maya Okafor")
    conversation = services.conversation_open(contact=contact, body="My export fails")

    inbox = page_for(browser, base, ben, width)
    inbox.goto(f"{base}/inbox/")
    expect(inbox.locator("body")).to_have_attribute("data-live-state", "connected")
    bell = inbox.locator("#notification-count")
    expect(bell).to_contain_text("Notifications, none unread")

    # Dana writes a note and picks Ben from the suggestions with the keyboard.
    writer = page_for(browser, base, dana, width)
    writer.goto(f"{base}/inbox/conversations/{conversation.pk}/")
    composer = writer.locator("#composer textarea")
    composer.click()
    composer.press_sequentially("Could you call her, @b")
    options = writer.locator("#mention-list [role=option]")
    expect(options).to_have_count(2)  # bea and ben, by username
    expect(composer).to_have_attribute("aria-activedescendant", "mention-list-0")
    screenshot(writer, "mention-suggestions")
    assert_accessible(writer, "the note composer's suggestions")
    composer.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    composer.press("Enter")
    expect(composer).to_have_value("Could you call her, @ben ")
    expect(writer.locator("#mention-list")).to_be_hidden()
    composer.press_sequentially("please?")
    writer.locator("#composer button[value=note]").click()
    expect(writer.locator("#timeline")).to_contain_text("@ben please?")

    # Ben's bell counts it without a reload, by the push (the bell's own poll is 20 s).
    expect(bell.locator("[data-unread-count]")).to_have_text("1", timeout=5_000)
    expect(bell).to_contain_text("Notifications, 1 unread")
    inbox.locator("#notification-bell summary").click()
    entry = inbox.locator("#notification-recent li.unread button")
    expect(entry).to_have_text("Unread: Dana Reyes mentioned you in Maya Okafor")
    screenshot(inbox, "notification-bell")
    assert_accessible(inbox, "the inbox with the bell open")

    entry.click()
    expect(inbox).to_have_url(f"{base}/inbox/conversations/{conversation.pk}/")
    expect(inbox.locator("#notification-count")).to_contain_text("Notifications, none unread")
    expect(inbox.locator("#notification-count [data-unread-count]")).to_have_count(0)

    # The full list: the same words, read now; "Mark all read" is always offered.
    inbox.goto(f"{base}/inbox/notifications/")
    expect(inbox.locator(".notification-page li")).to_have_text(
        "Dana Reyes mentioned you in Maya Okafor just now"
    )
    screenshot(inbox, "notification-page")
    assert_accessible(inbox, "the notifications page")
