"""The workflow editor: formsets in, API.md's document out, the engine's validator decides."""

import re

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views import View

from conversations import validation
from conversations.human_dates import workspace_zone
from conversations.models import (
    ActorType,
    Company,
    Contact,
    Conversation,
    SlaPolicy,
    Tag,
    Team,
    Teammate,
)
from workflows import services, vocabulary
from workflows.audit_trail import audited
from workflows.builder_templates import TEMPLATES
from workflows.editor import (
    WorkflowEditor,
    document_as_json,
    error_summary,
    find_fragment,
    form_totals_problem,
)
from workflows.engine.errors import DefinitionError
from workflows.engine.rules import CUSTOM_PREFIXES
from workflows.forms import (
    MAX_FORMS_PER_FORMSET,
    PATH_STEP_TYPES,
    STEP_FIELDS,
    STEP_TYPES,
)
from workflows.models import Workflow
from workflows.permissions import AdminRequiredMixin, TeammateRequiredMixin

ACTION = re.compile(r"^(add|remove|up|down):([\w-]+?)(?::(\w+))?$")
MAX_FORMS_PER_SET = MAX_FORMS_PER_FORMSET


# Known values the rule picker offers: at most this many of each (plans, tags, keys).
MAX_KNOWN_VALUES = 200
MAX_CUSTOM_KEYS = 50


def custom_attribute_keys() -> list[str]:
    """Custom attribute names found in the data (contacts', companies', conversations'),
    bounded: the picker offers them beside the declared attributes."""
    names = []
    for model, group in (
        (Contact, "contact"),
        (Company, "company"),
        (Conversation, "conversation"),
    ):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            # Keys of at most the newest 5,000 rows: a bounded read however large the table.
            cursor.execute(
                f"SELECT DISTINCT k FROM (SELECT custom_attributes FROM {table} "
                "WHERE custom_attributes <> '{}'::jsonb ORDER BY id DESC LIMIT 5000) AS recent, "
                "LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(custom_attributes) = 'object' "
                "THEN custom_attributes ELSE '{}'::jsonb END) AS k ORDER BY k LIMIT %s",
                [MAX_CUSTOM_KEYS],
            )
            names += [f"{group}.custom.{key}" for (key,) in cursor.fetchall() if "." not in key]
    return names


def _distinct(queryset, field) -> list[str]:
    values = queryset.exclude(**{field: ""}).values_list(field, flat=True).distinct()
    return list(values.order_by(field)[:MAX_KNOWN_VALUES])


def builder_choices() -> dict:
    plans = sorted(
        set(_distinct(Contact.objects, "plan")) | set(_distinct(Company.objects, "plan")),
        key=str.lower,
    )
    return {
        "plan": plans,
        "tag": _distinct(Tag.objects, "name"),
        "state": [(value, label) for value, label in Conversation.State.choices],
        "channel": [(value, label) for value, label in Conversation.Channel.choices],
        "author_type": [(value, label) for value, label in ActorType.choices],
        "custom": custom_attribute_keys(),
        "teammate": list(
            Teammate.objects.filter(is_active=True).values_list("username", flat=True)
        ),
        "team": list(Team.objects.values_list("name", flat=True)),
        "sla": list(SlaPolicy.objects.values_list("name", flat=True)),
        "workflow": list(
            Workflow.objects.filter(trigger="reusable").values_list("name", flat=True)
        ),
        # Dates and times in rules are typed and shown on the workspace's clock.
        "zone": workspace_zone(),
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
        if prefix.endswith("-r"):  # a rule: starts as "is"
            data.setdefault(f"{prefix}-{total}-operator", "is")
        elif prefix.endswith("-g"):  # a nested group: "all of", empty
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


def saves_draft(workflow) -> bool:
    """Whether the builder's Save keeps a draft rather than publishing: for a live
    workflow (what runs must not change under an admin's half-done edit), and for any
    workflow that already has a draft (until it is published or discarded). A new, draft
    or paused workflow saves straight away: each save is a new version, nothing runs it."""
    return workflow is not None and (
        workflow.status == Workflow.Status.LIVE or workflow.draft is not None
    )


def editing_document(workflow) -> dict:
    """What the builder edits: the draft when there is one, else the live version."""
    return workflow.draft if workflow.draft is not None else workflow.document()


def draft_banner(workflow) -> str:
    if workflow is None:
        return ""
    if workflow.draft is not None:
        saved = workflow.draft_saved_at
        return vocabulary.EDITING_DRAFT.format(
            saved=timezone.localtime(saved).strftime("%-d %b %H:%M") if saved else "",
            version=workflow.version,
        )
    if workflow.status == Workflow.Status.LIVE:
        return vocabulary.EDITING_LIVE.format(version=workflow.version)
    return ""


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
            "document_json": document_as_json(workflow.document()) if workflow else None,
            "saves_draft": saves_draft(workflow),
            # Admins see what they edit (the draft); teammates read the live version.
            "preview_document": (
                editing_document(workflow)
                if workflow and self.request.user.is_workspace_admin
                else None
            ),
            "draft_banner": draft_banner(workflow),
            "can_edit": self.request.user.is_workspace_admin,
            "replay_max_days": settings.REPLAY_RETENTION_DAYS,
            "fragment_url": reverse("workflows:fragment"),
            "error_summary": error_summary(editor) if status != 200 else [],
            "summary_title": vocabulary.ERROR_SUMMARY_TITLE,
            "placeholder_menu_label": vocabulary.PLACEHOLDER_MENU,
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
            document = editing_document(workflow) if workflow else None
            editor = WorkflowEditor(document=document, choices=builder_choices())
            editor.errors_not_placed.append(problem)
            return render(
                request, self.template_name, self.context(editor, workflow, 400), status=400
            )
        editor = None
        if action != "save":
            editor = WorkflowEditor(data=data, choices=builder_choices())
            return render(request, self.template_name, self.context(editor, workflow))
        editor = WorkflowEditor(data=data, choices=builder_choices())
        if editor.is_valid():
            document = editor.document()
            try:
                if workflow is None:
                    workflow = audited(
                        request.user,
                        None,
                        lambda: services.workflow_create(document=document, author=request.user),
                    )
                    said = f'Saved "{workflow.name}".'
                elif saves_draft(workflow):
                    workflow = services.workflow_save_draft(workflow=workflow, document=document)
                    said = vocabulary.DRAFT_SAVED.format(version=workflow.version)
                else:
                    workflow = audited(
                        request.user,
                        workflow,
                        lambda: services.workflow_update(
                            workflow=workflow, document=document, author=request.user
                        ),
                    )
                    said = f'Saved "{workflow.name}".'
            except DefinitionError as error:
                editor.place_errors(error.errors)
            else:
                messages.success(request, said)
                return redirect("workflows:edit", pk=workflow.pk)
        return render(request, self.template_name, self.context(editor, workflow, 400), status=400)


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
        editor = WorkflowEditor(document=editing_document(workflow), choices=builder_choices())
        return render(request, self.template_name, self.context(editor, workflow))


FRAGMENT_TEMPLATES = {
    "rules": ("workflows/_rules.html", "R"),
    "steps": ("workflows/_steps.html", "S"),
    "paths": ("workflows/_paths.html", "P"),
}


def focus_after(action: str, data) -> str:
    """A CSS selector for what should have the focus once the fragment is back: the new
    form's first field, the list's add button after a remove, the moved form's button."""
    match = ACTION.match(action or "")
    if action.startswith("refresh:"):
        name = action[len("refresh:") :]
        if not re.fullmatch(r"[\w-]+", name):
            return ""
        rule = name.removesuffix("-operator")
        if rule != name and data.get(f"{rule}-attribute") in CUSTOM_PREFIXES:
            # "Custom contact attribute…" just chosen: its key box is next.
            return f'[name="{rule}-custom_key"]'
        return f'[name="{name}"]'
    if not match:
        return ""
    verb, prefix, _ = match.groups()
    if verb == "add":
        index = _int(data.get(f"{prefix}-TOTAL_FORMS")) - 1
        return f'[data-form="{prefix}-{index}"]'
    formset, _, index = prefix.rpartition("-")
    if verb == "remove":
        return f'[data-add="{formset}"]'
    other = _int(index) + (-1 if verb == "up" else 1)
    return f'button[value="{verb}:{formset}-{other}"]'


class FragmentView(AdminRequiredMixin, View):
    """A structural edit without a page load: the whole form is posted with the action
    and the prefix of the part to redraw; the answer is that part alone (rule group,
    list of steps or list of paths), its management counts updated. Nothing is saved."""

    def post(self, request):
        data = request.POST.copy()
        action = data.get("action", "")
        prefix = data.get("fragment", "")
        problem = form_totals_problem(data)
        match = ACTION.match(action)
        if not action.startswith("refresh") and not (
            match and (match.group(2) + "-").startswith(f"{prefix}-")
        ):
            problem = problem or TEMPLATE_GONE  # an edit of another part than the one asked
        if problem is None:
            if not action.startswith("refresh"):  # refresh: a changed attribute or type
                apply_action(data, action)
            problem = form_totals_problem(data)
        if problem is None:
            editor = WorkflowEditor(data=data, choices=builder_choices())
            kind, part = find_fragment(editor, prefix)
            if kind is None:
                problem = TEMPLATE_GONE
        if problem is not None:
            response = HttpResponse(
                render_to_string("workflows/_fragment_error.html", {"message": problem}),
                status=400,
            )
            response["HX-Retarget"] = "#builder-messages"
            response["HX-Reswap"] = "innerHTML"
            return response
        template, name = FRAGMENT_TEMPLATES[kind]
        context = {
            name: part,
            "step_types": STEP_TYPES,
            "fragment_url": reverse("workflows:fragment"),
            "nested": prefix != "s",
            "placeholder_menu_label": vocabulary.PLACEHOLDER_MENU,
        }
        response = render(request, template, context)
        response["X-Builder-Focus"] = focus_after(action, data)
        return response


TEMPLATE_GONE = "This part of the form is no longer on the page; reload the page."
