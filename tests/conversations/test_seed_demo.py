import pytest
from django.core.management import call_command
from django.http import HttpRequest

from conversations.models import Contact, Conversation, Event, Team, Teammate
from workflows.demo import DEMO_WORKFLOWS
from workflows.models import Workflow
from workflows.views_reports import workflow_report

pytestmark = pytest.mark.django_db


def make_demo():
    """`make demo`: people, then the example workflows, then the conversations."""
    call_command("seed_demo")
    call_command("seed_demo_workflows")
    call_command("seed_demo_conversations")


def test_it_loads_the_demo_people_once_however_often_it_runs():
    call_command("seed_demo")
    call_command("seed_demo")

    assert Team.objects.count() == 2
    assert Teammate.objects.count() == 4
    assert Teammate.objects.filter(is_workspace_admin=True).count() == 1
    # Twenty contacts and a visitor who has not given an email yet.
    assert Contact.objects.count() == 21
    assert Contact.objects.filter(email="").count() == 1
    assert not Contact.objects.filter(plan="").exists()
    assert not Conversation.objects.exists()


def test_it_lets_the_demo_logins_sign_in(client):
    call_command("seed_demo")

    # django-axes checks every log-in against its lock-out, so it needs the request.
    assert client.login(request=HttpRequest(), username="ada", password="inbox-demo")


def test_it_loads_the_live_example_workflows_once():
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


def test_it_loads_the_demo_conversations_once_however_often_it_runs():
    make_demo()
    make_demo()

    assert Conversation.objects.count() == 31
    states = set(Conversation.objects.values_list("state", flat=True))
    assert states == {"open", "snoozed", "closed"}
    assert all(c.parts.exists() for c in Conversation.objects.all())
    # Titles say what the customer wrote about.
    assert Conversation.objects.filter(title="Invoice for last month").exists()
    assert not Conversation.objects.filter(title="").exists()
    # The workflows processed every event before `make run` starts the worker.
    assert not Event.objects.filter(processed_at__isnull=True).exists()


def test_every_demo_workflow_has_runs_in_its_report():
    make_demo()

    for definition in DEMO_WORKFLOWS:
        report = workflow_report(Workflow.objects.get(name=definition["name"]))
        assert report["totals"]["started"] >= 1, definition["name"]


def test_a_demo_conversation_shows_what_the_workflows_did(client):
    make_demo()
    conversation = (
        Conversation.objects.filter(title="Invoice for last month").order_by("pk").first()
    )
    client.force_login(Teammate.objects.get(username="cleo"))

    page = client.get(f"/inbox/conversations/{conversation.pk}/").content.decode()

    # The Greeting asked, the customer pressed "Billing", the bot answered and handed over.
    assert "Greeting" in page
    assert "Hi there! What can we help you with?" in page
    assert "Someone from our billing team will reply here shortly." in page
    assert list(conversation.tags.values_list("name", flat=True)) == ["Billing"]


def test_the_demo_visitor_is_asked_for_an_email_and_gives_it():
    make_demo()
    visitor = Contact.objects.get(external_id="demo-visitor")

    conversation = visitor.conversations.get()

    assert visitor.email == "robin.visitor@example.com"
    bot_says = list(
        conversation.parts.filter(part_type="bot_message")
        .order_by("created_at", "id")
        .values_list("body", flat=True)
    )
    assert bot_says == ["What email can we reach you at?", "Thanks, we'll keep you posted there."]
