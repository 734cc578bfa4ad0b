import pytest
from django.core.management import call_command
from django.http import HttpRequest

from conversations.models import Contact, Conversation, Team, Teammate

pytestmark = pytest.mark.django_db


def test_it_loads_the_demo_data_once_however_often_it_runs():
    call_command("seed_demo")
    call_command("seed_demo")

    assert Team.objects.count() == 2
    assert Teammate.objects.count() == 4
    assert Teammate.objects.filter(is_workspace_admin=True).count() == 1
    assert Contact.objects.count() == 20
    assert Conversation.objects.count() == 30
    states = set(Conversation.objects.values_list("state", flat=True))
    assert states == {"open", "snoozed", "closed"}
    assert not Contact.objects.filter(plan="").exists()
    assert all(c.parts.exists() for c in Conversation.objects.all())
    # The demo history counts as handled: workflows do not act on it at startup.
    from conversations.models import Event

    assert not Event.objects.filter(processed_at__isnull=True).exists()


def test_it_lets_the_demo_logins_sign_in(client):
    call_command("seed_demo")

    # django-axes checks every log-in against its lock-out, so it needs the request.
    assert client.login(request=HttpRequest(), username="ada", password="inbox-demo")


def test_it_loads_the_live_example_workflows_once():
    from workflows.models import Workflow

    call_command("seed_demo")
    call_command("seed_demo_workflows")
    call_command("seed_demo_workflows")

    assert Workflow.objects.filter(status="live").count() == 5
    greeting = Workflow.objects.get(name="Greeting")
    # An admin's changes survive the next `make run`.
    Workflow.objects.filter(name="Greeting").update(status="paused")
    call_command("seed_demo_workflows")
    assert Workflow.objects.get(name="Greeting").status == "paused"
    assert greeting.is_background is False
    assert Workflow.objects.get(name="Support routing").is_background is True
