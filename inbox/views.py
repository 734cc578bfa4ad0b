"""The teammate inbox: inboxes with counts, the conversation with its timeline, and every
action — each one call to a conversation service, exactly as the API and workflows."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation
from conversations.office_hours import workspace_zone
from conversations.validation import is_digits
from inbox import selectors
from inbox.forms import (
    AssignForm,
    BulkForm,
    ComposerForm,
    InboxFilterForm,
    SlaForm,
    SnoozeForm,
    TagForm,
)
from inbox.list_rows import list_rows
from workflows import macros

# The last list a teammate looked at, shown beside a conversation (the three-pane layout).
LIST_SESSION_KEY = "inbox_list"


def conversation_urls():
    """A conversation's address by its id, with one URL lookup per list instead of one
    per row: the address of conversation 0 with the id put in its place."""
    before, _, after = reverse("inbox:conversation", args=[0]).rpartition("/0/")
    return lambda pk: f"{before}/{int(pk)}/{after}"


def list_context(request, params) -> dict:
    """The list of one inbox (or a search across every inbox) with each row's SLA badge."""
    filters = InboxFilterForm(params)
    filters.is_valid()
    view = filters.cleaned_data.get("view") or "mine"
    state = filters.cleaned_data.get("state") or Conversation.State.OPEN
    sort = filters.cleaned_data.get("sort") or "waiting"
    query = filters.cleaned_data.get("q", "")
    # A search looks in every inbox: a customer is found wherever their conversation is.
    scope = "all" if query.strip() else view
    conversations = selectors.search(selectors.inbox_queryset(request.user, scope, state), query)
    page = selectors.inbox_page(conversations, sort, filters.cleaned_data.get("after"))
    return {
        "filters": filters,
        "view": view,
        "state": state,
        "sort": sort,
        "query": query,
        "page": page,
        "rows": list_rows(page.conversations, timezone.now(), conversation_urls()),
        "states": Conversation.State.choices,
        # The row of the conversation open beside the list (the list pane's polls say which).
        "current_id": int(current) if is_digits(current := params.get("current", "")) else None,
    }


@login_required
def inbox_list(request):
    context = list_context(request, request.GET)
    template = "inbox/list.html"
    if request.headers.get("HX-Request"):
        # Polling: the counts of the inboxes, or the list itself.
        nav = request.GET.get("partial") == "nav"
        template = "inbox/_nav.html" if nav else "inbox/_list_panel.html"
    else:
        remembered = {key: value for key, value in request.GET.items() if key != "after"}
        if request.session.get(LIST_SESSION_KEY) != remembered:
            request.session[LIST_SESSION_KEY] = remembered
    if template != "inbox/_list_panel.html":
        context["counts"] = selectors.inbox_counts(request.user, context["state"])
    # Rows are ticked for bulk actions in the inbox itself (not in the pane beside a
    # conversation, whose polls name the `current` one).
    context["selectable"] = context["current_id"] is None
    context["bulk_form"] = BulkForm(teammate=request.user)
    return render(request, template, context)


def snooze_until(form: SnoozeForm, now: datetime) -> datetime:
    preset = form.cleaned_data["preset"]
    if preset == "custom":
        moment = form.cleaned_data["until"]
        return (
            moment if timezone.is_aware(moment) else timezone.make_aware(moment, workspace_zone())
        )
    return preset_until(preset, now)


def preset_until(preset: str, now: datetime) -> datetime:
    """When a snooze preset ends: in 1 or 4 hours, tomorrow or next Monday at 9:00."""
    if preset in ("1h", "4h"):
        return now + timedelta(hours=int(preset[0]))
    local = now.astimezone(workspace_zone())
    days = 1 if preset == "tomorrow" else (7 - local.weekday()) or 7
    day = (local + timedelta(days=days)).date()
    return datetime.combine(day, time(9), tzinfo=workspace_zone())


def render_conversation(request, conversation, status=200, **forms):
    context = {
        "conversation": conversation,
        "contact": conversation.contact,
        "items": selectors.timeline(conversation),
        "today": timezone.localdate().strftime("%Y%m%d"),
        "sla": selectors.sla_badge(conversation, timezone.now()),
        "tags": list(conversation.tags.all()),
        "composer": forms.get("composer") or ComposerForm(),
        "assign_form": forms.get("assign_form")
        or AssignForm(initial={"assignee": conversation.assignee_id, "team": conversation.team_id}),
        "tag_form": forms.get("tag_form") or TagForm(),
        "snooze_form": forms.get("snooze_form") or SnoozeForm(),
        "sla_form": forms.get("sla_form")
        or SlaForm(initial={"policy": conversation.sla_policy_id}),
    }
    if request.headers.get("HX-Request") and request.GET.get("partial") == "timeline":
        return render(request, "inbox/_timeline.html", context)
    # The Macros menu, and the preview of the one chosen (?macro=id) with its Run button.
    context["macros"] = list(macros.visible_macros(request.user))
    context["macro_preview"] = selectors.macro_preview(
        request.user, request.GET.get("macro", ""), conversation
    )
    # The list pane beside the conversation: the inbox the teammate came from.
    remembered = QueryDict(mutable=True)
    remembered.update(request.session.get(LIST_SESSION_KEY) or {})
    context.update(list_context(request, remembered))
    context["list_query"] = remembered.urlencode()
    context["current_id"] = conversation.pk
    return render(request, "inbox/conversation.html", context, status=status)


def load(pk) -> Conversation:
    return get_object_or_404(
        Conversation.objects.select_related(
            "contact__company", "assignee", "team", "sla_policy", "processing_failure"
        ),
        pk=pk,
    )


@login_required
def conversation_detail(request, pk):
    return render_conversation(request, load(pk))


# A service names its argument; the form may call it otherwise.
SERVICE_FIELD_ON_FORM = {"snoozed_until": "until", "teammate": "body"}


def _act(request, pk, form_name, form, change):
    """Validate the form, call the service; errors go back beside the field, nothing saved."""
    conversation = load(pk)
    if form is not None and not form.is_valid():
        return render_conversation(request, conversation, status=400, **{form_name: form})
    try:
        change(conversation, Actor.teammate(request.user))
    except ValidationError as error:
        target = form
        if target is None:
            # An action without a form (remove a tag, close): its errors go above the
            # composer, which has no cleaned data of its own to drop them from.
            target = ComposerForm()
            target.cleaned_data = {}
        for field, field_errors in error.message_dict.items():
            field = SERVICE_FIELD_ON_FORM.get(field, field)
            name = field if field in target.fields else None
            for message in field_errors:
                target.add_error(name, message)
        return render_conversation(request, conversation, status=400, **{form_name: target})
    return redirect("inbox:conversation", pk=pk)


@login_required
@require_POST
def reply(request, pk):
    form = ComposerForm(request.POST)

    def change(conversation, acting):
        body = form.cleaned_data["body"]
        if form.cleaned_data["kind"] == "note":
            services.conversation_add_note(conversation=conversation, body=body, acting=acting)
        else:
            services.conversation_teammate_reply(
                conversation=conversation, teammate=request.user, body=body
            )

    return _act(request, pk, "composer", form, change)


@login_required
@require_POST
def assign(request, pk):
    form = AssignForm(request.POST)

    def change(conversation, acting):
        assignee, team = form.cleaned_data["assignee"], form.cleaned_data["team"]
        method = form.cleaned_data["method"]
        if assignee is None and team is None:
            services.conversation_unassign(conversation=conversation, acting=acting)
        elif method:
            services.conversation_assign_to_team(
                conversation=conversation, team=team, method=method, acting=acting
            )
        else:
            services.conversation_assign(
                conversation=conversation, assignee=assignee, team=team, acting=acting
            )

    return _act(request, pk, "assign_form", form, change)


@login_required
@require_POST
def add_tag(request, pk):
    form = TagForm(request.POST)
    return _act(
        request,
        pk,
        "tag_form",
        form,
        lambda conversation, acting: services.conversation_add_tag(
            conversation=conversation, name=form.cleaned_data["name"], acting=acting
        ),
    )


@login_required
@require_POST
def remove_tag(request, pk, name):
    return _act(
        request,
        pk,
        "tag_form",
        None,
        lambda conversation, acting: services.conversation_remove_tag(
            conversation=conversation, name=name, acting=acting
        ),
    )


@login_required
@require_POST
def set_priority(request, pk):
    priority = request.POST.get("priority") == "true"
    return _act(
        request,
        pk,
        "composer",
        None,
        lambda conversation, acting: services.conversation_set_priority(
            conversation=conversation, priority=priority, acting=acting
        ),
    )


@login_required
@require_POST
def apply_sla(request, pk):
    form = SlaForm(request.POST)
    return _act(
        request,
        pk,
        "sla_form",
        form,
        lambda conversation, acting: services.conversation_apply_sla(
            conversation=conversation, policy=form.cleaned_data["policy"], acting=acting
        ),
    )


@login_required
@require_POST
def snooze(request, pk):
    form = SnoozeForm(request.POST)
    return _act(
        request,
        pk,
        "snooze_form",
        form,
        lambda conversation, acting: services.conversation_snooze(
            conversation=conversation, until=snooze_until(form, timezone.now()), acting=acting
        ),
    )


@login_required
@require_POST
def change_state(request, pk, state):
    change = {"close": services.conversation_close, "reopen": services.conversation_reopen}[state]
    return _act(
        request,
        pk,
        "composer",
        None,
        lambda conversation, acting: change(conversation=conversation, acting=acting),
    )


@login_required
@require_POST
def toggle_away(request):
    # Through the service: coming back hands out what waits in the teams' queues, going
    # away may put one's conversations back in them.
    services.teammate_update_settings(teammate=request.user, away=not request.user.is_away)
    messages.success(request, "You are away." if request.user.is_away else "You are back.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "inbox:list"
    return redirect(target or "inbox:list")


@login_required
def workload(request):
    """Admins: per team, what waits in its queue and each member's load."""
    if not request.user.is_workspace_admin:
        return render(request, "403.html", status=403)
    return render(request, "inbox/workload.html", {"teams": selectors.team_workloads()})
