"""Builder pages that only read: a workflow's test run (a dry run) and its report."""

import re
from datetime import datetime, time, timedelta

from django import forms
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Substr, TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import TemplateView

from conversations.models import Conversation, Part, PartType
from workflows import vocabulary
from workflows.dry_run import workflow_dry_run
from workflows.engine.errors import DefinitionError
from workflows.models import Workflow, WorkflowLog, WorkflowRun
from workflows.permissions import TeammateRequiredMixin
from workflows.vocabulary import trigger_label

# The test run's pick list: the newest conversations, each with the first words of its
# last customer message (read as a short prefix, so a long message costs nothing).
RECENT_CONVERSATIONS = 30
SNIPPET_CHARS = 120
SNIPPET_WORDS = 8
# A conversation id as typed: digits only, and few enough to fit a 64-bit key.
CONVERSATION_ID = re.compile(r"#?([0-9]{1,18})")

# The report: one point per day over this many days, and the newest runs listed.
REPORT_DAYS = 30
LATEST_RUNS = 20
# Where the database cannot test JSON containment (SQLite), the period's not-matched
# rows are read and counted here; this caps how many one page load reads.
MAX_NOT_MATCHED_SCANNED = 20_000

NO_CONVERSATION = "Pick a conversation or enter its id."
NOT_AN_ID = "Enter a conversation id: a whole number, such as 42."
UNKNOWN_CONVERSATION = "No conversation has the id {id}."

# --- test run ---------------------------------------------------------------------------


class TestRunForm(forms.Form):
    """One conversation: picked from the recent ones, or typed as an id (which wins)."""

    recent = forms.CharField(required=False, label="Recent conversation", widget=forms.Select)
    conversation = forms.CharField(required=False, label="or its id", max_length=40)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recent"].widget.choices = [("", "— pick a conversation —"), *choices]
        self.fields["conversation"].widget.attrs.update(
            {"inputmode": "numeric", "placeholder": "e.g. 42", "autocomplete": "off"}
        )

    def clean(self):
        cleaned = super().clean()
        typed = (cleaned.get("conversation") or "").strip()
        field, value = ("conversation", typed) if typed else ("recent", cleaned.get("recent"))
        if not value:
            self.add_error("conversation", NO_CONVERSATION)
            return cleaned
        found = CONVERSATION_ID.fullmatch(value)
        if found is None:
            self.add_error(field, NOT_AN_ID)
            return cleaned
        pk = int(found.group(1))
        conversation = Conversation.objects.filter(pk=pk).first()
        if conversation is None:
            self.add_error(field, UNKNOWN_CONVERSATION.format(id=pk))
            return cleaned
        cleaned["picked"] = conversation
        return cleaned


def recent_conversation_choices() -> list[tuple[str, str]]:
    """(id, "#id · contact · first words of the last customer message"), in one query."""
    last_message = (
        Part.objects.filter(conversation=OuterRef("pk"), part_type=PartType.CUSTOMER_MESSAGE)
        .order_by("-id")
        .annotate(start=Substr("body", 1, SNIPPET_CHARS))
        .values("start")[:1]
    )
    rows = (
        Conversation.objects.order_by("-created_at", "-id")
        .annotate(last_words=Subquery(last_message))
        .values_list("pk", "contact__name", "contact__email", "last_words")[:RECENT_CONVERSATIONS]
    )
    choices = []
    for pk, name, email, words in rows:
        label = f"#{pk} · {name or email or 'unnamed contact'}"
        if words:
            label += f" · {first_words(words)}"
        choices.append((str(pk), label))
    return choices


def first_words(text: str, count: int = SNIPPET_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def show(value) -> str:
    """A rule's actual value as the page shows it (text quoted, the rest in words)."""
    if isinstance(value, str) and value:
        return vocabulary.quoted(value)
    if isinstance(value, list):
        return ", ".join(show(v) for v in value) if value else "none"
    return vocabulary.value_words(value)


def rule_rows(rules: list[dict], depth: int) -> tuple[list[dict], list[bool]]:
    """The dry run's rules flattened for the page, with each nested group's own result."""
    rows, results = [], []
    for rule in rules:
        if "rules" in rule:
            inner, inner_results = rule_rows(rule["rules"], depth + 1)
            matched = all(inner_results) if rule["match"] == "all" else any(inner_results)
            rows.append(
                {
                    "depth": depth,
                    "group": vocabulary.match_heading(rule["match"]),
                    "matched": matched,
                }
            )
            rows.extend(inner)
        else:
            matched = rule["matched"]
            rows.append(
                {
                    "depth": depth,
                    "attribute": rule["attribute"],
                    "words": vocabulary.rule_words(
                        rule["attribute"], rule["operator"], rule["value"]
                    ),
                    "actual": show(rule["actual"]),
                    "matched": matched,
                }
            )
        results.append(matched)
    return rows, results


def step_rows(steps: list[dict], depth: int = 0) -> list[dict]:
    """The dry run's steps flattened: nested paths indented, chosen branches marked."""
    rows = []
    for number, step in enumerate(steps, start=1):
        row = {"depth": depth, "number": number, "type": step["type"], "would": step["would"]}
        if step.get("rendered"):
            row["rendered"] = list(step["rendered"].values())
        rows.append(row)
        paths = step.get("paths", [])
        if step["type"] == "branches":
            chosen = step.get("matched", [])
            if chosen:
                row["note"] = vocabulary.TEST_BRANCH_CHOSEN.format(number=chosen[0] + 1)
                label = f"{path_label(step)} {chosen[0] + 1}"
                rows.append(path_row(depth + 1, label, chosen=True))
            else:
                row["note"] = vocabulary.TEST_NO_BRANCH
                rows.append(path_row(depth + 1, vocabulary.OTHERWISE, chosen=True))
            for path in paths:
                rows.extend(step_rows(path, depth + 2))
        elif step["type"] == "apply_rules":
            chosen = step.get("matched", [])
            row["note"] = (
                vocabulary.entries_chosen_words(n + 1 for n in chosen)
                if chosen
                else vocabulary.TEST_NO_ENTRY
            )
            for n, path in zip(chosen, paths, strict=True):
                rows.append(path_row(depth + 1, f"{path_label(step)} {n + 1}", chosen=True))
                rows.extend(step_rows(path, depth + 2))
        elif step["type"] == "reply_buttons":
            row["note"] = vocabulary.TEST_BUTTONS
            for button in paths:
                label = f"{path_label(step)} {vocabulary.quoted(button['label'])}"
                rows.append(path_row(depth + 1, label, chosen=False))
                rows.extend(step_rows(button["steps"], depth + 2))
        elif step["type"] == "run_workflow":
            if paths:
                for path in paths:
                    rows.extend(step_rows(path, depth + 1))
            else:
                row["note"] = vocabulary.TEST_NOT_LIVE_TARGET
    return rows


def path_label(step: dict) -> str:
    """What one path of the step is called: "Branch", "Entry", "Button"."""
    return vocabulary.PATH_LABELS.get(step["type"], "Path")


def path_row(depth: int, label: str, *, chosen: bool) -> dict:
    return {"depth": depth, "path": label, "chosen": chosen}


class WorkflowTestRunView(TeammateRequiredMixin, TemplateView):
    """Try the workflow on a conversation as it is now; nothing is saved (GET only)."""

    template_name = "workflows/test_run.html"

    def get_context_data(self, **kwargs):
        workflow = get_object_or_404(Workflow, pk=self.kwargs["pk"])
        submitted = bool(self.request.GET)
        form = TestRunForm(
            self.request.GET if submitted else None, choices=recent_conversation_choices()
        )
        context = {
            **super().get_context_data(**kwargs),
            "workflow": workflow,
            "trigger_label": trigger_label(workflow.trigger),
            "form": form,
        }
        if submitted and form.is_valid():
            conversation = form.cleaned_data["picked"]
            context["conversation"] = conversation
            try:
                result = workflow_dry_run(workflow, conversation)
            except DefinitionError as error:
                context["definition_error"] = str(error)
                return context
            rows, _ = rule_rows(result["audience"]["rules"], 1)
            context.update(
                result=result,
                audience_match=vocabulary.match_heading(
                    (workflow.audience or {}).get("match", "all")
                ),
                rule_rows=rows,
                step_rows=step_rows(result["steps"]),
                rendered_label=vocabulary.PLACEHOLDER_RENDERED,
            )
        return context


# --- report -----------------------------------------------------------------------------


def report_days(today) -> list:
    return [today - timedelta(days=back) for back in range(REPORT_DAYS - 1, -1, -1)]


def counts_by_day(queryset, field: str) -> dict:
    rows = (
        queryset.annotate(day=TruncDate(field))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("day", "n")
    )
    return dict(rows)


def skipped_by_day(workflow: Workflow, since: datetime) -> dict:
    """Skips of the workflow per day: its `skipped` rows plus the `not_matched` rows whose
    details list it (a not-matched row names every workflow it speaks for)."""
    logs = WorkflowLog.objects.filter(created_at__gte=since)
    counts = counts_by_day(
        logs.filter(workflow=workflow, kind=WorkflowLog.Kind.SKIPPED), "created_at"
    )
    not_matched = logs.filter(kind=WorkflowLog.Kind.NOT_MATCHED)
    if connection.features.supports_json_field_contains:
        found = counts_by_day(
            not_matched.filter(details__workflows__contains=[{"id": workflow.pk}]), "created_at"
        )
    else:
        # A row that names one other workflow has that workflow set: leave those out.
        rows = (
            not_matched.filter(Q(workflow=workflow) | Q(workflow__isnull=True))
            .order_by("-id")
            .values_list("created_at", "details")[:MAX_NOT_MATCHED_SCANNED]
        )
        found = {}
        for created_at, details in rows:
            listed = details.get("workflows", []) if isinstance(details, dict) else []
            if any(isinstance(e, dict) and e.get("id") == workflow.pk for e in listed):
                day = timezone.localdate(created_at)
                found[day] = found.get(day, 0) + 1
    for day, n in found.items():
        counts[day] = counts.get(day, 0) + n
    return counts


def workflow_report(workflow: Workflow, *, now=None) -> dict:
    """Runs started, completed, interrupted, failed and skipped per day, in five queries:

    1. runs started per day (by start time);
    2. runs ended per day and outcome (by end time);
    3. and 4. skips per day (see skipped_by_day);
    5. the newest runs with their conversations and contacts.
    """
    today = timezone.localdate(now or timezone.now())
    days = report_days(today)
    since = timezone.make_aware(datetime.combine(days[0], time.min))
    runs = WorkflowRun.objects.filter(workflow=workflow)

    started = counts_by_day(runs.filter(started_at__gte=since), "started_at")
    ended = {}
    finished = [
        WorkflowRun.Status.COMPLETED,
        WorkflowRun.Status.INTERRUPTED,
        WorkflowRun.Status.FAILED,
    ]
    rows = (
        runs.filter(status__in=finished, ended_at__gte=since)
        .annotate(day=TruncDate("ended_at"))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("day", "status", "n")
    )
    for day, status, n in rows:
        ended[(day, status)] = n
    skipped = skipped_by_day(workflow, since)

    series = {
        "started": [started.get(day, 0) for day in days],
        "completed": [ended.get((day, "completed"), 0) for day in days],
        "interrupted": [ended.get((day, "interrupted"), 0) for day in days],
        "failed": [ended.get((day, "failed"), 0) for day in days],
        "skipped": [skipped.get(day, 0) for day in days],
    }
    latest = list(
        runs.select_related("conversation__contact").order_by("-started_at", "-id")[:LATEST_RUNS]
    )
    return {
        "days": days,
        "series": series,
        "totals": {name: sum(values) for name, values in series.items()},
        "latest_runs": latest,
    }


class WorkflowReportView(TeammateRequiredMixin, TemplateView):
    template_name = "workflows/report.html"

    def get_context_data(self, **kwargs):
        workflow = get_object_or_404(Workflow, pk=self.kwargs["pk"])
        report = workflow_report(workflow)
        names = ["started", "completed", "interrupted", "skipped"]
        chart = {
            "labels": [day.isoformat() for day in report["days"]],
            "datasets": [
                {
                    "key": name,
                    "label": vocabulary.REPORT_SERIES_WORDS[name],
                    "data": report["series"][name],
                }
                for name in names
            ],
        }
        for run in report["latest_runs"]:
            run.status_words = vocabulary.RUN_STATUS_WORDS.get(run.status, run.status)
        table = [
            {"day": day, **{name: report["series"][name][i] for name in report["series"]}}
            for i, day in enumerate(report["days"])
        ]
        return {
            **super().get_context_data(**kwargs),
            "workflow": workflow,
            "report": report,
            "chart": chart,
            "table": table,
            "report_days": REPORT_DAYS,
            "latest_count": LATEST_RUNS,
        }
