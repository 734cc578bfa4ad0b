"""The builder's read-only pages: a workflow's test run and its report."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services
from conversations.models import Event, Part
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process
from workflows.models import WorkflowLog, WorkflowRun
from workflows.views_reports import (
    NO_CONVERSATION,
    NOT_AN_ID,
    UNKNOWN_CONVERSATION,
    step_rows,
    workflow_report,
)

pytestmark = pytest.mark.django_db

REFUND_TRIAGE = {
    "audience": {"match": "all", "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
        {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500},
        {"match": "any", "rules": [
            {"attribute": "conversation.channel", "operator": "is", "value": "email"},
            {"attribute": "message.body", "operator": "contains", "value": "refund"},
        ]},
    ]},
    "steps": [
        {"type": "add_tag", "tag": "Triage"},
        {"type": "branches",
         "branches": [
             {"when": {"match": "all", "rules": [
                 {"attribute": "message.body", "operator": "contains", "value": "invoice"}]},
              "steps": [{"type": "add_tag", "tag": "Billing"}]},
             {"when": {"match": "all", "rules": [
                 {"attribute": "message.body", "operator": "contains", "value": "refund"}]},
              "steps": [{"type": "add_tag", "tag": "Refunds"}, {"type": "set_priority", "priority": True}]},
         ],
         "else": [{"type": "close"}]},
    ],
}  # fmt: skip


@pytest.fixture
def workflow(db):
    return make_workflow("Refund triage", trigger="customer_first_message", **REFUND_TRIAGE)


@pytest.fixture
def teammate_client(client, teammate):
    client.force_login(teammate)
    return client


@pytest.fixture
def refund_conversation(db):
    contact = ContactFactory(name="Maya Okafor", plan="Pro", monthly_spend=300)
    return services.conversation_open(contact=contact, body="Hello, I would like a refund please")


def everything_counted(conversation):
    return (
        Part.objects.count(),
        Event.objects.count(),
        WorkflowRun.objects.count(),
        WorkflowLog.objects.count(),
        sorted(conversation.tags.values_list("name", flat=True)),
        conversation.state,
    )


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["test", "report"])
def test_it_renders_for_any_teammate(teammate_client, workflow, page):
    response = teammate_client.get(f"/workflows/{workflow.pk}/{page}/")

    assert response.status_code == 200
    assert "Refund triage" in response.content.decode()


@pytest.mark.parametrize("page", ["test", "report"])
def test_it_redirects_anonymous_visitors_to_the_login(client, workflow, page):
    response = client.get(f"/workflows/{workflow.pk}/{page}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", ["test", "report"])
def test_it_answers_404_for_an_unknown_workflow(teammate_client, page):
    assert teammate_client.get(f"/workflows/999999/{page}/").status_code == 404


def test_it_links_both_pages_from_the_list(teammate_client, workflow):
    body = teammate_client.get("/workflows/").content.decode()

    assert f'href="/workflows/{workflow.pk}/report/"' in body
    assert f'href="/workflows/{workflow.pk}/test/"' in body


# --- test run -------------------------------------------------------------------------


def test_it_lists_recent_conversations_with_the_contact_and_first_words(
    teammate_client, workflow, refund_conversation
):
    services.conversation_customer_message(
        conversation=refund_conversation,
        body="Actually it is about the invoice of last month and nothing else at all",
    )

    body = teammate_client.get(f"/workflows/{workflow.pk}/test/").content.decode()

    assert f'<option value="{refund_conversation.pk}">' in body
    assert (
        f"#{refund_conversation.pk} · Maya Okafor · Actually it is about the invoice of last"
        in body
    )


def test_it_shows_the_failing_rule_with_its_actual_value_and_changes_nothing(
    teammate_client, workflow, refund_conversation
):
    before = everything_counted(refund_conversation)

    response = teammate_client.get(
        f"/workflows/{workflow.pk}/test/", {"conversation": refund_conversation.pk}
    )

    assert response.status_code == 200
    result = response.context["result"]
    assert result["would_start"] is False
    assert "Monthly spend is greater than 500 — actual value 300" in result["reason"]
    rows = response.context["rule_rows"]
    spend = next(r for r in rows if r.get("attribute") == "contact.monthly_spend")
    assert (spend["matched"], spend["actual"], spend["depth"]) == (False, "300", 1)
    group = next(r for r in rows if r.get("group"))
    assert (group["group"], group["matched"], group["depth"]) == ("Any of these", True, 1)
    channel = next(r for r in rows if r.get("attribute") == "conversation.channel")
    assert (channel["matched"], channel["actual"], channel["depth"]) == (False, "“messenger”", 2)
    steps = response.context["step_rows"]
    assert [(r["depth"], r.get("would") or r.get("path")) for r in steps] == [
        (0, "Add tag “Triage”"),
        (0, "Take the first branch that matches"),
        (1, "Branch 2"),
        (2, "Add tag “Refunds”"),
        (2, "Mark as priority"),
    ]
    body = response.content.decode()
    assert "Would not start" in body
    assert "Monthly spend is greater than 500" in body
    assert '— actual value: <span class="actual">300</span>' in body
    assert "Branch 2 matches" in body
    assert everything_counted(refund_conversation) == before


def test_it_shows_a_workflow_that_would_start_and_its_else_path(teammate_client, workflow):
    contact = ContactFactory(plan="Pro", monthly_spend=900)
    conversation = services.conversation_open(contact=contact, body="Can I have a refund?")
    workflow.steps = [{"type": "branches", "branches": REFUND_TRIAGE["steps"][1]["branches"][:1],
                       "else": [{"type": "close"}]}]  # fmt: skip
    workflow.save()

    response = teammate_client.get(
        f"/workflows/{workflow.pk}/test/", {"recent": str(conversation.pk)}
    )

    assert response.context["result"]["would_start"] is True
    body = response.content.decode()
    assert "Would start" in body
    assert "No branch matches: the otherwise path runs" in body
    assert "Close the conversation" in body


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"conversation": "abc"}, "conversation", NOT_AN_ID),
        ({"conversation": "-4"}, "conversation", NOT_AN_ID),
        ({"conversation": "9" * 40}, "conversation", NOT_AN_ID),
        ({"conversation": "999999"}, "conversation", UNKNOWN_CONVERSATION.format(id=999999)),
        ({"conversation": ""}, "conversation", NO_CONVERSATION),
        ({"recent": "x1"}, "recent", NOT_AN_ID),
        ({"recent": "424242"}, "recent", UNKNOWN_CONVERSATION.format(id=424242)),
    ],
)
def test_it_shows_bad_conversation_input_beside_the_field(
    teammate_client, workflow, query, field, message
):
    response = teammate_client.get(f"/workflows/{workflow.pk}/test/", query)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert "result" not in response.context
    assert f'id="id_{field}-errors"' in response.content.decode()


# --- report ---------------------------------------------------------------------------


def add_run(workflow, conversation, status, *, started_days_ago=0, ended_days_ago=None):
    now = timezone.now()
    ended = None
    if status in ("completed", "interrupted", "failed"):
        ended = now - timedelta(days=started_days_ago if ended_days_ago is None else ended_days_ago)
    return WorkflowRun.objects.create(
        workflow=workflow,
        conversation=conversation,
        status=status,
        started_at=now - timedelta(days=started_days_ago),
        ended_at=ended,
        end_reason="interrupted: a teammate replied" if status == "interrupted" else "",
    )


def add_log(conversation, kind, *, workflow=None, listed=(), days_ago=0):
    return WorkflowLog.objects.create(
        conversation=conversation,
        workflow=workflow,
        kind=kind,
        message="Did not start",
        details={
            "count": len(listed),
            "workflows": [{"id": w.pk, "name": w.name, "reason": "targeting"} for w in listed],
        },
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def test_it_counts_runs_by_status_and_skips_per_day(workflow, conversation):
    other = make_workflow("Other", trigger="customer_first_message")
    add_run(workflow, conversation, "completed", started_days_ago=2)
    add_run(workflow, conversation, "completed", started_days_ago=2, ended_days_ago=1)
    add_run(workflow, conversation, "interrupted", started_days_ago=1)
    add_run(workflow, conversation, "failed")
    add_run(workflow, conversation, "waiting")
    add_run(workflow, conversation, "completed", started_days_ago=40)  # before the period
    add_run(other, conversation, "completed")  # another workflow's
    add_log(conversation, "skipped", workflow=workflow, days_ago=1)
    add_log(conversation, "skipped", workflow=other)
    add_log(conversation, "not_matched", workflow=workflow, listed=[workflow])
    add_log(conversation, "not_matched", listed=[other, workflow], days_ago=3)
    add_log(conversation, "not_matched", workflow=other, listed=[other])
    add_log(conversation, "not_matched", listed=[workflow, other], days_ago=45)  # too old
    add_log(conversation, "started", workflow=workflow)

    report = workflow_report(workflow)

    assert report["totals"] == {
        "started": 5,
        "completed": 2,
        "interrupted": 1,
        "failed": 1,
        "skipped": 3,
    }
    series = report["series"]
    assert len(report["days"]) == 30
    assert report["days"][-1] == timezone.localdate()
    assert series["started"][-3:] == [2, 1, 2]
    assert series["completed"][-3:] == [1, 1, 0]
    assert series["interrupted"][-3:] == [0, 1, 0]
    assert series["skipped"][-4:] == [1, 0, 1, 1]


def test_it_counts_a_real_targeting_skip(teammate_client, workflow, refund_conversation):
    process(refund_conversation)
    assert WorkflowLog.objects.filter(kind="not_matched").exists()

    response = teammate_client.get(f"/workflows/{workflow.pk}/report/")

    assert response.context["report"]["totals"]["skipped"] == 1
    assert response.context["report"]["totals"]["started"] == 0


def test_it_shows_the_chart_data_and_the_latest_runs(teammate_client, workflow, conversation):
    run = add_run(workflow, conversation, "interrupted")

    response = teammate_client.get(f"/workflows/{workflow.pk}/report/")

    body = response.content.decode()
    start = body.index('<script id="report-data" type="application/json">') + len(
        '<script id="report-data" type="application/json">'
    )
    chart = json.loads(body[start : body.index("</script>", start)])
    assert [d["key"] for d in chart["datasets"]] == [
        "started",
        "completed",
        "interrupted",
        "skipped",
    ]
    assert chart["datasets"][2]["data"][-1] == 1
    assert len(chart["labels"]) == 30
    assert f'href="/admin/conversations/conversation/{conversation.pk}/change/"' in body
    assert "interrupted: a teammate replied" in body
    assert f"#{run.pk}" in body
    assert "vendor/chartjs/chart.umd.js" in body and "js/report_chart.js" in body


def test_it_lists_at_most_twenty_runs_newest_first(workflow, conversation):
    runs = [add_run(workflow, conversation, "completed", started_days_ago=d) for d in range(25)]

    latest = workflow_report(workflow)["latest_runs"]

    assert [r.pk for r in latest] == [r.pk for r in runs[:20]]


@pytest.mark.parametrize("count", [1, 30])
def test_its_query_count_does_not_grow_with_the_runs(
    teammate_client, workflow, django_assert_max_num_queries, count
):
    for n in range(count):
        contact = ContactFactory()
        conversation = services.conversation_open(contact=contact, body=f"Hi {n}")
        add_run(workflow, conversation, ["completed", "interrupted", "waiting"][n % 3])
        add_log(conversation, "not_matched", listed=[workflow], workflow=workflow, days_ago=n % 5)

    # One more than before versions: runs per version (runs_by_version).
    with django_assert_max_num_queries(9):
        response = teammate_client.get(f"/workflows/{workflow.pk}/report/")

    assert response.status_code == 200
    assert len(response.context["report"]["latest_runs"]) == min(count, 20)


def test_the_test_run_query_count_does_not_grow_with_the_conversations(
    teammate_client, workflow, django_assert_max_num_queries
):
    for n in range(40):
        services.conversation_open(contact=ContactFactory(), body=f"Message number {n}")

    with django_assert_max_num_queries(4):
        response = teammate_client.get(f"/workflows/{workflow.pk}/test/")

    assert response.status_code == 200


def test_it_marks_every_matching_entry_and_each_button_path():
    steps = [
        {"type": "apply_rules", "would": "run every matching entry", "matched": [0, 2],
         "paths": [[{"type": "add_tag", "would": "tag A"}], [{"type": "close", "would": "close"}]]},
        {"type": "reply_buttons", "would": "ask: Which?",
         "paths": [{"label": "Sales", "steps": [{"type": "add_tag", "would": "tag S"}]}]},
        {"type": "run_workflow", "would": 'continue in "Gone"'},
    ]  # fmt: skip

    rows = step_rows(steps)

    assert [(r["depth"], r.get("would") or r.get("path"), r.get("chosen")) for r in rows] == [
        (0, "run every matching entry", None),
        (1, "Rule entry 1", True),
        (2, "tag A", None),
        (1, "Rule entry 3", True),
        (2, "close", None),
        (0, "ask: Which?", None),
        (1, "Button “Sales”", False),
        (2, "tag S", None),
        (0, 'continue in "Gone"', None),
    ]
    assert rows[0]["note"] == "Rule entries 1 and 3 match"
    assert rows[-1]["note"] == "That workflow is not live: its steps are not shown"


def test_the_test_run_with_a_result_reads_a_bounded_number_of_rows(
    teammate_client, workflow, refund_conversation, django_assert_max_num_queries
):
    for n in range(40):
        services.conversation_open(contact=ContactFactory(), body=f"Message number {n}")

    # 13: the catalog's load (after the test's changes) reads the webhook subscriptions too.
    with django_assert_max_num_queries(13):
        response = teammate_client.get(
            f"/workflows/{workflow.pk}/test/", {"conversation": refund_conversation.pk}
        )

    assert response.context["result"]["conversation"] == refund_conversation.pk
