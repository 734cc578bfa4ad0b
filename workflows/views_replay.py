"""The builder's Replay panel (editor.html `#replay-panel`): what the form as it is now
(unsaved edits included) or the saved version would have done over the past N days.

The panel posts the editor's whole form with its own two fields; the document is built
by the editor's form→document code, as the preview's is (views_preview). Over
REPLAY_SYNC_EVENTS events the replay runs as the `workflows.replay_workflow` task and the
panel polls its progress here. Nothing is saved but the job row.
"""

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.views import View

from conversations.dispatch import enqueue_on_commit
from workflows import replay, vocabulary
from workflows.editor import WorkflowEditor, form_totals_problem
from workflows.engine.errors import DefinitionError
from workflows.models import ReplayJob, Workflow
from workflows.permissions import AdminRequiredMixin
from workflows.views_editor import builder_choices
from workflows.views_reports import step_rows

FORM, LIVE = "form", "live"


def form_document(data) -> tuple[dict | None, list[str]]:
    """The document of the posted builder form, or None and the problems."""
    if form_totals_problem(data) is not None:
        return None, [vocabulary.PREVIEW_FORM_ERRORS]
    editor = WorkflowEditor(data=data.copy(), choices=builder_choices())
    if not editor.is_valid():
        return None, [vocabulary.PREVIEW_FORM_ERRORS]
    return editor.document(), []


def result_context(workflow: Workflow, answer: dict) -> dict:
    """The answer with each row's steps flattened for the template (views_reports)."""
    rows = [{**row, "step_rows": step_rows(row["steps"])} for row in answer["conversations"]]
    compared = answer.get("compared_with_live")
    differences = []
    if compared:
        for difference in compared["differences"]:
            side = difference["draft"] or difference["live"]
            differences.append(
                {
                    **difference,
                    "draft_rows": step_rows(difference["draft"]["steps"])
                    if difference["draft"]
                    else [],
                    "live_rows": step_rows(difference["live"]["steps"])
                    if difference["live"]
                    else [],
                    "reason_live": difference["live"]["reason"] if difference["live"] else "",
                    "reason_draft": difference["draft"]["reason"] if difference["draft"] else "",
                    "conversation": side["conversation"],
                }
            )
    return {
        "workflow": workflow,
        "answer": answer,
        "rows": rows,
        "compared": compared,
        "differences": differences,
    }


class ReplayView(AdminRequiredMixin, View):
    """POST: replay (`replay_days`, `replay_source` "form" or "live", and the editor's
    fields) → _replay.html, or a progress bar that polls ReplayProgressView."""

    def post(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        problems = []
        try:
            days = replay.parse_since(f"{request.POST.get('replay_days', '').strip()}d")
        except ValueError as error:
            problems.append(str(error))
            days = None
        document = None
        if request.POST.get("replay_source", FORM) == FORM:
            document, found = form_document(request.POST)
            problems += found
        if problems:
            return render(request, "workflows/_replay.html", {"problems": problems})
        try:
            compiled = replay.compiled_for(workflow, document)
        except DefinitionError as error:
            messages = [m for found in error.errors.values() for m in found]
            return render(request, "workflows/_replay.html", {"problems": messages[:5]})
        total = replay.count_events(workflow, compiled, days)
        if total <= settings.REPLAY_SYNC_EVENTS:
            answer = replay.replay(workflow, days=days, document=document)
            return render(request, "workflows/_replay.html", result_context(workflow, answer))
        with transaction.atomic():
            job = ReplayJob.objects.create(
                workflow=workflow,
                requested_by=request.user,
                since_days=days,
                document=document,
                events_total=total,
            )
            from workflows.tasks import replay_workflow_task

            enqueue_on_commit(replay_workflow_task, job.pk)
        return render(request, "workflows/_replay.html", {"workflow": workflow, "job": job})


class ReplayProgressView(AdminRequiredMixin, View):
    """GET: the job's progress bar (polled), or its result once done."""

    def get(self, request, pk, job_id):
        workflow = get_object_or_404(Workflow, pk=pk)
        job = get_object_or_404(ReplayJob, pk=job_id, workflow=workflow)
        if job.status == ReplayJob.Status.DONE:
            return render(request, "workflows/_replay.html", result_context(workflow, job.result))
        if job.status == ReplayJob.Status.FAILED:
            return render(
                request, "workflows/_replay.html", {"problems": [vocabulary.REPLAY_FAILED]}
            )
        return render(request, "workflows/_replay.html", {"workflow": workflow, "job": job})
