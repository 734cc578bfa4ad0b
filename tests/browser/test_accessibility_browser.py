"""Every page, at 1280 and 390 pixels wide, has no serious or critical axe-core violation;
and the forms people use most are reachable and usable with the keyboard alone."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conversations import services
from conversations.models import Contact, Teammate
from tests.browser.axe import describe, serious_violations
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
        blocking = serious_violations(page)
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
        view = re.search(r"view=([\w-]+)", href).group(1)
        audit.visit(page, f"{base}/inbox/{href}", f"inbox-{view}")
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
