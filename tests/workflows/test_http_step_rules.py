"""The HTTP step's decisions over plain data: what an answer means, which answer resumes
which run, and where a failure goes."""

import json

from workflows.engine import http_step, planner
from workflows.engine.planner import EventInfo, RunView


def answer(body, status=200, error="", save=None):
    return http_step.answer_record(
        call="c1", status_code=status, body=json.dumps(body).encode() if body is not None else b"",
        duration_ms=12, error=error, ok=not error and 200 <= status < 300,
        save=save if save is not None else {"conversation.custom.plan": "data.plan"},
    )  # fmt: skip


def test_a_2xx_answer_gives_the_values_at_the_paths_and_names_those_missing():
    record = answer(
        {"data": {"plan": "Pro", "items": [{"id": 7}]}},
        save={
            "conversation.custom.plan": "data.plan",
            "contact.custom.first": "data.items.0.id",
            "contact.custom.none": "data.nope",
        },
    )

    assert record["ok"] is True
    assert record["values"] == {"conversation.custom.plan": "Pro", "contact.custom.first": 7}
    assert record["missing"] == ["data.nope"]


def test_a_non_2xx_a_time_out_or_an_answer_that_is_not_json_is_a_failure_with_its_reason():
    assert answer({"error": "x"}, status=500)["error"] == "answered 500"
    assert answer(None, status=200, error="No answer within 10 s.")["error"] == (
        "No answer within 10 s."
    )
    not_json = http_step.answer_record(
        call="c1", status_code=200, body=b"<html>", duration_ms=3, error="", ok=True,
        save={"conversation.custom.plan": "plan"},
    )  # fmt: skip
    assert (not_json["ok"], not_json["error"]) == (False, "the answer is not JSON")


def test_secrets_are_filled_in_by_name_and_a_missing_one_is_named():
    headers = {"Authorization": "Bearer {{secret.CRM}}", "X-Team": {"secret": "TEAM"}}
    values = {"CRM": "abc", "TEAM": "t1"}

    assert http_step.resolve_headers(headers, values.get) == {
        "Authorization": "Bearer abc",
        "X-Team": "t1",
    }
    try:
        http_step.resolve_headers({"A": "{{secret.GONE}}"}, values.get)
    except http_step.MissingSecret as missing:
        assert missing.args == ("GONE",)
    else:
        raise AssertionError("a missing secret must be refused")


def waiting_run(call="c1"):
    return RunView(
        id=5,
        workflow_id=1,
        is_customer_facing=False,
        status="waiting",
        waiting_for="http_request",
        wait={"workflow": 1, "path": [2], "call": call, "after_event": 10,
              "request": {"method": "GET", "url": "https://x.test/"}},
        cursor=[{"workflow": 1, "path": [], "index": 3}],
    )  # fmt: skip


def response_event(**payload):
    return EventInfo(11, "http_response", "system", payload={"run": 5, "call": "c1", **payload})


def test_the_answer_of_its_own_call_resumes_the_run_and_another_calls_does_not():
    ok = planner.resumes_for_event([waiting_run()], response_event(ok=True, values={"k": 1}))
    other = planner.resumes_for_event([waiting_run(call="c2")], response_event(ok=True))

    assert [(r.run_id, r.saves, r.cursor) for r in ok] == [(5, {"k": 1}, None)]
    assert ok[0].why["why"] == "http_response" and ok[0].why["url"] == "https://x.test/"
    assert other == []


def test_a_failed_answer_resumes_the_run_on_its_on_failure_path():
    [resume] = planner.resumes_for_event(
        [waiting_run()], response_event(ok=False, error="answered 500")
    )

    assert resume.saves is None
    assert resume.cursor == [
        {"workflow": 1, "path": [], "index": 3},
        {"workflow": 1, "path": [2, "else"], "index": 0},
    ]
    assert resume.why["error"] == "answered 500"
