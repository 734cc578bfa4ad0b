"""The step registry and the vocabulary: each step type declared once and read by the
validator, the builder, the outline, the dry run and its action; each trigger and
operator word written once and shown by every page."""

import re
from dataclasses import replace
from pathlib import Path

import pytest
from django.forms.formsets import BaseFormSet
from django.urls import reverse

from conversations import services
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow
from workflows import step_actions, vocabulary
from workflows.dry_run import _Describer, workflow_dry_run
from workflows.editor import WorkflowEditor
from workflows.engine import steps
from workflows.engine.definitions import TRIGGERS, References, compile_definition
from workflows.engine.errors import DefinitionError
from workflows.engine.rules import ALL_OPERATORS
from workflows.forms import STEP_FIELDS, STEP_TYPES, StepForm
from workflows.outline import outline, step_words

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = References(
    teammates={"ben"}, teams={"Support"}, slas={"Gold"}, reusables={"Shared": (False, ())}
)
EXAMPLE_VALUES = {
    steps.TEXT: "hello",
    steps.NAME: None,  # by what it refers to, below
    steps.WORKFLOW: "Shared",
    steps.BOOL: True,
    steps.DURATION: "30m",
    steps.MOMENT: "2026-12-24T09:00:00+00:00",
    steps.DATA_KEY: "topic",
    steps.DATA_VALUE: "billing",
    steps.COLLECTED: "email",
    steps.URL: "https://crm.example/contacts/{{contact.email}}",
    steps.HEADERS: {"Authorization": "Bearer {{secret.CRM_TOKEN}}"},
    steps.JSON_BODY: {"email": "{{contact.email}}"},
    steps.SAVE_MAP: {"conversation.custom.plan": "data.plan"},
}
NAMES = {"teammates": "ben", "teams": "Support", "slas": "Gold"}


def example(kind: steps.StepType) -> dict:
    """A valid step of any registered type, built from its declaration alone."""
    step = {"type": kind.name}
    rule = kind.one_of
    for spec in kind.fields:
        if rule and spec.name in rule.fields and rule.exactly and spec.name != rule.fields[0]:
            continue  # exactly one alternative: the first
        if rule and spec.name in rule.fields and not rule.exactly:
            continue  # at most one: none
        if spec.only_with:
            continue  # set only beside another field (which may be the other alternative)
        if spec.kind == steps.CHOICE:
            step[spec.name] = spec.choices[0][0]
        elif spec.kind == steps.NAME:
            step[spec.name] = NAMES[spec.refers_to]
        else:
            step[spec.name] = EXAMPLE_VALUES[spec.kind]
    if kind.paths is not None:
        entry = (
            {"label": "Yes", "steps": [{"type": "close"}]}
            if kind.paths.kind == steps.BUTTONS
            else {"when": {"match": "all", "rules": []}, "steps": [{"type": "close"}]}
        )
        step[kind.paths.key] = [entry["steps"][0] if kind.paths.kind == steps.STEPS_PATH else entry]
        if kind.paths.has_else:
            step["else"] = []
    return step


def compiled_step(step: dict):
    document = {"name": "Example", "trigger": "customer_any_message", "steps": [step]}
    return compile_definition(document, REFERENCES).steps[0]


ALL_KINDS = list(steps.STEP_TYPES.values())
CHOICES = {"teammate": ["ben"], "team": ["Support"], "sla": ["Gold"], "workflow": ["Shared"]}


def post_data_for(document: dict) -> dict:
    """What the browser posts for the editor showing `document` unchanged."""
    editor = WorkflowEditor(document=document, choices=CHOICES)
    data = {}
    for item in editor.all_forms():
        forms = item.forms if isinstance(item, BaseFormSet) else [item]
        if isinstance(item, BaseFormSet):
            for field in item.management_form:
                data[field.html_name] = field.value()
        for form in forms:
            for field in form:
                value = field.value()
                if value is not None and value is not False:
                    data[field.html_name] = "on" if value is True else value
    return data


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda kind: kind.name)
class TestEveryStepType:
    def test_it_has_a_builder_label_and_form_fields(self, kind):
        assert (kind.name, kind.builder_label) in STEP_TYPES
        assert kind.label and kind.label[0].isupper()
        assert STEP_FIELDS[kind.name] == [spec.form_field_name for spec in kind.fields]
        assert set(STEP_FIELDS[kind.name]) <= set(StepForm().fields)

    def test_it_has_an_action_or_is_carried_out_by_the_executor(self, kind):
        assert (kind.name in step_actions.ACTIONS) != kind.flow

    def test_its_example_compiles_and_has_dry_run_and_outline_words(self, kind):
        step = compiled_step(example(kind))

        assert step.type == kind.name
        assert step.customer_facing == kind.customer_facing
        would = _Describer.words(step)
        assert would and would != kind.name
        assert step_words(example(kind)) == vocabulary.step_words(example(kind))
        assert "_" not in step_words(example(kind))

    def test_the_builder_turns_its_example_back_into_the_same_document(self, kind):
        document = {"name": "Example", "status": "draft", "trigger": "customer_any_message",
                    "frequency": "once", "steps": [example(kind)]}  # fmt: skip

        posted = WorkflowEditor(post_data_for(document), None, choices=CHOICES)

        assert posted.is_valid()
        # set_data's value is typed in a text box: it comes back as text.
        expected = {k: str(v) if k == "value" else v for k, v in example(kind).items()}
        assert posted.document()["steps"] == [expected]


def test_a_step_type_registered_once_is_validated_outlined_and_described():
    """What a new step type needs: its declaration (and an action in step_actions)."""
    kind = steps.register(
        steps.StepType(
            "add_label",
            "Add label",
            fields=(replace(steps.TAG, name="label"),),
        )
    )
    try:
        step = compiled_step({"type": "add_label", "label": " urgent "})
        assert step.args == {"label": "urgent"}
        # Words for a step type the vocabulary does not know yet: its type, in words.
        assert _Describer.words(step) == "Add label"
        assert step_words({"type": "add_label", "label": "urgent"}) == "Add label"

        with pytest.raises(DefinitionError) as refused:
            compiled_step({"type": "add_label", "label": "x" * 65, "colour": "red"})
        assert refused.value.errors == {
            "steps[0].label": ["At most 64 characters."],
            "steps[0].colour": ["A add_label step has no field 'colour'."],
        }
    finally:
        del steps.STEP_TYPES[kind.name]


def test_registering_a_step_type_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        steps.register(steps.StepType("close", "Close"))


def test_an_action_for_a_step_type_the_registry_does_not_know_is_refused():
    with pytest.raises(ValueError, match="no step type"):
        step_actions.action("teleport")


# --- the vocabulary ---------------------------------------------------------------------


def test_every_trigger_and_operator_has_words():
    assert set(vocabulary.TRIGGER_LABELS) == set(TRIGGERS)
    assert set(vocabulary.OPERATOR_WORDS) == ALL_OPERATORS


WORDS_WRITTEN_ONCE = [
    *vocabulary.TRIGGER_LABELS.values(),
    *(words for words in vocabulary.OPERATOR_WORDS.values() if " " in words),
    *vocabulary.REPLY_KIND_WORDS.values(),
]


@pytest.mark.parametrize("words", WORDS_WRITTEN_ONCE)
def test_the_words_are_written_only_in_the_vocabulary(words):
    sources = [
        path
        for folder in ("workflows", "inbox", "conversations", "config", "templates", "static/js")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".html", ".js") and "migrations" not in path.parts
    ]
    written = [
        str(path.relative_to(ROOT))
        for path in sources
        if re.search(rf"[\"'>]{re.escape(words)}[\"'<]", path.read_text(encoding="utf-8"))
    ]
    # Model choice labels (event and timer kinds named like triggers) stay in models.py:
    # changing them needs a migration, and they name events, not the builder's triggers.
    assert [path for path in written if not path.endswith("models.py")] == [
        "workflows/vocabulary.py"
    ]


@pytest.mark.django_db
class TestPagesUseTheVocabulary:
    def test_the_builder_offers_the_trigger_and_operator_words(self, admin_client):
        workflow = make_workflow(
            "Big spenders",
            audience={"match": "all", "rules": [
                {"attribute": "contact.monthly_spend", "operator": "gt", "value": 100}]},
        )  # fmt: skip

        body = admin_client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()

        for trigger, label in vocabulary.TRIGGER_LABELS.items():
            assert f'<option value="{trigger}"' in body and f">{label}</option>" in body
        # A number's rule offers the number operators only, in words.
        assert f">{vocabulary.OPERATOR_WORDS['gte']}</option>" in body
        assert f">{vocabulary.OPERATOR_WORDS['gt']}</option>" in body
        assert f">{vocabulary.OPERATOR_WORDS['not_contains']}</option>" not in body

    def test_the_list_filters_and_groups_by_the_trigger_words(self, admin_client):
        make_workflow("Tagger", trigger="teammate_replied")

        body = admin_client.get(reverse("workflows:list")).content.decode()

        assert vocabulary.TRIGGER_LABELS["teammate_replied"] in body
        assert ">Customer opens a new conversation</option>" in body

    def test_the_admin_lists_the_trigger_words(self, client, admin_user):
        make_workflow("Tagger", trigger="teammate_added_note")
        client.force_login(admin_user)

        body = client.get(reverse("admin:workflows_workflow_changelist")).content.decode()

        assert "Teammate adds a note" in body

    def test_the_outline_says_the_trigger_and_operators_in_the_same_words(self):
        text = outline(
            {
                "name": "X",
                "trigger": "teammate_changed_state",
                "trigger_options": {"state": "open"},
                "frequency": "every_time",
                "audience": {"match": "all", "rules": [
                    {"attribute": "contact.monthly_spend", "operator": "gte", "value": 100},
                ]},
                "steps": [{"type": "set_priority", "priority": True}],
            }
        )  # fmt: skip

        assert text.splitlines() == [
            "When: Teammate changes the conversation state to reopened",
            "Who: Monthly spend is at least 100",
            "How often: Every time",
            "1. Mark as priority",
        ]

    def test_the_builder_and_the_test_run_name_paths_as_the_registry_does(self, admin_client):
        workflow = make_workflow(
            "Router",
            steps=[{"type": "apply_rules", "rules": [{"when": {}, "steps": [{"type": "close"}]}]}],
        )

        editor = admin_client.get(reverse("workflows:edit", args=[workflow.pk]))

        body = editor.content.decode()
        assert "<strong>Rule entry 1</strong>" in body and "+ Add rule entry" in body
        assert editor.context["path_step_types"] == [
            "apply_rules",
            "branches",
            "http_request",
            "reply_buttons",
        ]


@pytest.mark.django_db
def test_the_test_run_follows_a_reusable_workflow_named_in_another_case():
    """The dry run finds the reusable workflow as the executor does: names casefolded."""
    make_workflow("Shared", trigger="reusable", steps=[{"type": "add_tag", "tag": "shared"}])
    caller = make_workflow("Caller", steps=[{"type": "run_workflow", "workflow": "SHARED"}])
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")

    described = workflow_dry_run(caller, conversation)["steps"]

    assert described[0]["would"] == "Run reusable workflow “SHARED”"
    assert [step["would"] for step in described[0]["paths"][0]] == ["Add tag “shared”"]
