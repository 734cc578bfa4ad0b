"""The inbox's macros (run one on the conversation after its preview; the macros page)
and bulk actions on the ticked rows of the list — each through the same functions as
the API (workflows/macros.py, conversations/bulk.py), as the teammate who asks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from conversations import bulk
from inbox.forms import BulkForm, MacroForm, MacroStepRows
from inbox.views import preset_until
from workflows import macros, vocabulary
from workflows.engine.errors import DefinitionError
from workflows.models import Macro


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(fallback)
    return redirect(target or fallback)


def _say_results(request, results: list[dict], done: str) -> None:
    summary, failures = vocabulary.result_words(results, done)
    messages.success(request, summary)
    for failure in failures:
        messages.error(request, failure)


@login_required
@require_POST
def bulk_action(request):
    """One action on the ticked conversations; the list says what was done and names each
    conversation where it failed."""
    form = BulkForm(request.POST, teammate=request.user)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return _back(request, "inbox:list")
    data = form.cleaned_data
    action, ids = data["action"], data["conversations"]
    if action == "macro":
        results = macros.run(data["macro"], ids, request.user)
        done = f"{vocabulary.BULK_ACTION_WORDS['macro']} “{data['macro'].name}”"
    else:
        order = bulk.BulkAction(
            action=action,
            assignee=data.get("assignee"),
            team=data.get("team"),
            until=preset_until(data.get("preset") or "1h", timezone.now()),
            tag=data.get("tag", ""),
        )
        results = bulk.run(order, ids, request.user)
        done = vocabulary.BULK_ACTION_WORDS[action]
    _say_results(request, results, done)
    return _back(request, "inbox:list")


@login_required
@require_POST
def run_macro(request, pk, macro_id):
    """Run a macro on this conversation, as the teammate (after its preview)."""
    macro = get_object_or_404(macros.visible_macros(request.user), pk=macro_id)
    [result] = macros.run(macro, [pk], request.user)
    if result["ok"]:
        messages.success(request, f"Ran the macro “{macro.name}”.")
    else:
        messages.error(request, f"The macro “{macro.name}” stopped: {result['error']}")
    return redirect("inbox:conversation", pk=pk)


# --- the macros page -----------------------------------------------------------------


@login_required
def macro_list(request):
    rows = [
        {
            "macro": macro,
            "words": macros.preview(macro.steps),
            "editable": macros.may_edit(macro, request.user),
        }
        for macro in macros.visible_macros(request.user)
    ]
    return render(request, "inbox/macros.html", {"rows": rows})


def _editable(request, pk) -> Macro:
    macro = get_object_or_404(macros.visible_macros(request.user), pk=pk)
    if not macros.may_edit(macro, request.user):
        raise PermissionDenied(vocabulary.MACRO_NOT_YOURS)
    return macro


@login_required
def macro_new(request):
    return _macro_form(request, None)


@login_required
def macro_edit(request, pk):
    return _macro_form(request, _editable(request, pk))


def _macro_form(request, macro: Macro | None):
    written = macros.rows_from_document(macro.steps) if macro is not None else ("", [])
    if written is None:
        context = {"macro": macro, "unshown": True}
        context["unshown_words"] = vocabulary.MACRO_HAS_OTHER_STEPS
        return render(request, "inbox/macro_form.html", context)
    reply, rows = written
    if request.method == "POST":
        form = MacroForm(request.POST)
        steps = MacroStepRows(request.POST, prefix="steps")
        if form.is_valid() and steps.is_valid() and _save(request, macro, form, steps):
            messages.success(request, f"Saved the macro “{form.cleaned_data['name']}”.")
            return redirect("inbox:macros")
        status = 400
    else:
        initial = {"name": macro.name, "shared": macro.shared, "reply": reply} if macro else {}
        form = MacroForm(initial=initial)
        steps = MacroStepRows(
            prefix="steps", initial=[{"kind": kind, "value": value} for kind, value in rows]
        )
        status = 200
    context = {
        "macro": macro,
        "form": form,
        "steps": steps,
        "help": vocabulary.MACRO_ROW_VALUE_HELP,
    }
    return render(request, "inbox/macro_form.html", context, status=status)


def _save(request, macro, form, steps) -> bool:
    """Check the steps with the workflows' step checks; put each error beside its row."""
    filled = [
        (index, row.cleaned_data["kind"], row.cleaned_data.get("value", ""))
        for index, row in enumerate(steps.forms)
        if row.cleaned_data.get("kind")
    ]
    reply = form.cleaned_data["reply"]
    document = macros.document_from_rows(reply, [(kind, value) for _, kind, value in filled])
    if not document:
        form.add_error(None, vocabulary.MACRO_NEEDS_SOMETHING)
        return False
    try:
        macros.checked_steps(document)
    except DefinitionError as error:
        offset = 1 if reply.strip() else 0
        for place, problems in error.errors.items():
            index = macros.step_index(place)
            if index is None:
                target, field = form, None
            elif index < offset:
                target, field = form, "reply"
            else:
                target, field = steps.forms[filled[index - offset][0]], "value"
            for problem in problems:
                target.add_error(field, problem)
        return False
    if macro is None:
        macro = Macro(owner=request.user)
    macro.name = form.cleaned_data["name"]
    macro.shared = form.cleaned_data["shared"]
    macro.steps = document
    macro.save()
    return True


@login_required
@require_POST
def macro_delete(request, pk):
    macro = _editable(request, pk)
    macro.delete()
    messages.success(request, f"Deleted the macro “{macro.name}”.")
    return redirect("inbox:macros")
