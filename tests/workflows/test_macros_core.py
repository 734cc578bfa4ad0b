"""The pure parts of macros and bulk actions, without a database."""

import pytest

from conversations import bulk
from workflows import macros, vocabulary
from workflows.engine.definitions import References, compile_macro_steps
from workflows.engine.errors import DefinitionError

REFS = References(teammates={"ben"}, teams={"Billing"}, slas={"Premium"})


@pytest.mark.parametrize("kind", list(macros.ROW_STEPS))
def test_every_row_kind_makes_a_valid_step_and_reads_back(kind):
    value = {"snooze": "2h", "assign_team": "Billing", "assign_teammate": "ben",
             "apply_sla": "Premium"}.get(kind, "vip" if macros.ROW_STEPS[kind][1] else "")  # fmt: skip
    step = macros.row_step(kind, value)
    assert compile_macro_steps([step], REFS)[0].type == step["type"]
    assert macros.step_row(step) == (kind, value)
    assert kind in vocabulary.MACRO_ROW_LABELS


def test_steps_no_row_can_say_leave_the_form_for_the_api():
    assert macros.rows_from_document([{"type": "set_data", "key": "a", "value": 1}]) is None
    assert macros.rows_from_document([{"type": "assign", "team": "B", "round_robin": True}]) is None
    assert macros.rows_from_document([{"type": "reply", "body": "Hi"}, {"type": "close"}]) == (
        "Hi",
        [("close", "")],
    )


def test_a_macro_refuses_flow_and_customer_facing_steps_naming_the_place():
    with pytest.raises(DefinitionError) as refused:
        compile_macro_steps(
            [{"type": "close"}, {"type": "wait", "duration": "1h"},
             {"type": "reply_buttons", "body": "?", "buttons": []}],
            REFS,
        )  # fmt: skip
    assert set(refused.value.errors) == {"steps[1].type", "steps[2].type"}


def test_bulk_says_what_would_change_nothing():
    assert bulk.refusal("close", "closed") == "already closed"
    assert bulk.refusal("reopen", "open") == "already open"
    assert bulk.refusal("close", "snoozed") == ""


def test_results_in_words_name_each_failure():
    results = [
        {"conversation": 1, "ok": True, "error": ""},
        {"conversation": 42, "ok": False, "error": "already closed"},
    ]
    assert vocabulary.result_words(results, "Closed") == (
        "Closed: 1 conversation.",
        ["#42: already closed"],
    )
    assert macros.step_index("steps[3].tag") == 3 and macros.step_index("steps") is None
