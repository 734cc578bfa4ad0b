"""What `make run` prints: the sweeps quiet, one line per 403, the banner once up; the
favicon that spares the console a 404 per page."""

import logging

import pytest
from celery.app.trace import LOG_RECEIVED, LOG_SUCCESS
from django.core.management import call_command

from conversations.management.commands import run_banner

pytestmark = pytest.mark.django_db


def celery_lines(task_name: str) -> None:
    """The lines beat and a worker log for one task, as Celery logs them."""
    context = {"id": "1", "name": task_name, "return_value": 0, "runtime": 0.01}
    logging.getLogger("celery.beat").info(
        "Scheduler: Sending due task %s (%s)", "fire-due-timers", task_name
    )
    logging.getLogger("celery.worker.strategy").info(LOG_RECEIVED, context)
    logging.getLogger("celery.app.trace").info(LOG_SUCCESS, context)


def test_the_sweeps_log_at_debug_and_other_tasks_at_info(caplog):
    caplog.set_level(logging.INFO)

    celery_lines("workflows.fire_due_timers")
    celery_lines("workflows.redispatch_unprocessed_events")
    assert caplog.records == []

    celery_lines("workflows.process_conversation_events")
    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "INFO"]


def test_the_sweeps_show_at_debug_when_asked(caplog):
    caplog.set_level(logging.DEBUG)

    celery_lines("workflows.fire_due_timers")

    assert [r.levelname for r in caplog.records] == ["DEBUG", "DEBUG", "DEBUG"]


def test_a_403_logs_one_warning_without_a_traceback(client, teammate, caplog):
    client.force_login(teammate)
    caplog.set_level(logging.INFO)

    assert client.get("/workflows/new/").status_code == 403

    forbidden = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in forbidden] == ["Forbidden (Permission denied): /workflows/new/"]
    assert forbidden[0].exc_info is None
    # Django's own console handler is gone: the root's handler prints it, once.
    assert logging.getLogger("django").handlers == []


def test_every_page_has_a_favicon_and_favicon_ico_leads_to_it(client, teammate):
    client.force_login(teammate)

    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/inbox/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"


def test_the_banner_prints_the_url_and_logins_once_the_server_answers(
    live_server, capsys, monkeypatch
):
    monkeypatch.setattr(run_banner, "SETTLE_SECONDS", 0)

    call_command("run_banner", url=live_server.url + "/", once=True)

    out = capsys.readouterr().out
    assert f"Inbox Workflows is up at {live_server.url}/" in out
    assert "ada    workspace admin" in out
    assert "password inbox-demo" in out


def test_the_banner_waits_while_nothing_answers():
    assert run_banner.answers("http://127.0.0.1:9/") is False
