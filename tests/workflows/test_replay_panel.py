"""The builder's Replay panel endpoints: a large window shows a progress bar that polls
until the task's result is ready; teammates who are not admins may not replay."""

import pytest
from django.urls import reverse

from conversations import services
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process
from workflows.models import ReplayJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def greeter():
    workflow = make_workflow("Greeter", frequency="every_time")
    for _ in range(3):
        process(services.conversation_open(contact=ContactFactory(), body="Hi"))
    return workflow


def test_a_large_window_shows_a_progress_bar_then_the_result(
    client, admin_user, greeter, settings, django_capture_on_commit_callbacks
):
    settings.REPLAY_SYNC_EVENTS = 2
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        page = client.post(
            reverse("workflows:replay", args=[greeter.pk]),
            {"replay_days": "7", "replay_source": "live"},
        ).content.decode()
    job = ReplayJob.objects.get()
    poll = reverse("workflows:replay_progress", args=[greeter.pk, job.pk])
    assert "Replaying 3 past events" in page
    assert f'hx-get="{poll}"' in page and "<progress" in page

    for callback in queued:  # the task, sent once the job is committed (run inline here)
        callback()
    done = client.get(poll).content.decode()
    assert "3</strong> past events examined over 7 days" in done
    assert "hx-get" not in done  # the polling stops


def test_a_teammate_who_is_not_an_admin_may_not_replay(client, teammate, greeter):
    client.force_login(teammate)
    response = client.post(reverse("workflows:replay", args=[greeter.pk]), {"replay_days": "7"})
    assert response.status_code == 403
