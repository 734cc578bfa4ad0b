"""The API over real HTTP: gunicorn serves it, a real Celery worker runs the workflows."""

import socket
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings
from rest_framework.authtoken.models import Token

from tests.factories import AdminFactory
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

TIMEOUT_SECONDS = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(celery_processes):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--access-logfile", "-"],
        cwd=settings.BASE_DIR,
        env=celery_processes.env,
        stdout=open(celery_processes.log_dir / "gunicorn.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    process.log_path = celery_processes.log_dir / "gunicorn.log"
    celery_processes.processes["gunicorn"] = process
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            # The first schema request builds it: slow on a busy machine.
            requests.get(f"{base}/api/schema/", timeout=10)
            break
        except requests.RequestException:
            time.sleep(0.2)
    return base


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
