"""Builder forms: the workflow, its targeting rules and its steps, as Django formsets.

The forms collect what an admin typed; `editor.py` turns them into API.md's document,
and the engine's one validator decides whether it is valid.
"""

from django import forms

from workflows import vocabulary
from workflows.engine import placeholders, steps
from workflows.engine.definitions import (
    CUSTOM_KEY,
    FREQUENCIES,
    STATUSES,
    TRIGGER_OPTIONS,
    TRIGGERS,
)
from workflows.engine.rules import ALL_OPERATORS, CUSTOM_PREFIXES

# The step types in the builder's order, and the fields each shows (the rest are hidden
# by static/js/builder.js): both from the registry (workflows/engine/steps.py).
STEP_TYPES = [(name, kind.builder_label) for name, kind in steps.STEP_TYPES.items()]
PATH_STEP_TYPES = {name for name, kind in steps.STEP_TYPES.items() if kind.paths is not None}
STEP_FIELDS = {name: kind.form_fields for name, kind in steps.STEP_TYPES.items()}
MATCH_CHOICES = list(vocabulary.MATCH_WORDS.items())
OPERATOR_CHOICES = [
    (op, words) for op, words in vocabulary.OPERATOR_WORDS.items() if op in ALL_OPERATORS
]
# A value typed in a text box (a rule's or a set-data step's): the engine bounds it again.
MAX_TYPED_VALUE_LENGTH = 1000


class WorkflowForm(forms.Form):
    name = forms.CharField(max_length=200)
    status = forms.ChoiceField(choices=[(s, vocabulary.STATUS_WORDS[s]) for s in STATUSES])
    trigger = forms.ChoiceField(choices=[(t, vocabulary.trigger_label(t)) for t in TRIGGERS])
    trigger_state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", vocabulary.ANY_STATE), *vocabulary.STATE_OPTION_WORDS.items()],
    )
    trigger_after = forms.CharField(label="After", required=False, help_text='e.g. "30m"')
    trigger_tag = forms.CharField(
        label="Tag", required=False, max_length=64, help_text="Any tag when empty"
    )
    trigger_key = forms.CharField(
        label="Data key", required=False, max_length=64, help_text="Any key when empty"
    )
    trigger_name = forms.CharField(label="Event name", required=False, max_length=100)
    frequency = forms.ChoiceField(choices=[(f, vocabulary.FREQUENCY_WORDS[f]) for f in FREQUENCIES])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each option field says which triggers show it (static/js/builder.js reads it).
        for option, field_name in TRIGGER_OPTION_FIELDS.items():
            triggers = [t for t, options in TRIGGER_OPTIONS.items() if option in options]
            self.fields[field_name].widget.attrs["data-triggers"] = " ".join(triggers)


# A trigger option (engine/definitions.TRIGGER_OPTIONS) -> its field in WorkflowForm.
TRIGGER_OPTION_FIELDS = {
    "state": "trigger_state",
    "after": "trigger_after",
    "tag": "trigger_tag",
    "key": "trigger_key",
    "name": "trigger_name",
}


class MatchForm(forms.Form):
    match = forms.ChoiceField(choices=MATCH_CHOICES, initial="all")


class JoinedValues(forms.TextInput):
    """A rule's value: one text box, or a multiple select (is any of, tags) whose chosen
    values arrive as several keys of one name and are read as one comma-separated text."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            values = [value for value in data.getlist(name) if value != ""]
            return ", ".join(values) if len(values) > 1 else (values[0] if values else "")
        return data.get(name)


class RuleForm(forms.Form):
    # The member's place among its group's rules and groups (rules and nested groups are
    # two formsets; this keeps the document's order). New members have none: they go last.
    position = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)
    attribute = forms.CharField(max_length=120, required=False)
    operator = forms.ChoiceField(choices=OPERATOR_CHOICES)
    value = forms.CharField(required=False, max_length=MAX_TYPED_VALUE_LENGTH, widget=JoinedValues)
    # The key of a custom attribute absent from the data: the picker's "Custom contact
    # attribute…" choice posts the prefix ("contact.custom.") and this box the key.
    custom_key = forms.CharField(
        label=vocabulary.CUSTOM_KEY_LABEL, required=False, max_length=MAX_TYPED_VALUE_LENGTH
    )

    def clean(self):
        cleaned = super().clean()
        attribute = cleaned.get("attribute", "")
        if attribute in CUSTOM_PREFIXES:
            name, problem = custom_attribute(attribute, cleaned.get("custom_key", ""))
            if problem:
                self.add_error("custom_key", problem)
            # Without a key, no attribute yet (the live outline asks for one, undotted).
            cleaned["attribute"] = "" if problem else name
        return cleaned


def custom_attribute(prefix: str, key: str) -> tuple[str, str | None]:
    """The attribute a typed custom key names ("contact.custom.seats"), or a problem in
    words: the key follows the validator's CUSTOM_KEY (as a collect-data step's does)."""
    key = (key or "").strip()
    if not CUSTOM_KEY.match(f"custom.{key}"):
        return prefix, vocabulary.CUSTOM_KEY_PROBLEM
    return f"{prefix}{key}", None


class GroupForm(forms.Form):
    """A nested group: its match; its rules and groups are formsets under its prefix."""

    position = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)
    match = forms.ChoiceField(choices=MATCH_CHOICES, initial="all")


def _form_field(spec: steps.Field) -> forms.Field:
    """The builder's form field for a registry field, by its kind (all optional here: the
    engine's validator says what a step of each type needs)."""
    common = {"required": False, "help_text": spec.help}
    if spec.label:
        common["label"] = spec.label
    if spec.kind in (steps.NAME, steps.WORKFLOW):
        return forms.ChoiceField(**common)  # the names are set per form (see StepForm)
    if spec.kind == steps.BOOL and spec.replaced_by:
        # Not shown: the builder offers the newer spelling (step_initial reads this one).
        return forms.BooleanField(widget=forms.HiddenInput, **common)
    if spec.kind == steps.BOOL:
        return forms.BooleanField(**common)
    if spec.kind == steps.CHOICE:
        blank = spec.blank or vocabulary.NEVER
        return forms.ChoiceField(choices=[("", blank), *spec.choices], **common)
    if spec.kind == steps.DATA_VALUE:
        return forms.CharField(max_length=MAX_TYPED_VALUE_LENGTH, **common)
    if spec.kind in (steps.HEADERS, steps.JSON_BODY, steps.SAVE_MAP):
        # Typed as JSON; "Enter a valid JSON." beside the field; the validator does the rest.
        field = forms.JSONField(widget=forms.Textarea(attrs={"rows": spec.lines}), **common)
        if spec.placeholders:
            field.placeholder_menu = placeholders.menu()
        return field
    if spec.lines > 1:
        common["widget"] = forms.Textarea(attrs={"rows": spec.lines})
    field = forms.CharField(max_length=spec.max_length, **common)
    if spec.placeholders:
        # The menu beside the field (templates/workflows/_steps.html, static/js/builder.js).
        field.placeholder_menu = placeholders.menu()
    return field


# One form field per field name, over every step type, in the registry's order.
STEP_FORM_SPECS = {}
for _kind in steps.STEP_TYPES.values():
    for _spec in _kind.fields:
        STEP_FORM_SPECS.setdefault(_spec.form_field_name, _spec)


class StepForm(forms.Form):
    type = forms.ChoiceField(choices=STEP_TYPES)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = choices or {}
        for name, spec in STEP_FORM_SPECS.items():
            if spec.kind in (steps.NAME, steps.WORKFLOW):
                names = choices.get(name, [])
                self.fields[name].choices = [("", "—")] + [(n, n) for n in names]


StepForm.base_fields.update({name: _form_field(spec) for name, spec in STEP_FORM_SPECS.items()})


class PathForm(forms.Form):
    """One branch, apply-rules entry or reply button."""

    label = forms.CharField(required=False, max_length=100)
    match = forms.ChoiceField(choices=MATCH_CHOICES, initial="all")


# Forms in one formset: Django's own cap (absolute_max) stops building more, validate_max
# says so beside the formset. The editor also bounds the total over all formsets.
MAX_FORMS_PER_FORMSET = 100
BOUNDED = {
    "extra": 0,
    "can_delete": True,
    "max_num": MAX_FORMS_PER_FORMSET,
    "absolute_max": MAX_FORMS_PER_FORMSET,
    "validate_max": True,
}
RuleFormSet = forms.formset_factory(RuleForm, **BOUNDED)
GroupFormSet = forms.formset_factory(GroupForm, **BOUNDED)
StepFormSet = forms.formset_factory(StepForm, **BOUNDED)
PathFormSet = forms.formset_factory(PathForm, **BOUNDED)
