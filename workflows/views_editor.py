"""The workflow editor: formsets in, API.md's document out, the engine's validator decides."""

import re

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from conversations import validation
from conversations.models import SlaPolicy, Team, Teammate
from workflows import services
from workflows.builder_templates import TEMPLATES
from workflows.editor import WorkflowEditor, document_as_json, form_totals_problem
from workflows.engine.errors import DefinitionError
from workflows.forms import (
    ATTRIBUTE_SUGGESTIONS,
    MAX_FORMS_PER_FORMSET,
    PATH_STEP_TYPES,
    STEP_FIELDS,
    STEP_TYPES,
)
from workflows.models import Workflow
from workflows.outline import outline
from workflows.permissions import AdminRequiredMixin, TeammateRequiredMixin

ACTION = re.compile(r"^(add|remove|up|down):([\w-]+?)(?::(\w+))?$")
MAX_FORMS_PER_SET = MAX_FORMS_PER_FORMSET


def builder_choices() -> dict:
    return {
        "teammate": list(
            Teammate.objects.filter(is_active=True).values_list("username", flat=True)
        ),
        "team": list(Team.objects.values_list("name", flat=True)),
        "sla": list(SlaPolicy.objects.values_list("name", flat=True)),
        "workflow": list(
            Workflow.objects.filter(trigger="reusable").values_list("name", flat=True)
        ),
    }


def apply_action(data, action: str) -> None:
    """Change the posted data the way a structural button asks: add a form to a
    formset, remove one, or move one up or down (with everything nested under it)."""
    match = ACTION.match(action)
    if not match:
        return
    verb, prefix, kind = match.groups()
    kind = kind or data.get(f"add-type-{prefix}")
    if verb == "add":
        total_key = f"{prefix}-TOTAL_FORMS"
        total = _int(data.get(total_key))
        if total >= MAX_FORMS_PER_SET:
            return
        for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data.setdefault(f"{prefix}-{key}", "0" if key != "MAX_NUM_FORMS" else "1000")
        data[total_key] = str(total + 1)
        if prefix.endswith("-r"):  # a rule: starts as "is", at the top level
            data.setdefault(f"{prefix}-{total}-operator", "is")
            data.setdefault(f"{prefix}-{total}-group", "0")
        elif prefix.endswith("-g"):  # a nested group: the next free number
            data.setdefault(f"{prefix}-{total}-number", str(min(total + 1, 3)))
            data.setdefault(f"{prefix}-{total}-match", "all")
        elif kind:
            data[f"{prefix}-{total}-type"] = kind
        return
    if verb == "remove":
        data[f"{prefix}-DELETE"] = "on"
        return
    formset, _, index = prefix.rpartition("-")
    if not validation.is_digits(index):
        return
    index = int(index)
    other = index - 1 if verb == "up" else index + 1
    if other < 0 or other >= _int(data.get(f"{formset}-TOTAL_FORMS")):
        return
    a, b = f"{formset}-{index}-", f"{formset}-{other}-"
    moved = {}
    for key in list(data.keys()):
        if key.startswith(a):
            moved[b + key[len(a) :]] = data.getlist(key)
            del data[key]
        elif key.startswith(b):
            moved[a + key[len(b) :]] = data.getlist(key)
            del data[key]
    for key, values in moved.items():
        data.setlist(key, values)


def _int(text) -> int:
    try:
        return max(0, int(text))
    except (TypeError, ValueError):
        return 0


class EditorView(View):
    template_name = "workflows/editor.html"

    def workflow(self):
        return None

    def context(self, editor, workflow, status=200):
        return {
            "editor": editor,
            "workflow": workflow,
            "step_types": STEP_TYPES,
            "step_fields": STEP_FIELDS,
            "path_step_types": sorted(PATH_STEP_TYPES),
            "templates": TEMPLATES,
            "outline": outline(workflow.document()) if workflow else None,
            "document_json": document_as_json(workflow.document()) if workflow else None,
            "can_edit": self.request.user.is_workspace_admin,
            "attribute_suggestions": ATTRIBUTE_SUGGESTIONS,
        }

    def post(self, request, pk=None):
        if not request.user.is_workspace_admin:
            return render(request, "403.html", status=403)
        workflow = self.workflow()
        data = request.POST.copy()
        action = data.get("action", "save")
        # Bound the work before building any form; after a structural action, again.
        problem = form_totals_problem(data)
        if problem is None and action != "save":
            apply_action(data, action)
            problem = form_totals_problem(data)
        if problem is not None:
            document = workflow.document() if workflow else None
            editor = WorkflowEditor(document=document, choices=builder_choices())
            editor.errors_not_placed.append(problem)
            return render(request, self.template_name, self.context(editor, workflow), status=400)
        editor = None
        if action != "save":
            editor = WorkflowEditor(data=data, choices=builder_choices())
            return render(request, self.template_name, self.context(editor, workflow))
        editor = WorkflowEditor(data=data, choices=builder_choices())
        if editor.is_valid():
            document = editor.document()
            try:
                if workflow is None:
                    workflow = services.workflow_create(document=document)
                else:
                    workflow = services.workflow_update(workflow=workflow, document=document)
            except DefinitionError as error:
                editor.place_errors(error.errors)
            else:
                messages.success(request, f'Saved "{workflow.name}".')
                return redirect("workflows:edit", pk=workflow.pk)
        return render(request, self.template_name, self.context(editor, workflow), status=400)


class WorkflowCreateView(AdminRequiredMixin, EditorView):
    def get(self, request):
        template = TEMPLATES.get(request.GET.get("template", ""))
        if template is None and "blank" not in request.GET:
            return render(request, "workflows/new.html", {"templates": TEMPLATES})
        document = template["document"] if template else None
        editor = WorkflowEditor(document=document, choices=builder_choices())
        return render(request, self.template_name, self.context(editor, None))


class WorkflowEditView(TeammateRequiredMixin, EditorView):
    """Admins edit; teammates see the form read-only with the outline."""

    def workflow(self):
        return get_object_or_404(Workflow, pk=self.kwargs["pk"])

    def get(self, request, pk):
        workflow = self.workflow()
        editor = WorkflowEditor(document=workflow.document(), choices=builder_choices())
        return render(request, self.template_name, self.context(editor, workflow))
