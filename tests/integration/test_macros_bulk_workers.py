"""Macros and bulk actions over real HTTP (gunicorn) with a real Celery worker on
PostgreSQL: the teammate triggers they fire run the live workflows."""

import pytest
import requests
from rest_framework.authtoken.models import Token

from tests.factories import AdminFactory, TeammateFactory
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

TIMEOUT_SECONDS = 90


def test_bulk_close_and_a_macro_fire_teammate_changed_state_on_a_real_worker(
    celery_processes, gunicorn
):
    celery_processes.worker()
    admin = requests.Session()
    admin.headers["Authorization"] = f"Token {Token.objects.create(user=AdminFactory()).key}"
    ben = requests.Session()
    teammate = TeammateFactory(username="ben", first_name="Ben")
    ben.headers["Authorization"] = f"Token {Token.objects.create(user=teammate).key}"
    workflow = admin.post(
        f"{gunicorn}/api/workflows/",
        json={
            "name": "Survey on close",
            "status": "live",
            "trigger": "teammate_changed_state",
            "trigger_options": {"state": "closed"},
            "frequency": "every_time",
            "steps": [{"type": "add_tag", "tag": "surveyed"}],
        },
        timeout=10,
    )
    assert workflow.status_code == 201, workflow.text
    contact = admin.post(f"{gunicorn}/api/contacts/", json={"name": "Maya"}, timeout=10).json()
    ids = [
        admin.post(
            f"{gunicorn}/api/conversations/",
            json={"contact": contact["id"], "body": f"Question {n}"},
            timeout=10,
        ).json()["id"]
        for n in range(3)
    ]
    macro = ben.post(
        f"{gunicorn}/api/macros/",
        json={"name": "Answer and close", "steps": [
            {"type": "reply", "body": "Done, thank you!"}, {"type": "close"}]},
        timeout=10,
    )  # fmt: skip
    assert macro.status_code == 201, macro.text

    closed = ben.post(
        f"{gunicorn}/api/conversations/bulk/",
        json={"conversations": ids[:2], "action": "close"},
        timeout=30,
    )
    ran = ben.post(
        f"{gunicorn}/api/macros/{macro.json()['id']}/run/",
        json={"conversations": [ids[2]]},
        timeout=30,
    )

    assert [r["ok"] for r in closed.json()["results"]] == [True, True]
    assert ran.json()["results"] == [{"conversation": ids[2], "ok": True, "error": ""}]

    def settled():
        return all(
            admin.get(f"{gunicorn}/api/conversations/{pk}/", timeout=10).json()["pending_events"]
            == 0
            for pk in ids
        )

    wait_for(settled, timeout=TIMEOUT_SECONDS, processes=celery_processes)
    for pk in ids:
        conversation = admin.get(f"{gunicorn}/api/conversations/{pk}/", timeout=10).json()
        assert (conversation["state"], conversation["tags"]) == ("closed", ["surveyed"])
    parts = admin.get(f"{gunicorn}/api/conversations/{ids[2]}/parts/", timeout=10).json()
    reply = next(p for p in parts["results"] if p["part_type"] == "teammate_reply")
    assert reply["body"] == "Done, thank you!"
