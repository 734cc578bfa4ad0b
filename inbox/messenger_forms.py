"""The Messenger's one form: a message from the customer."""

from django import forms
from django.core.exceptions import ValidationError

from conversations import validation


class MessageForm(forms.Form):
    """A customer's message; the services check it again, with the same messages."""

    body = forms.CharField(
        label="Message",
        required=False,  # an empty message gets validation.BODY_EMPTY, not Django's text
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "Write a message…", "autocomplete": "off"}
        ),
    )

    def clean_body(self):
        try:
            return validation.clean_body(self.cleaned_data.get("body"))
        except ValidationError as error:
            raise ValidationError(error.message_dict["body"]) from None
