"""Dates in templates, said once (conversations/human_dates.py):

{% load human_dates %}
{{ part.created_at|human_time }}
    <time datetime="…" title="Thu 3 Dec 2026, 09:00 CET">5 min ago</time>
{{ conversation.snoozed_until|human_until }}
    the same, said by the calendar ("tomorrow 09:00")
"""

from django import template
from django.utils.html import format_html

from conversations import human_dates

register = template.Library()


def _time(value, said: str) -> str:
    if value in (None, ""):
        return ""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        human_dates.machine_words(value),
        human_dates.exact_words(value),
        said,
    )


@register.filter
def human_time(value) -> str:
    """When something happened: relative when recent, the exact moment on hover.

    A recent one carries what it will say later (static/js/human_dates.js counts the
    minutes meanwhile, in the words given here): a page updated only on change stays
    right."""
    said = human_dates.ago_words(value)
    if value in (None, "") or not human_dates.is_recent(value):
        return _time(value, said)
    return format_html(
        '<time datetime="{}" title="{}" data-ago="{}" data-later="{}">{}</time>',
        human_dates.machine_words(value),
        human_dates.exact_words(value),
        human_dates.MINUTES_AGO,
        human_dates.moment_words(value),
        said,
    )


@register.filter
def human_until(value) -> str:
    """A moment to come or a deadline, by the calendar, the exact moment on hover."""
    return _time(value, human_dates.moment_words(value))


@register.filter
def exact_time(value) -> str:
    """The exact moment as text, for a title attribute: "Thu 3 Dec 2026, 09:00 CET"."""
    return "" if value in (None, "") else human_dates.exact_words(value)
