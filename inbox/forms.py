"""Small flat forms for the inbox: filters, the composer and each action."""

from django import forms
from django.utils import timezone

from conversations import validation
from conversations.models import Conversation, SlaPolicy, Team, Teammate
from conversations.office_hours import workspace_zone
from conversations.validation import MAX_BODY_LENGTH, MAX_TAG_NAME_LENGTH
from workflows.vocabulary import ASSIGN_METHOD_NONE, ASSIGN_METHOD_WORDS

VIEW_CHOICES = ["mine", "unassigned", "bot", "all"]
SNOOZE_PRESETS = [
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    ("tomorrow", "Tomorrow 9:00"),
    ("next_week", "Next Monday 9:00"),
    ("custom", "Custom time"),
]


class InboxFilterForm(forms.Form):
    view = forms.CharField(required=False)
    state = forms.ChoiceField(choices=Conversation.State.choices, required=False)
    q = forms.CharField(required=False, max_length=200, label="Search")
    sort = forms.ChoiceField(
        choices=[("waiting", "Waiting longest"), ("newest", "Newest activity")], required=False
    )
    after = forms.CharField(required=False, max_length=200)

    def clean_view(self):
        view = self.cleaned_data.get("view") or "mine"
        if view in VIEW_CHOICES:
            return view
        if (
            view.startswith("team-")
            and validation.is_digits(view[5:])
            and Team.objects.filter(pk=view[5:]).exists()
        ):
            return view
        raise forms.ValidationError("Unknown inbox.")


class ComposerForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a reply or a note…"}),
        max_length=MAX_BODY_LENGTH,
        strip=True,
    )
    kind = forms.ChoiceField(choices=[("reply", "Reply"), ("note", "Note")], initial="reply")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=Teammate.objects.filter(is_active=True), required=False, empty_label="Nobody"
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, empty_label="No team"
    )
    method = forms.ChoiceField(
        choices=[("", ASSIGN_METHOD_NONE), *ASSIGN_METHOD_WORDS.items()],
        required=False,
        label="Give it to a member",
    )

    def clean(self):
        data = super().clean()
        if data.get("method") and (data.get("team") is None or data.get("assignee")):
            self.add_error("method", validation.ASSIGN_METHOD_NEEDS_TEAM)
        return data


class TagForm(forms.Form):
    name = forms.CharField(max_length=MAX_TAG_NAME_LENGTH, label="Tag")


class WorkspaceDateTimeField(forms.DateTimeField):
    """A date and time typed without a zone is read in the workspace's time zone (the
    office hours' zone), not the server's; one typed with an offset keeps it."""

    def to_python(self, value):
        with timezone.override(workspace_zone()):
            return super().to_python(value)


class SnoozeForm(forms.Form):
    preset = forms.ChoiceField(choices=SNOOZE_PRESETS, initial="1h")
    until = WorkspaceDateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        label="Until",
    )

    def clean_until(self):
        moment = self.cleaned_data.get("until")
        problem = validation.moment_problem(moment) if moment is not None else None
        if problem:
            raise forms.ValidationError(problem)
        return moment

    def clean(self):
        data = super().clean()
        if data.get("preset") == "custom" and not data.get("until"):
            self.add_error("until", "Pick a date and time.")
        return data


class SlaForm(forms.Form):
    policy = forms.ModelChoiceField(queryset=SlaPolicy.objects.all(), label="SLA policy")
