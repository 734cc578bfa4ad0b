"""Builder pages for versions: publish or discard a draft, the history with a readable
diff between any two versions (or the draft), and restore."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from workflows import services, vocabulary
from workflows.audit_trail import audited
from workflows.engine.errors import DefinitionError
from workflows.models import Workflow
from workflows.permissions import AdminRequiredMixin, TeammateRequiredMixin
from workflows.version_diff import change_words

DRAFT = "draft"


def _problems(error: DefinitionError) -> str:
    return " ".join(
        f"{place}: {' '.join(messages_)}" if place != "non_field_errors" else " ".join(messages_)
        for place, messages_ in error.errors.items()
    )


class WorkflowPublishView(AdminRequiredMixin, View):
    """Make the draft live as the next version."""

    def post(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        try:
            workflow = audited(
                request.user,
                workflow,
                lambda: services.workflow_publish(workflow=workflow, author=request.user),
            )
        except DefinitionError as error:
            messages.error(request, vocabulary.PUBLISH_FAILED.format(problems=_problems(error)))
            return redirect("workflows:edit", pk=pk)
        messages.success(
            request, vocabulary.PUBLISHED.format(version=workflow.version, name=workflow.name)
        )
        return redirect("workflows:history", pk=pk)


class WorkflowDiscardDraftView(AdminRequiredMixin, View):
    def post(self, request, pk):
        workflow = services.workflow_discard_draft(workflow=get_object_or_404(Workflow, pk=pk))
        messages.success(request, vocabulary.DRAFT_DISCARDED.format(version=workflow.version))
        return redirect("workflows:edit", pk=pk)


class WorkflowRestoreView(AdminRequiredMixin, View):
    """Publish an earlier version's document as a new version."""

    def post(self, request, pk, number):
        workflow = get_object_or_404(Workflow, pk=pk)
        get_object_or_404(workflow.versions, number=number)
        try:
            restored = audited(
                request.user,
                workflow,
                lambda: services.workflow_restore(
                    workflow=workflow, number=number, author=request.user
                ),
            )
        except DefinitionError as error:
            messages.error(request, _problems(error))
        else:
            messages.success(
                request, vocabulary.RESTORED.format(restored=number, version=restored.version)
            )
        return redirect("workflows:history", pk=pk)


class CompareForm(forms.Form):
    """Two versions to compare (the draft may be the second); defaults: the last change."""

    before = forms.TypedChoiceField(label="Compare", coerce=str)
    after = forms.TypedChoiceField(label="with", coerce=str)

    def __init__(self, *args, numbers=(), has_draft=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(n), vocabulary.VERSION_WORDS.format(number=n)) for n in numbers]
        self.fields["before"].choices = choices
        self.fields["after"].choices = choices + (
            [(DRAFT, vocabulary.DRAFT_CHOICE)] if has_draft else []
        )


class WorkflowHistoryView(TeammateRequiredMixin, View):
    """Versions with author and time, what changed between two of them, and Restore.
    Readable for archived workflows too: their versions are kept."""

    template_name = "workflows/history.html"

    def get(self, request, pk):
        workflow = get_object_or_404(Workflow.all_objects, pk=pk)
        versions = list(workflow.versions.select_related("author").order_by("-number"))
        numbers = [v.number for v in versions]
        has_draft = workflow.draft is not None and workflow.archived_at is None
        default_after = DRAFT if has_draft else (str(numbers[0]) if numbers else "")
        default_before = str(numbers[0] if has_draft else (numbers[1] if len(numbers) > 1 else ""))
        data = {
            "before": request.GET.get("before", default_before),
            "after": request.GET.get("after", default_after),
        }
        form = CompareForm(data, numbers=numbers, has_draft=has_draft)
        documents = {str(v.number): v.document for v in versions}
        if has_draft:
            documents[DRAFT] = workflow.draft
        changes, status = None, 200
        if len(numbers) > 1 or has_draft:
            if form.is_valid():
                changes = change_words(
                    documents[form.cleaned_data["before"]], documents[form.cleaned_data["after"]]
                )
            elif request.GET:
                status = 400
        for version in versions:
            version.author_words = (
                version.author.display_name if version.author_id else vocabulary.AUTHOR_UNKNOWN
            )
        context = {
            "workflow": workflow,
            "versions": versions,
            "form": form,
            "show_compare": len(numbers) > 1 or has_draft,
            "changes": changes,
            "no_differences": vocabulary.NO_DIFFERENCES,
            "can_edit": request.user.is_workspace_admin and workflow.archived_at is None,
        }
        return render(request, self.template_name, context, status=status)
