"""Builder pages: the list (filters, drag to reorder, toggle, duplicate, delete)."""

from collections import Counter

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView
from django_filters import rest_framework as filters

from config.parsers import JSONBodyError, parse_json_body
from workflows import linting, services
from workflows.api import WorkflowFilter
from workflows.audit_trail import audited, audited_reorder
from workflows.engine.definitions import STATUSES, TRIGGERS
from workflows.models import Workflow
from workflows.permissions import AdminRequiredMixin, TeammateRequiredMixin
from workflows.vocabulary import STATUS_WORDS, trigger_label, workflow_status_words


class WorkflowPageFilter(WorkflowFilter):
    """The API's filters with words for people."""

    status = filters.ChoiceFilter(
        choices=[(s, STATUS_WORDS[s]) for s in STATUSES], empty_label="Any status"
    )
    trigger = filters.ChoiceFilter(
        choices=[(t, trigger_label(t)) for t in TRIGGERS], empty_label="Any trigger"
    )
    is_background = filters.BooleanFilter(
        label="Background",
        widget=forms.Select(
            choices=[
                ("", "All workflows"),
                ("true", "Background only"),
                ("false", "Customer-facing only"),
            ]
        ),
    )


class WorkflowListView(TeammateRequiredMixin, TemplateView):
    template_name = "workflows/list.html"

    def get_context_data(self, **kwargs):
        filterset = WorkflowPageFilter(
            self.request.GET or None,
            queryset=Workflow.objects.order_by("trigger", "priority", "id"),
        )
        workflows = filterset.qs  # unbound: all; invalid: none, with the errors shown
        lint_counts = Counter(finding.workflow for finding in linting.catalog_findings())
        for workflow in workflows:
            workflow.lint_count = lint_counts[workflow.pk]
        groups = []
        for trigger in TRIGGERS:
            members = [w for w in workflows if w.trigger == trigger]
            for member in members:
                member.status_words = workflow_status_words(member.status, member.draft is not None)
            if members:
                groups.append(
                    {"trigger": trigger, "label": trigger_label(trigger), "workflows": members}
                )
        return {
            **super().get_context_data(**kwargs),
            "filterset": filterset,
            "groups": groups,
            "can_edit": self.request.user.is_workspace_admin,
            "filtered": bool(self.request.GET),
        }


class WorkflowReorderView(AdminRequiredMixin, View):
    """Drag and drop saves at once: the new order of one trigger's workflows."""

    def post(self, request):
        try:
            payload = parse_json_body(request.body or b"{}")
        except JSONBodyError as error:
            return JsonResponse({"detail": error.message}, status=400)
        except ValidationError as error:
            return JsonResponse(error.message_dict, status=400)
        if not isinstance(payload, dict):
            return JsonResponse({"detail": "A JSON object: {trigger, order}."}, status=400)
        order, trigger = payload.get("order", []), payload.get("trigger", "")
        if not isinstance(order, list) or not all(
            isinstance(pk, int) and not isinstance(pk, bool) and pk > 0 for pk in order
        ):
            return JsonResponse({"order": ["A list of workflow ids."]}, status=400)
        if trigger not in TRIGGERS:
            return JsonResponse({"trigger": ["Unknown trigger."]}, status=400)
        try:
            audited_reorder(
                request.user, lambda: services.workflow_reorder(trigger=trigger, order=order)
            )
        except ValidationError as error:
            return JsonResponse(error.message_dict, status=400)
        return JsonResponse({"order": order})


class WorkflowStatusView(AdminRequiredMixin, View):
    """Live / paused toggle."""

    def post(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        status = "paused" if workflow.status == Workflow.Status.LIVE else "live"
        audited(
            request.user,
            workflow,
            lambda: services.workflow_set_status(workflow=workflow, status=status),
        )
        messages.success(request, f'"{workflow.name}" is now {status}.')
        return redirect("workflows:list")


class WorkflowDuplicateView(AdminRequiredMixin, View):
    def post(self, request, pk):
        original = get_object_or_404(Workflow, pk=pk)
        copy = audited(
            request.user,
            None,
            lambda: services.workflow_duplicate(workflow=original, author=request.user),
        )
        messages.success(request, f'Duplicated as "{copy.name}" (a draft).')
        return redirect("workflows:edit", pk=copy.pk)


class WorkflowDeleteView(AdminRequiredMixin, TemplateView):
    """A confirmation page, then the delete (an archive: runs and logs are kept)."""

    template_name = "workflows/confirm_delete.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "workflow": get_object_or_404(Workflow, pk=self.kwargs["pk"]),
        }

    def post(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        try:
            audited(request.user, workflow, lambda: services.workflow_archive(workflow=workflow))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("workflows:list")
        messages.success(request, f'Deleted "{workflow.name}" (archived: its runs are kept).')
        return redirect("workflows:list")
