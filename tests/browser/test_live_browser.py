"""Live updates end to end: uvicorn serving the app (ASGI, server-sent events), a real
Celery worker, and two browsers — the customer's Messenger and the teammate's
conversation page. The delay from one side's send to the other side's screen is measured
both ways; its 95th percentile must stay under a second.

Both ends of each delay are read in the browsers, on the one clock they share: the
sending page notes Date.now() as it submits, the receiving page notes it when the text
first enters its DOM (a MutationObserver). Playwright's own polling, between the test and
the browsers, is in neither. A few exchanges each way first warm up what a first request
pays once (each uvicorn worker's database connection, templates, the Redis subscription)
and are not counted.

With CELERY_BROKER_URL=redis://… (CI) the worker takes tasks from Redis and the live
updates fan out through Redis pub/sub (LIVE_URL); otherwise through the stamp files of
`make run`."""

import math
import subprocess
import sys
import uuid

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect

from config.celery import app as celery_app
from tests.browser.conftest import screenshot
from tests.factories import ContactFactory
from tests.integration.conftest import CeleryProcesses, free_port, wait_for
from tests.workflows.helpers import make_workflow

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLES = 30
WARM_UP = 3
P95_LIMIT_MS = 1000

# Notes when each probe text first shows on the page (before Playwright could look).
SEEN = """
window.__seen = window.__seen || {};
new MutationObserver(function () {
  const text = document.body ? document.body.textContent : "";
  for (const match of text.matchAll(/live-probe-([a-z]+-[0-9]+)/g)) {
    if (!(match[1] in window.__seen)) window.__seen[match[1]] = Date.now();
  }
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


@pytest.fixture
def servers(transactional_db, tmp_path):
    """uvicorn and one Celery worker on the test database; stopped at the end. Several web
    processes, as deployed: Django runs a process's plain (non-async) views one at a time,
    so with two a customer's fetch could wait behind the teammate's own page reload."""
    celery_app.conf.task_always_eager = False
    processes = CeleryProcesses(tmp_path)
    processes.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the server runs as in production
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        processes.env["LIVE_URL"] = settings.CELERY_BROKER_URL
        processes.env["LIVE_REDIS_CHANNEL"] = f"test-live-{uuid.uuid4().hex}"
    port = free_port()
    log = open(tmp_path / "uvicorn.log", "w")  # noqa: SIM115 - lives with the process
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.browser.live_asgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "4", "--lifespan", "off",
         "--timeout-graceful-shutdown", "1"],
        cwd=settings.BASE_DIR, env=processes.env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    server.log_path = tmp_path / "uvicorn.log"
    processes.processes["uvicorn"] = server
    worker = processes.worker()
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(f"{base}/messenger/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(answers, timeout=30, processes=processes)
        wait_for(lambda: " ready." in worker.log_path.read_text(), timeout=30, processes=processes)
        yield base, processes
    finally:
        processes.stop_all()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(share * len(ordered)) - 1]


def p95(samples: list[float]) -> float:
    return percentile(samples, 0.95)


def test_messages_reach_the_other_side_within_a_second_at_p95(browser, client, teammate, servers):
    base, processes = servers
    make_workflow(
        "Welcome",
        trigger="customer_first_message",
        steps=[{"type": "send_message", "body": "Thanks! A teammate will answer shortly."}],
    )
    contact = ContactFactory(name="Maya Okafor")

    customer_context = browser.new_context(viewport={"width": 390, "height": 860})
    customer_context.add_init_script(SEEN)
    customer = customer_context.new_page()
    customer.set_default_timeout(10_000)
    customer.goto(f"{base}/messenger/?token={contact.messenger_token}")
    customer.fill("textarea[name=body]", "  My export to CSV fails\nwith an error since Monday  ")
    with customer.expect_navigation():
        customer.click("button:has-text('Start conversation')")
    # The worker's bot message arrives by push; the "…" shows only while it works.
    expect(customer.locator(".messenger-live")).to_contain_text(
        "Thanks! A teammate will answer shortly.", timeout=10_000
    )
    expect(customer.locator("[data-typing]")).to_have_count(0)
    expect(customer.locator("h1")).to_have_text("My export to CSV fails with an error since Monday")
    conversation_url = customer.url

    client.force_login(teammate)
    teammate_context = browser.new_context(viewport={"width": 1280, "height": 900})
    teammate_context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    teammate_context.add_init_script(SEEN)
    inbox = teammate_context.new_page()
    inbox.set_default_timeout(10_000)
    conversation_id = conversation_url.rstrip("/").split("/")[-1]
    inbox.goto(f"{base}/inbox/conversations/{conversation_id}/")
    expect(inbox.locator("body")).to_have_attribute("data-live-state", "connected", timeout=15_000)
    expect(customer.locator("body")).to_have_attribute(
        "data-live-state", "connected", timeout=15_000
    )

    to_teammate, to_customer = [], []
    for number in range(WARM_UP + SAMPLES):
        key = f"customer-{number}"
        sent_at = customer.evaluate(
            """(text) => {
                const box = document.querySelector(".messenger-composer textarea");
                box.value = text;
                const now = Date.now();
                box.form.requestSubmit();
                return now;
            }""",
            f"live-probe-{key}",
        )
        inbox.wait_for_function("(key) => key in window.__seen", arg=key)
        if number >= WARM_UP:
            to_teammate.append(inbox.evaluate("(key) => window.__seen[key]", key) - sent_at)
        # The customer's own send has settled (its answer swapped in) before the next one.
        customer.wait_for_function(
            "(key) => key in window.__seen && !document.querySelector('.htmx-request')", arg=key
        )

    for number in range(WARM_UP + SAMPLES):
        key = f"teammate-{number}"
        expect(inbox.locator("body")).to_have_attribute(
            "data-live-state", "connected", timeout=15_000
        )
        with inbox.expect_navigation():  # the inbox's reply is a plain form post
            sent_at = inbox.evaluate(
                """(text) => {
                    const form = document.querySelector("form.composer");
                    form.querySelector("textarea[name=body]").value = text;
                    const now = Date.now();
                    form.requestSubmit(form.querySelector("button[value=reply]"));
                    return now;
                }""",
                f"live-probe-{key}",
            )
        customer.wait_for_function("(key) => key in window.__seen", arg=key)
        if number >= WARM_UP:
            to_customer.append(customer.evaluate("(key) => window.__seen[key]", key) - sent_at)

    screenshot(inbox, "live-teammate-conversation")
    screenshot(customer, "live-messenger")
    fan_out = "Redis pub/sub" if "LIVE_URL" in processes.env else "stamp files"
    said = {
        direction: f"median {percentile(delays, 0.5):.0f} ms, p95 {p95(delays):.0f} ms, "
        f"max {max(delays):.0f} ms"
        for direction, delays in (("to_teammate", to_teammate), ("to_customer", to_customer))
    }
    print(
        f"\nLive updates over uvicorn ({fan_out}), {SAMPLES} samples each after "
        f"{WARM_UP} to warm up: customer → teammate {said['to_teammate']}; "
        f"teammate → customer {said['to_customer']}"
    )
    assert customer.url == conversation_url  # updated in place, never reloaded
    assert p95(to_teammate) < P95_LIMIT_MS, sorted(to_teammate)
    assert p95(to_customer) < P95_LIMIT_MS, sorted(to_customer)
    assert "Traceback" not in processes.processes["uvicorn"].log_path.read_text()
    customer_context.close()
    teammate_context.close()
