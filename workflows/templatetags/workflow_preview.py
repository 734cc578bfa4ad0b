"""The builder's preview of a saved workflow, drawn with the page (before htmx posts the
form, and for teammates, who read the builder without its form)."""

from django import template

from workflows import diagram, linting
from workflows.engine.definitions import REPEATABLE_TRIGGERS
from workflows.outline import outline

register = template.Library()


@register.inclusion_tag("workflows/_preview.html")
def workflow_preview(workflow, document=None):
    """`document`: what is edited when it is not the live version (a draft)."""
    if workflow is None:
        return {"document": None, "unsaved": True}
    document = document if document is not None else workflow.document()
    return {
        "document": document,
        "outline": outline(document),
        "diagram": diagram.layout(document),
        "problems": [],
        "lint": linting.findings_for(None, workflow),
    }


@register.simple_tag
def repeatable_triggers() -> str:
    """The triggers "Every time" is offered for, space-separated (read by frequency.js)."""
    return " ".join(REPEATABLE_TRIGGERS)
