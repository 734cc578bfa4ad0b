"""Every page, at 1280 and 390 pixels wide, has no serious or critical axe-core violation;
and the forms people use most are reachable and usable with the keyboard alone."""

import re
from io import StringIO
from urllib.parse import urljoin

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conversations import services
from conversations.models import Contact, Teammate
from tests.browser.axe import BLOCKING_IMPACTS, axe_violations, describe
from tests.browser.conftest import WIDTHS, screenshot
from tests.workflows.helpers import process
from workflows.builder_templates import TEMPLATES
from workflows.models import Workflow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(db):
    """`make run`'s data (demo teams, people, conversations and the example workflows)
    and one fresh conversation the workflows have acted on."""
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo_workflows", stdout=StringIO())
    contact = Contact.objects.get(external_id="demo-4")  # a Premium customer
    conversation = services.conversation_open(
        contact=contact, body="Hello, our project export keeps failing"
    )
    process(conversation)
    return conversation


class Audit:
    """Runs axe on each page visited, keeps a screenshot, and fails once at the end with
    every page's blocking violations, so one run lists all there is to fix."""

    def __init__(self):
        self.failures = []
        self.visited = []

    def check(self, page, name):
        page.wait_for_load_state("load")
        self.visited.append(name)
        screenshot(page, f"a11y-{name}")
        violations = axe_violations(page)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        minor = [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]
        if minor:  # shown with -s or on failure: what is left to improve
            print(f"{name} (not blocking):\n{describe(minor)}")
        if blocking:
            self.failures.append(f"{name} ({page.url}):\n{describe(blocking)}")

    def visit(self, page, url, name, status=200):
        response = page.goto(url)
        assert response.status == status, f"{name}: {url} answered {response.status}"
        self.check(page, name)

    def assert_clean(self):
        assert not self.failures, "\n\n".join(self.failures)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_teammate_page_has_no_serious_accessibility_violation(
    browser, login_as, live_server, demo, width
):
    base = live_server.url
    audit = Audit()
    ada = Teammate.objects.get(username="ada")
    ben = Teammate.objects.get(username="ben")

    # Signed out: the login page, and the login page with an error beside the fields.
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    audit.visit(page, f"{base}/accounts/login/", "login")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit], input[type=submit]")
    audit.check(page, "login-error")
    context.close()

    page = login_as(ada, width=width)
    page.goto(f"{base}/inbox/")
    views = page.eval_on_selector_all(
        "nav[aria-label=Inboxes] a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(views) >= 5
    for href in views:
        # The inboxes, then the nav's other pages (workload, macros) by their last part.
        found = re.search(r"view=([\w-]+)", href)
        name = found.group(1) if found else href.strip("/").rsplit("/", 1)[-1]
        audit.visit(page, urljoin(f"{base}/inbox/", href), f"inbox-{name}")
    audit.visit(page, f"{base}/inbox/?view=all&state=closed", "inbox-closed")
    audit.visit(page, f"{base}/inbox/?view=all&q=project", "inbox-search")

    conversation_url = f"{base}/inbox/conversations/{demo.pk}/"
    audit.visit(page, conversation_url, "inbox-conversation")
    # An error beside the field: a reply of blanks only.
    page.fill("textarea[name=body]", "   ")
    page.click("button[name=kind][value=reply]")
    page.wait_for_selector(".field-error")
    audit.check(page, "inbox-conversation-error")

    audit.visit(page, f"{base}/workflows/", "workflow-list")
    audit.visit(page, f"{base}/workflows/new/", "workflow-new")
    audit.visit(page, f"{base}/workflows/new/?blank=1", "workflow-blank")
    for key in TEMPLATES:
        audit.visit(page, f"{base}/workflows/new/?template={key}", f"workflow-template-{key}")
    for workflow in Workflow.objects.order_by("pk"):
        slug = re.sub(r"\W+", "-", workflow.name.lower()).strip("-")
        audit.visit(page, f"{base}/workflows/{workflow.pk}/edit/", f"workflow-edit-{slug}")
    # The editor with an error beside a field: the name emptied.
    page.fill("input[name=name]", "")
    page.evaluate("document.querySelector('form[method=post]').noValidate = true")
    page.click("button:has-text('Save')")
    audit.check(page, "workflow-edit-error")

    first = Workflow.objects.order_by("pk").first()
    audit.visit(page, f"{base}/workflows/{first.pk}/test/", "workflow-test-run-form")
    audit.visit(
        page, f"{base}/workflows/{first.pk}/test/?conversation={demo.pk}", "workflow-test-run"
    )
    audit.visit(page, f"{base}/workflows/{first.pk}/report/", "workflow-report")
    audit.visit(page, f"{base}/workflows/{first.pk}/history/", "workflow-history")
    audit.visit(page, f"{base}/workflows/{first.pk}/delete/", "workflow-delete")

    # Django's admin ships its own templates; its index is checked like any other page.
    audit.visit(page, f"{base}/admin/", "admin-index")

    # A teammate who is not a workspace admin meets the 403 page.
    page = login_as(ben, width=width)
    audit.visit(page, f"{base}/workflows/new/", "forbidden", status=403)

    audit.assert_clean()
    assert len(audit.visited) > 20


@pytest.mark.parametrize("width", WIDTHS)
def test_every_messenger_page_has_no_serious_accessibility_violation(
    browser, live_server, settings, demo, width
):
    base = live_server.url
    audit = Audit()
    contact = demo.contact
    other = Contact.objects.get(external_id="demo-5")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    settings.MESSENGER_DEMO_PICKER = True
    audit.visit(page, f"{base}/messenger/", "messenger-picker")
    settings.MESSENGER_DEMO_PICKER = False
    audit.visit(page, f"{base}/messenger/", "messenger-needs-link")
    audit.visit(page, f"{base}/messenger/?token=nope", "messenger-invalid-link", status=404)

    page.goto(f"{base}/messenger/?token={contact.messenger_token}")
    audit.check(page, "messenger-home")
    page.click("button:has-text('Start conversation')")
    audit.check(page, "messenger-home-error")
    audit.visit(page, f"{base}/messenger/conversations/{demo.pk}/", "messenger-conversation")
    page.click(".messenger-composer button")
    expect(page.locator(".messenger-composer .errorlist")).to_be_visible()
    audit.check(page, "messenger-conversation-error")

    page.goto(f"{base}/messenger/?token={other.messenger_token}")
    expect(page).to_have_url(f"{base}/messenger/switch/")
    audit.check(page, "messenger-switch")
    page.click("button:has-text('Stay as')")
    page.click("button:has-text('Sign out')")
    audit.check(page, "messenger-signed-out")
    context.close()

    audit.assert_clean()


# Controls a keyboard user can reach: visible, enabled and not taken out of the tab order.
MARK_CONTROLS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const controls = [...document.querySelectorAll(selector)].filter((el) =>
    !el.disabled && el.tabIndex >= 0 && el.checkVisibility({visibilityProperty: true}) &&
    !el.closest('[inert]'));
  controls.forEach((el, index) => { el.dataset.kb = String(index); });
  return controls.length;
}"""
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== 'none';
  return {kb: el.dataset.kb ?? null, ring, text: (el.getAttribute('aria-label') || el.name
    || el.textContent || el.tagName).trim().slice(0, 40)};
}"""


def tab_through(page, limit=400):
    """Press Tab from the top of the page until focus comes round again; each stop's
    control (its data-kb mark) and whether a focus ring shows."""
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue  # the browser's own UI between the last control and the first
        if stops and focused["kb"] == stops[0]["kb"]:
            return stops
        stops.append(focused)
    raise AssertionError(f"focus did not come round in {limit} Tabs (a keyboard trap?)")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_control_is_reachable_by_tab_with_a_visible_focus_ring(
    browser, login_as, live_server, demo, width
):
    base = live_server.url
    ada = Teammate.objects.get(username="ada")
    page = login_as(ada, width=width)
    editor = Workflow.objects.get(name="Support routing")
    pages = {
        "inbox list": "/inbox/?view=all",
        "conversation": f"/inbox/conversations/{demo.pk}/",
        "workflow list": "/workflows/",
        "editor": f"/workflows/{editor.pk}/edit/",
        "test run": f"/workflows/{editor.pk}/test/?conversation={demo.pk}",
    }
    for name, path in pages.items():
        page.goto(f"{base}{path}")
        count = page.evaluate(MARK_CONTROLS)
        stops = tab_through(page)
        reached = {stop["kb"] for stop in stops}
        missed = page.eval_on_selector_all(
            "[data-kb]",
            "(els, reached) => els.filter(el => !reached.includes(el.dataset.kb))"
            ".map(el => el.outerHTML.slice(0, 120))",
            sorted(kb for kb in reached if kb is not None),
        )
        assert not missed, f"{name}: not reachable by Tab: {missed}"
        assert len(reached) == count, name
        without_ring = [stop["text"] for stop in stops if not stop["ring"]]
        assert not without_ring, f"{name}: no visible focus ring on {without_ring}"


def test_the_first_tab_offers_a_skip_link_to_the_page_content(login_as, live_server, demo):
    page = login_as(Teammate.objects.get(username="ben"))
    page.goto(f"{live_server.url}/inbox/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    # The first control inside the page content, past the top bar.
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def test_a_teammate_replies_with_the_keyboard_alone(login_as, live_server, demo):
    page = login_as(Teammate.objects.get(username="ada"))
    page.goto(f"{live_server.url}/inbox/conversations/{demo.pk}/")
    page.focus("textarea[name=body]")
    page.keyboard.type("Thanks, we are looking at the export now.")
    page.keyboard.press("Tab")
    expect(page.locator("button[name=kind][value=reply]")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("button[name=kind][value=note]")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#timeline")).to_contain_text("Thanks, we are looking at the export now.")


def test_a_customer_writes_in_the_messenger_with_the_keyboard_alone(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/messenger/?token={demo.contact.messenger_token}")
    page.goto(f"{live_server.url}/messenger/conversations/{demo.pk}/")
    composer = page.locator(".messenger-composer textarea")
    # From the top of the page, Tab by Tab, to the composer.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('.messenger-composer textarea')"):
            break
    expect(composer).to_be_focused()
    page.keyboard.type("The export works again, thank you")
    page.keyboard.press("Tab")
    send = page.locator(".messenger-composer button")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".messenger-timeline")).to_contain_text("The export works again, thank you")
    context.close()


def test_an_admin_reorders_workflows_with_the_arrow_keys(login_as, live_server, demo):
    page = login_as(Teammate.objects.get(username="ada"))
    page.goto(f"{live_server.url}/workflows/")
    group = page.locator("ol[data-sortable]").filter(has=page.locator("li[data-id]").nth(1))
    first, second = (
        int(group.first.locator("li[data-id]").nth(i).get_attribute("data-id")) for i in (0, 1)
    )
    page.focus(f"li[data-id='{second}'] .handle")
    page.keyboard.press("ArrowUp")
    expect(group.first).to_have_attribute("data-saved", "yes")
    expect(page.locator(f"li[data-id='{second}'] .handle")).to_be_focused()
    page.reload()
    ids = [int(i) for i in group.first.locator("li[data-id]").evaluate_all(
        "items => items.map(item => item.dataset.id)")]  # fmt: skip
    assert ids.index(second) < ids.index(first)
