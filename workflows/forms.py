"""Builder forms: the workflow, its targeting rules and its steps, as Django formsets.

The forms collect what an admin typed; `editor.py` turns them into API.md's document,
and the engine's one validator decides whether it is valid.
"""

from django import forms

from workflows.engine.definitions import FREQUENCIES, STATUSES, TRIGGERS
from workflows.engine.rules import ALL_OPERATORS, ATTRIBUTE_TYPES
from workflows.labels import TRIGGER_LABELS

STEP_TYPES = [
    ("add_tag", "Add tag"),
    ("remove_tag", "Remove tag"),
    ("assign", "Assign"),
    ("unassign", "Unassign"),
    ("close", "Close"),
    ("reopen", "Reopen"),
    ("snooze", "Snooze"),
    ("set_priority", "Mark priority"),
    ("apply_sla", "Apply SLA"),
    ("set_data", "Set conversation data"),
    ("add_note", "Add note"),
    ("wait", "Wait"),
    ("branches", "Branches"),
    ("apply_rules", "Apply rules"),
    ("run_workflow", "Run reusable workflow"),
    ("send_message", "Send message (customer-facing)"),
    ("reply_buttons", "Reply buttons (customer-facing)"),
    ("collect_data", "Collect data (customer-facing)"),
    ("handover", "Hand over to the inbox (customer-facing)"),
]
PATH_STEP_TYPES = {"branches", "apply_rules", "reply_buttons"}
# The fields each step type shows (the rest are hidden by static/js/builder.js).
STEP_FIELDS = {
    "add_tag": ["tag"],
    "remove_tag": ["tag"],
    "assign": ["teammate", "team", "round_robin"],
    "snooze": ["duration", "until"],
    "set_priority": ["priority"],
    "apply_sla": ["sla"],
    "set_data": ["key", "value"],
    "add_note": ["body"],
    "wait": ["duration", "until_reply"],
    "run_workflow": ["workflow"],
    "send_message": ["body"],
    "reply_buttons": ["body"],
    "collect_data": ["body", "attribute"],
    "handover": ["teammate", "team"],
}
MATCH_CHOICES = [("all", "all of"), ("any", "any of")]
OPERATOR_WORDS = {
    "is": "is", "is_not": "is not", "contains": "contains", "not_contains": "does not contain",
    "starts_with": "starts with", "ends_with": "ends with", "in": "is any of",
    "not_in": "is none of", "gt": "greater than", "gte": "at least", "lt": "less than",
    "lte": "at most", "is_set": "is set", "is_unknown": "is unknown", "before": "before",
    "after": "after", "more_than_days_ago": "more than N days ago",
    "less_than_days_ago": "less than N days ago",
}  # fmt: skip
OPERATOR_CHOICES = [
    (op, OPERATOR_WORDS.get(op, op)) for op in OPERATOR_WORDS if op in ALL_OPERATORS
]
GROUP_CHOICES = [(0, "top level"), (1, "group 1"), (2, "group 2"), (3, "group 3")]
ATTRIBUTE_SUGGESTIONS = sorted(ATTRIBUTE_TYPES) + ["contact.custom.", "conversation.custom."]


class WorkflowForm(forms.Form):
    name = forms.CharField(max_length=200)
    status = forms.ChoiceField(choices=[(s, s.title()) for s in STATUSES])
    trigger = forms.ChoiceField(choices=[(t, TRIGGER_LABELS[t]) for t in TRIGGERS])
    trigger_state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[
            ("", "any state"),
            ("closed", "closed"),
            ("snoozed", "snoozed"),
            ("open", "reopened"),
        ],
    )
    trigger_after = forms.CharField(label="After", required=False, help_text='e.g. "30m"')
    frequency = forms.ChoiceField(choices=[(f, f.replace("_", " ")) for f in FREQUENCIES])


class MatchForm(forms.Form):
    match = forms.ChoiceField(choices=MATCH_CHOICES, initial="all")


class RuleForm(forms.Form):
    group = forms.TypedChoiceField(choices=GROUP_CHOICES, coerce=int, initial=0)
    attribute = forms.CharField(max_length=120, required=False)
    operator = forms.ChoiceField(choices=OPERATOR_CHOICES)
    value = forms.CharField(required=False, max_length=1000)


class GroupForm(forms.Form):
    number = forms.TypedChoiceField(choices=GROUP_CHOICES[1:], coerce=int)
    match = forms.ChoiceField(choices=MATCH_CHOICES)


class StepForm(forms.Form):
    type = forms.ChoiceField(choices=STEP_TYPES)
    tag = forms.CharField(required=False, max_length=64)
    teammate = forms.ChoiceField(required=False)
    team = forms.ChoiceField(required=False)
    round_robin = forms.BooleanField(required=False, label="Round robin")
    duration = forms.CharField(required=False, help_text='"45s", "30m", "2h", "1d"')
    until = forms.CharField(required=False, help_text="2026-12-24T09:00:00+00:00")
    until_reply = forms.ChoiceField(
        required=False,
        label="End early when",
        choices=[
            ("", "never"),
            ("customer", "the customer replies"),
            ("teammate", "a teammate replies"),
            ("any", "anyone replies"),
        ],
    )
    priority = forms.BooleanField(required=False, label="Priority")
    sla = forms.ChoiceField(required=False, label="SLA policy")
    key = forms.CharField(required=False, max_length=64)
    value = forms.CharField(required=False, max_length=1000)
    body = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=10_000
    )
    attribute = forms.CharField(required=False, help_text="email, name, plan or custom.<key>")
    workflow = forms.ChoiceField(required=False, label="Reusable workflow")

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = choices or {}
        for field in ("teammate", "team", "sla", "workflow"):
            self.fields[field].choices = [("", "—")] + [(n, n) for n in choices.get(field, [])]


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
