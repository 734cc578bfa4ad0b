"""The screenshots of docs/admin-guide.md, taken from the demo (`make demo`'s data).

Run with DOCS_SCREENSHOTS=1 to write them into docs/images/ (then commit them):
    DOCS_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_docs_screenshots.py
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from conversations.models import Conversation, Teammate
from workflows.models import Workflow

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DOCS_SCREENSHOTS"), reason="DOCS_SCREENSHOTS=1 writes docs/images/"
    ),
]

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def test_the_admin_guide_screenshots(login_as, live_server):
    call_command("seed_demo")
    call_command("seed_demo_workflows")
    call_command("seed_demo_conversations")
    routing = Workflow.objects.get(name="Route Pro customers")
    greeting = Workflow.objects.get(name="Greeting")
    support = Workflow.objects.get(name="Support routing")
    invoice = Conversation.objects.filter(title="Invoice for last month").order_by("pk").first()
    page = login_as(Teammate.objects.get(username="ada"))
    shots = {
        # name: (path, whole page?)
        "workflow-list": ("/workflows/", False),
        "workflow-new": ("/workflows/new/", False),
        "workflow-edit-rules": (f"/workflows/{routing.pk}/edit/", True),
        "workflow-edit-buttons": (f"/workflows/{greeting.pk}/edit/", True),
        "workflow-edit-apply-rules": (f"/workflows/{support.pk}/edit/", True),
        "workflow-test-run": (f"/workflows/{routing.pk}/test/?conversation={invoice.pk}", True),
        "workflow-report": (f"/workflows/{greeting.pk}/report/", True),
        "inbox-timeline": (f"/inbox/conversations/{invoice.pk}/", False),
    }
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, (path, full_page) in shots.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, name
        page.wait_for_load_state("networkidle")
        target = IMAGES / f"{name}.png"
        page.screenshot(path=str(target), full_page=full_page)
        assert target.stat().st_size > 5_000, name
