"""The one validator, import/export, derived flags and ordering."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tests.factories import SlaPolicyFactory, TeamFactory
from tests.workflows.helpers import API_EXAMPLE as ROUTE_PRO
from tests.workflows.helpers import make_workflow
from workflows.engine.errors import DefinitionError
from workflows.models import Workflow
from workflows.services import (
    workflow_archive,
    workflow_create,
    workflow_reorder,
    workflow_update,
    workflows_export,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def names(support_team):
    SlaPolicyFactory(name="Premium Support")


def errors_of(document):
    with pytest.raises(DefinitionError) as error:
        workflow_create(document=document)
    assert not Workflow.objects.filter(name=document.get("name")).exists()
    return error.value.errors


def with_steps(*steps, **fields):
    return {
        "name": "W",
        "status": "live",
        "trigger": "customer_any_message",
        "steps": list(steps),
        **fields,
    }


def test_it_saves_the_api_example_and_exports_the_same_document(names):
    workflow = workflow_create(document=ROUTE_PRO)

    assert workflow.document() == ROUTE_PRO
    assert workflow.is_background is True
    assert workflows_export() == [ROUTE_PRO]


def test_it_round_trips_through_export_and_import_commands(names, tmp_path):
    make_workflow("Greeting", trigger="customer_opened_conversation", steps=[
        {"type": "reply_buttons", "body": "Hi!", "buttons": [{"label": "Sales", "steps": [{"type": "add_tag", "tag": "Sales"}]}]},
    ])  # fmt: skip
    workflow_create(document=ROUTE_PRO)
    make_workflow("Second", trigger="customer_first_message")
    path = tmp_path / "workflows.json"
    call_command("export_workflows", output=str(path))
    exported = json.loads(path.read_text())
    Workflow.objects.all().delete()

    call_command("import_workflows", str(path))

    assert workflows_export() == exported
    assert [w.name for w in Workflow.objects.filter(trigger="customer_first_message")] == [
        "Route Pro customers",
        "Second",
    ]


def test_import_refuses_the_whole_file_naming_the_document_and_place(names, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([ROUTE_PRO, with_steps({"type": "assign", "team": "Tier 3"})]))

    with pytest.raises(CommandError) as error:
        call_command("import_workflows", str(path))

    assert 'workflows[1].steps[0].team: No team named "Tier 3".' in str(error.value)
    assert not Workflow.objects.exists()


def test_is_background_is_derived_from_the_steps_at_any_depth(names):
    background = make_workflow("Bg", steps=[{"type": "add_tag", "tag": "x"}])
    facing = make_workflow("Facing", steps=[{"type": "branches", "branches": [
        {"when": {"match": "all", "rules": []}, "steps": [{"type": "send_message", "body": "Hi"}]}
    ], "else": []}])  # fmt: skip

    assert background.is_background is True
    assert facing.is_background is False


def test_a_workflow_running_a_customer_facing_reusable_workflow_is_customer_facing():
    make_workflow("Say hi", trigger="reusable", steps=[{"type": "send_message", "body": "Hi"}])

    caller = make_workflow("Caller", steps=[{"type": "run_workflow", "workflow": "Say hi"}])

    assert caller.is_background is False


@pytest.mark.parametrize(
    ("document", "place", "words"),
    [
        ({**with_steps({"type": "close"}), "trigger": "whenever"}, "trigger", "Unknown trigger"),
        (with_steps({"type": "explode"}), "steps[0].type", "Unknown step type"),
        (with_steps({"type": "assign", "team": "Tier 3"}), "steps[0].team", 'No team named "Tier 3"'),
        (with_steps({"type": "assign", "teammate": "nobody"}), "steps[0].teammate", "No teammate"),
        (with_steps({"type": "apply_sla", "sla": "Gold"}), "steps[0].sla", "No SLA policy"),
        (with_steps({"type": "run_workflow", "workflow": "Ghost"}), "steps[0].workflow", "No reusable"),
        (with_steps({"type": "wait", "duration": "-5m"}), "steps[0].duration", "whole number"),
        (with_steps({"type": "wait", "duration": "0s"}), "steps[0].duration", "longer than zero"),
        (with_steps({"type": "wait", "duration": "soon"}), "steps[0].duration", "whole number"),
        (with_steps({"type": "wait", "duration": "31d"}), "steps[0].duration", "At most 30 days"),
        (with_steps({"type": "set_priority", "priority": "yes"}), "steps[0].priority", "true or false"),
        (with_steps({"type": "add_tag", "tag": "  "}), "steps[0].tag", "required"),
        (with_steps({"type": "close"}, audience={"match": "all", "rules": [
            {"attribute": "contact.shoe_size", "operator": "is", "value": 9}]}),
         "audience.rules[0].attribute", "no attribute called"),
        (with_steps({"type": "close"}, audience={"match": "all", "rules": [
            {"attribute": "contact.plan", "operator": "gt", "value": 9}]}),
         "audience.rules[0].operator", "does not fit"),
        (with_steps({"type": "close"}, audience={"match": "all", "rules": [
            {"attribute": "contact.monthly_spend", "operator": "gt", "value": "lots"}]}),
         "audience.rules[0].value", "a number"),
        (with_steps({"type": "branches", "branches": [{"when": {"match": "all", "rules": [
            {"attribute": "contact.plan", "operator": "is", "value": 5}]}, "steps": [
            {"type": "add_tag"}]}], "else": []}),
         "steps[0].branches[0].when.rules[0].value", "text"),
        (with_steps({"type": "branches", "branches": [{"when": {"match": "all", "rules": []}, "steps": [
            {"type": "add_tag"}]}], "else": []}),
         "steps[0].branches[0].steps[0].tag", "required"),
        (with_steps({"type": "reply_buttons", "body": "Pick", "buttons": [
            {"label": "A", "steps": [{"type": "assign", "team": "Nope"}]}]}),
         "steps[0].buttons[0].steps[0].team", "No team"),
        ({**with_steps({"type": "close"}), "trigger": "customer_unresponsive"},
         "trigger_options.after", "Give a duration"),
        ({**with_steps({"type": "close"}), "trigger": "teammate_changed_state",
          "trigger_options": {"state": "deleted"}}, "trigger_options.state", "closed, snoozed"),
        ({**with_steps({"type": "close"}), "frequency": "sometimes"}, "frequency", "Unknown"),
        ({**with_steps({"type": "close"}), "name": ""}, "name", "name"),
        (with_steps(), "steps", "at least one step"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_definition_naming_the_place(names, document, place, words):
    errors = errors_of(document)

    assert place in errors, errors
    assert words.lower() in " ".join(errors[place]).lower()


def test_it_refuses_a_cycle_of_reusable_workflows():
    make_workflow("One", trigger="reusable", steps=[{"type": "add_tag", "tag": "1"}])
    make_workflow("Two", trigger="reusable", steps=[{"type": "run_workflow", "workflow": "One"}])
    one = Workflow.objects.get(name="One")

    with pytest.raises(DefinitionError) as error:
        workflow_update(
            workflow=one,
            document={**one.document(), "steps": [{"type": "run_workflow", "workflow": "Two"}]},
        )

    assert "cycle" in " ".join(error.value.errors["steps"])
    one.refresh_from_db()
    assert one.steps == [{"type": "add_tag", "tag": "1"}]


def test_it_refuses_a_workflow_running_itself():
    make_workflow("Self", trigger="reusable", steps=[{"type": "add_tag", "tag": "1"}])
    workflow = Workflow.objects.get(name="Self")

    with pytest.raises(DefinitionError):
        workflow_update(
            workflow=workflow,
            document={
                **workflow.document(),
                "steps": [{"type": "run_workflow", "workflow": "Self"}],
            },
        )


def test_it_refuses_a_duplicate_name():
    make_workflow("Same")

    assert "name" in errors_of(with_steps({"type": "close"}, name="same"))


def test_new_workflows_go_last_and_reorder_takes_every_id_once():
    first, second, third = (make_workflow(name) for name in ("First", "Second", "Third"))
    assert [first.priority, second.priority, third.priority] == [0, 1, 2]

    workflow_reorder(trigger="customer_any_message", order=[third.pk, first.pk, second.pk])

    ordered = Workflow.objects.filter(trigger="customer_any_message").order_by("priority")
    assert [w.name for w in ordered] == ["Third", "First", "Second"]
    with pytest.raises(ValidationError):
        workflow_reorder(trigger="customer_any_message", order=[third.pk, first.pk])
    with pytest.raises(ValidationError):
        workflow_reorder(trigger="customer_any_message", order=[third.pk, first.pk, first.pk])


def test_a_reusable_workflow_in_use_cannot_be_archived():
    shared = make_workflow("Shared", trigger="reusable")
    make_workflow("User", steps=[{"type": "run_workflow", "workflow": "Shared"}])

    with pytest.raises(ValidationError):
        workflow_archive(workflow=shared)

    assert Workflow.objects.filter(name="Shared").exists()


def test_changing_a_team_name_used_by_a_saved_workflow_is_caught_at_run_time(support_team):
    TeamFactory(name="Other")
    make_workflow("Route", steps=[{"type": "assign", "team": "Support"}])
    # The run reports the missing team (see test_steps); saving again asks for a fix.
    support_team.delete()
    workflow = Workflow.objects.get(name="Route")

    with pytest.raises(DefinitionError):
        workflow_update(workflow=workflow, document=workflow.document())


@pytest.mark.parametrize(
    "document",
    [
        {"name": "X", "trigger": ["customer_any_message"], "steps": [{"type": "close"}]},
        {"name": "X", "trigger": "customer_any_message", "steps": [{"type": ["close"]}]},
        {"name": "X", "trigger": "customer_any_message", "steps": [{"type": "close"}],
         "audience": {"rules": [{"attribute": "contact.plan", "operator": ["is"], "value": 1}]}},
        {"name": ["X"], "trigger": "customer_any_message", "steps": [{"type": "close"}]},
        {"name": "X", "trigger": "customer_any_message", "steps": [{"type": "close"}],
         "trigger_options": {"state": {"a": 1}}},
    ],
)  # fmt: skip
def test_values_of_the_wrong_json_type_anywhere_are_refused_not_crashed(document):
    with pytest.raises(DefinitionError):
        workflow_create(document=document)
