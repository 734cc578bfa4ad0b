"""The builder's live preview: the outline and diagram of the form as it is now, unsaved.

The builder posts its whole form here on every change (htmx, see editor.html's
`#builder-preview`); the document is built by the editor's own form→document code, the
same the save uses, and nothing is saved.
"""

from django.shortcuts import get_object_or_404, render
from django.views import View

from workflows import diagram, linting, services, vocabulary
from workflows.editor import WorkflowEditor, form_totals_problem
from workflows.engine.definitions import REPEATABLE_TRIGGERS
from workflows.engine.errors import DefinitionError
from workflows.models import Workflow
from workflows.outline import outline
from workflows.permissions import AdminRequiredMixin
from workflows.views_editor import builder_choices

# Problems listed under the preview at most; the form shows each beside its field.
MAX_PROBLEMS_SHOWN = 5


def preview_context(data, workflow=None) -> dict:
    """What _preview.html needs for posted builder data (`data` is not changed)."""
    data = data.copy()
    if form_totals_problem(data) is not None:
        return {"document": None, "problems": []}
    editor = WorkflowEditor(data=data, choices=builder_choices())
    valid = editor.is_valid()
    try:
        # The fields that are valid make the document; an invalid one is left out.
        document = editor.document()
    except KeyError:
        return {"document": None, "problems": []}
    if not valid and not document.get("trigger"):
        return {"document": None, "problems": []}
    problems = [] if valid else [vocabulary.PREVIEW_FORM_ERRORS]
    try:
        services.workflow_validate(document, workflow=workflow)
    except DefinitionError as error:
        problems = [message for messages in error.errors.values() for message in messages]
    if (
        document.get("frequency") == "every_time"
        and document.get("trigger") not in REPEATABLE_TRIGGERS
        and vocabulary.FREQUENCY_NOT_REPEATABLE not in problems
    ):
        problems.append(vocabulary.FREQUENCY_NOT_REPEATABLE)
    return {
        "document": document,
        "outline": outline(document),
        "diagram": diagram.layout(document),
        "problems": problems[:MAX_PROBLEMS_SHOWN],
        "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
        # The linter's warnings on the form as it is now (none until it is valid).
        "lint": [] if problems else linting.findings_for(document, workflow),
    }


class WorkflowPreviewView(AdminRequiredMixin, View):
    """POST the builder's form (a new workflow's, or workflow `pk`'s): _preview.html."""

    def post(self, request, pk=None):
        workflow = get_object_or_404(Workflow, pk=pk) if pk is not None else None
        return render(request, "workflows/_preview.html", preview_context(request.POST, workflow))
