from django import forms

from webhooks import events as core
from webhooks.api import URL_MAX_LENGTH, url_problem
from workflows.vocabulary import WEBHOOK_ALL_EVENTS, webhook_event_label

EVENT_CHOICES = [(core.ALL_EVENTS, WEBHOOK_ALL_EVENTS)] + [
    (name, webhook_event_label(name)) for name in core.EVENT_TYPES
]


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=URL_MAX_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/inbox"}),
    )
    events = forms.MultipleChoiceField(
        label="Events", choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)

    def clean_url(self):
        url = self.cleaned_data["url"]
        problem = url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean_events(self):
        events = self.cleaned_data["events"]
        if core.ALL_EVENTS in events:
            return [core.ALL_EVENTS]
        problem = core.events_problem(events)
        if problem:
            raise forms.ValidationError(problem)
        return events
