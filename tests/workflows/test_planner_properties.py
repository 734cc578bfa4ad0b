"""Property: for random small catalogs and event sequences, what the planner planned and
what the database holds after the processor applied it agree — runs started and ended,
tags, and the kinds of the log records."""

from collections import Counter
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations import services
from conversations.actors import Actor
from tests.factories import ContactFactory, TeammateFactory
from tests.workflows.helpers import make_workflow, process, tag_names
from workflows import catalog as catalog_module
from workflows.engine import planner
from workflows.engine.definitions import REPEATABLE_TRIGGERS
from workflows.models import WorkflowLog, WorkflowRun

pytestmark = pytest.mark.django_db

TRIGGERS = ["customer_any_message", "customer_first_message", "teammate_replied"]
PRO = {"match": "all", "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]}


def steps_of(name, kind):
    steps = [{"type": "add_tag", "tag": name}]
    if kind == "talk":
        steps.append({"type": "send_message", "body": "Hello"})
    if kind == "ask":
        steps.append({"type": "reply_buttons", "body": "Ok?", "buttons": [
            {"label": "Yes", "steps": [{"type": "add_tag", "tag": f"{name}-yes"}]},
            {"label": "No", "steps": []},
        ]})  # fmt: skip
    return steps


workflows = st.lists(
    st.tuples(
        st.sampled_from(TRIGGERS),
        st.sampled_from(["once", "every_time"]),
        st.booleans(),  # targeting: Pro only
        st.sampled_from(["tag", "talk", "ask"]),
    ),
    min_size=1,
    max_size=4,
)
events = st.lists(
    st.sampled_from(["Hi", "Yes", "No", "teammate_reply", "close", "reopen"]),
    min_size=0,
    max_size=5,
)


class Rollback(Exception):
    pass


def act(conversation, teammate, what):
    if what == "teammate_reply":
        services.conversation_teammate_reply(
            conversation=conversation.pk, teammate=teammate, body="On it"
        )
    elif what == "close":
        services.conversation_close(conversation=conversation.pk, acting=Actor.teammate(teammate))
    elif what == "reopen":
        services.conversation_reopen(conversation=conversation.pk, acting=Actor.teammate(teammate))
    else:
        services.conversation_customer_message(conversation=conversation.pk, body=what)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(workflows=workflows, sequence=events, plan_of_contact=st.sampled_from(["Pro", "Free"]))
def test_the_plan_and_the_database_agree(workflows, sequence, plan_of_contact):
    try:
        with transaction.atomic():
            check(workflows, sequence, plan_of_contact)
            raise Rollback  # each example starts from an empty database
    except Rollback:
        pass


def check(workflows, sequence, plan_of_contact):
    catalog_module._cached = None
    for number, (trigger, frequency, pro_only, kind) in enumerate(workflows):
        make_workflow(
            f"W{number}",
            trigger=trigger,
            # "Every time" is refused on a trigger that happens once per conversation.
            frequency=frequency if trigger in REPEATABLE_TRIGGERS else "once",
            steps=steps_of(f"W{number}", kind),
            **({"audience": PRO} if pro_only else {}),
        )
    teammate = TeammateFactory()
    plans = []
    real_plan = planner.plan

    def recording(*args, **kwargs):
        plans.append(real_plan(*args, **kwargs))
        return plans[-1]

    with mock.patch.object(planner, "plan", recording):
        conversation = services.conversation_open(
            contact=ContactFactory(plan=plan_of_contact), body="Hello"
        )
        process(conversation)
        for what in sequence:
            act(conversation, teammate, what)
            process(conversation)

    effects = [effect for plan in plans for effect in plan.effects]
    starts = [e for e in effects if isinstance(e, planner.Start)]
    interrupts = [e for e in effects if isinstance(e, planner.Interrupt)]
    resumes = [e for e in effects if isinstance(e, planner.Resume)]
    runs = list(WorkflowRun.objects.filter(conversation=conversation).order_by("id"))

    # Runs started: the same workflows, in the same order.
    assert [run.workflow.name for run in runs] == [start.workflow.name for start in starts]
    # Runs interrupted: the ones the plans named.
    assert {run.pk for run in runs if run.status == "interrupted"} == {
        interrupt.run_id for interrupt in interrupts
    }
    # Tags: each started run tagged its workflow's name; a "Yes" its path's tag.
    chosen_yes = {
        f"{WorkflowRun.objects.get(pk=resume.run_id).workflow.name}-yes"
        for resume in resumes
        if resume.why.get("label") == "Yes"
    }
    assert set(tag_names(conversation)) == {s.workflow.name for s in starts} | chosen_yes
    # Log records: one per decision of the plans.
    kinds = Counter(
        WorkflowLog.objects.filter(
            conversation=conversation,
            kind__in=["started", "skipped", "not_matched", "chain_cut", "interrupted", "resumed"],
        ).values_list("kind", flat=True)
    )
    planned = Counter(e.log_kind for e in effects if hasattr(e, "log_kind"))
    assert kinds == planned
