"""The API over real HTTP: gunicorn serves it, a real Celery worker runs the workflows."""

import pytest
import requests
from rest_framework.authtoken.models import Token

from tests.factories import AdminFactory
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

TIMEOUT_SECONDS = 90


def test_an_integrator_drives_a_workflow_over_http(celery_processes, gunicorn):
    celery_processes.worker()
    token = Token.objects.create(user=AdminFactory(username="integrator")).key
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"

    workflow = api.post(
        f"{gunicorn}/api/workflows/",
        json={
            "name": "Welcome Pro",
            "status": "live",
            "trigger": "customer_first_message",
            "audience": {"match": "all", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": "Pro"}]},
            "steps": [{"type": "add_tag", "tag": "VIP"},
                      {"type": "send_message", "body": "Welcome! A teammate will be with you."}],
        },
        timeout=10,
    )  # fmt: skip
    assert workflow.status_code == 201, workflow.text
    contact = api.post(
        f"{gunicorn}/api/contacts/", json={"name": "Maya", "plan": "Pro"}, timeout=10
    ).json()
    opened = api.post(
        f"{gunicorn}/api/conversations/",
        json={"contact": contact["id"], "body": "Hello, I need help"},
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    url = f"{gunicorn}/api/conversations/{opened.json()['id']}/"

    wait_for(
        lambda: api.get(url, timeout=10).json()["pending_events"] == 0,
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )

    conversation = api.get(url, timeout=10).json()
    assert conversation["tags"] == ["VIP"]
    assert conversation["in_bot_inbox"] is False  # the welcome run completed
    parts = api.get(f"{url}parts/", timeout=10).json()["results"]
    bot_messages = [p["body"] for p in parts if p["part_type"] == "bot_message"]
    assert bot_messages == ["Welcome! A teammate will be with you."]
    runs = api.get(f"{url}runs/", timeout=10).json()["runs"]
    assert [(r["workflow_name"], r["status"]) for r in runs] == [("Welcome Pro", "completed")]
    # The contact reads its own conversation with its messenger token, not another's.
    customer = requests.get(
        url, headers={"Authorization": f"Token {contact['messenger_token']}"}, timeout=10
    )
    assert customer.status_code == 200
