"""The conversation's timeline: one line per run's go, one per event's skipped workflows,
each expandable to its steps or reasons (inbox/selectors.timeline, workflows/log_words)."""

import pytest
from django.urls import reverse

from conversations import services
from conversations.actors import Actor
from inbox.selectors import timeline
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process

pytestmark = pytest.mark.django_db

PRO = {"match": "all", "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]}
BIG = {"match": "all", "rules": [
    {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500}]}  # fmt: skip


def open_conversation(body="Hello", **contact):
    conversation = services.conversation_open(contact=ContactFactory(**contact), body=body)
    process(conversation)
    return conversation


def lines(conversation, kind):
    return [item for item in timeline(conversation) if item.kind == kind]


def test_a_message_that_triggers_three_workflows_gives_one_run_line_and_one_skip_line(
    support_team,
):
    make_workflow("Route Pro customers", trigger="customer_first_message",
                  steps=[{"type": "add_tag", "tag": "VIP"}, {"type": "assign", "team": "Support"}])  # fmt: skip
    make_workflow("Pro only", trigger="customer_first_message", audience=PRO)
    make_workflow("Big spenders", trigger="customer_first_message", audience=BIG)

    conversation = open_conversation(plan="Free", monthly_spend=20)
    items = timeline(conversation)

    assert [item.kind for item in items] == ["activity", "customer", "skips", "run"]
    assert items[0].text.endswith("started the conversation")
    [run] = lines(conversation, "run")
    assert run.text == "Route Pro customers: tagged VIP, assigned to Support"
    assert run.steps == (
        "Started: Customer sends their first message",
        "Tagged VIP",
        "Assigned to Support",
        "Finished",
    )
    [skips] = lines(conversation, "skips")
    assert skips.text == "2 workflows did not start"
    big, pro = sorted(skips.steps)
    assert pro.startswith('"Pro only": ') and pro.endswith("is Pro — was Free")
    assert big.startswith('"Big spenders": ') and big.endswith("500 — was 20")


def test_the_page_folds_each_run_and_skip_line_with_its_steps_inside(logged_in, support_team):
    make_workflow("Route", trigger="customer_first_message",
                  steps=[{"type": "add_tag", "tag": "VIP"}])  # fmt: skip
    make_workflow("Pro only", trigger="customer_first_message", audience=PRO)
    conversation = open_conversation(plan="Free")

    body = logged_in.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()

    assert body.count('<details class="timeline-entry') == 2 and body.count("<summary>") == 2
    run = body[body.index('data-kind="run"') :]
    assert '<strong class="entry-name">Route</strong>: tagged VIP' in run
    assert "<li>Tagged VIP</li>" in run
    skips = body[body.index('data-kind="skips"') :]
    assert "Workflow &quot;Pro only&quot; did not start" in skips
    assert "is Pro — was Free</li>" in skips
    # The workflow's tag is said on its run's line, not again as a line of its own.
    assert "tagged this conversation" not in body


def test_a_run_that_changed_nothing_says_so():
    make_workflow("Tagger", trigger="customer_any_message", frequency="every_time",
                  steps=[{"type": "add_tag", "tag": "Known"}])  # fmt: skip
    conversation = open_conversation("First")
    services.conversation_customer_message(conversation=conversation, body="Again")
    process(conversation)

    first, second = lines(conversation, "run")

    assert first.text == "Tagger: tagged Known" and first.changed
    assert second.text == "Tagger: ran, changed nothing" and not second.changed
    assert "Already tagged Known" in second.steps


def test_a_held_assignment_is_said_on_the_run_line_and_its_release_on_a_later_one(
    support_team,
):
    make_workflow("Bot", trigger="customer_first_message",
                  steps=[{"type": "reply_buttons", "body": "Sales or support?", "buttons": [
                      {"label": "Sales", "steps": []}, {"label": "Support", "steps": []}]}])  # fmt: skip
    make_workflow("Route", trigger="customer_first_message",
                  steps=[{"type": "add_tag", "tag": "VIP"}, {"type": "assign", "team": "Support"}])  # fmt: skip
    conversation = open_conversation()

    bot, route = lines(conversation, "run")
    assert bot.text == "Bot: asked the customer to choose: Sales, Support"
    assert route.text == ("Route: tagged VIP, assignment to Support held until the bot finished")

    services.conversation_customer_message(conversation=conversation, body="Sales")
    process(conversation)
    later = [item.text for item in lines(conversation, "run")[2:]]
    assert later == [
        'Bot: the customer chose "Sales", changed nothing',
        'Route: deferred assignment to "Support" applied now the bot has finished',
    ]


def test_a_snooze_step_says_its_end_by_the_calendar_never_as_a_raw_timestamp():
    make_workflow("Later", trigger="customer_first_message",
                  steps=[{"type": "snooze", "duration": "1d"}])  # fmt: skip
    conversation = open_conversation()

    [run] = lines(conversation, "run")

    assert run.text.startswith("Later: snoozed until tomorrow ")
    assert "T" not in run.text.split("until ")[1] and "+00:00" not in run.text


def test_a_teammates_snooze_says_its_end_by_the_calendar(teammate):
    from datetime import timedelta

    from django.utils import timezone

    conversation = open_conversation()
    services.conversation_snooze(
        conversation=conversation,
        until=timezone.now() + timedelta(days=30),
        acting=Actor.teammate(teammate),
    )

    [snoozed] = [item for item in lines(conversation, "activity") if "snoozed" in item.text]

    assert "+00:00" not in snoozed.text and ":" in snoozed.text.split("until ")[1]


@pytest.fixture
def logged_in(client, teammate):
    client.force_login(teammate)
    return client
