"""The builder's tree of forms and formsets, built from a document (GET) or from POST
data, and turned back into API.md's document. Errors the engine's validator names by
place (`steps[2].branches[0].steps[1].tag`) are put beside the field that holds it.

Prefixes nest: the top steps are `s`, the paths of step 2 are `s-2-p`, the steps of its
path 0 are `s-2-p-0-s`, the rules of that path's condition `s-2-p-0-r`. Moving a form
moves every key under its prefix, children included.
"""

import json
import re
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation

from conversations import validation
from conversations.human_dates import local
from workflows import vocabulary
from workflows.engine import steps
from workflows.engine.definitions import TRIGGER_OPTIONS
from workflows.engine.rules import (
    AGO_OPERATORS,
    ALL_OPERATORS,
    ATTRIBUTE_TYPES,
    BOOL,
    CUSTOM_PREFIXES,
    DATE,
    MAX_GROUP_DEPTH,
    NUMBER,
    OPERATORS,
    UNARY,
    attribute_type,
)
from workflows.forms import (
    MAX_FORMS_PER_FORMSET,
    PATH_STEP_TYPES,
    STEP_FORM_SPECS,
    TRIGGER_OPTION_FIELDS,
    GroupFormSet,
    MatchForm,
    PathFormSet,
    RuleFormSet,
    StepFormSet,
    WorkflowForm,
    custom_attribute,
)

MAX_DEPTH = 4  # nesting of paths the builder shows; deeper documents are kept as JSON
# Forms in the whole editor, every formset and nested one counted. A POST declares its
# totals in the management forms; `form_totals_problem` checks them before any form is
# built (one POST of nested TOTAL_FORMS=300 once kept a worker busy past its 30 s
# timeout; TOTAL_FORMS=99999999999999999999 took 16 s to refuse).
MAX_TOTAL_FORMS = 500
TOTALS_TOO_LARGE = (
    f"Too many forms: at most {MAX_FORMS_PER_FORMSET} in one list and {MAX_TOTAL_FORMS} "
    "in the whole workflow."
)
TOTALS_INVALID = "The form's counts were changed or are missing; reload the page."


# --- values typed in a text box <-> JSON values ------------------------------------------


def value_to_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value_to_text(item) for item in value)
    return str(value)


# Operators whose value is a moment (the engine compares it with a date and time).
MOMENT_OPERATORS = ("before", "after")
PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LOCAL_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


def moment_to_text(value, zone: tzinfo = UTC) -> str:
    """A rule's stored moment as the builder's date-and-time box shows it: on the
    workspace's clock, without a zone ("2026-11-25T14:30"). The engine reads a stored
    moment without a zone (a plain date included) as UTC, so it is shown from UTC."""
    text = value_to_text(value).strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # not a moment: shown as stored, the validator names it
    shown = local(moment if moment.tzinfo else moment.replace(tzinfo=UTC), zone)
    return shown.strftime("%Y-%m-%dT%H:%M:%S" if shown.second else "%Y-%m-%dT%H:%M")


def text_to_moment(text: str, zone: tzinfo = UTC):
    """A typed date and time, read on the workspace's clock, as an ISO moment with its
    offset ("2026-11-25T14:30:00+01:00"); a plain date is the start of that day there.
    Anything else is kept as typed, for the validator to name."""
    text = (text or "").strip()
    try:
        if PLAIN_DATE.match(text):
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.isoformat()
    except (ValueError, OverflowError):
        return text


def text_to_value(text: str, attribute: str, operator: str, zone: tzinfo = UTC):
    """What the admin typed, as the JSON value the rule needs (the validator checks it)."""
    text = (text or "").strip()
    if operator in UNARY:
        return None
    if operator in MOMENT_OPERATORS:
        return text_to_moment(text, zone)
    if operator in ("in", "not_in"):
        return [text_to_value(part, attribute, "is") for part in text.split(",") if part.strip()]
    kind = attribute_type(attribute) if attribute else None
    numeric = operator in ("gt", "gte", "lt", "lte", "more_than_days_ago", "less_than_days_ago")
    if kind == BOOL and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if numeric or kind == NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text  # the validator names it
        return int(number) if number == number.to_integral_value() else float(number)
    return text


def form_totals_problem(data) -> str | None:
    """Why the posted formset totals are too many or not numbers, or None.

    Forms are built only for the totals posted (a formset that is not posted starts
    empty), so their sum bounds the work of the whole request. Cheap: one pass over
    the keys, each value at most a few digits long before it is read as a number.
    """
    total = 0
    for key in data:
        if not key.endswith("-TOTAL_FORMS"):
            continue
        text = data.get(key) or ""
        if not validation.is_digits(text) or len(text) > 6:
            return TOTALS_INVALID if not validation.is_digits(text) else TOTALS_TOO_LARGE
        count = int(text)
        total += count
        if count > MAX_FORMS_PER_FORMSET or total > MAX_TOTAL_FORMS:
            return TOTALS_TOO_LARGE
    return None


def ensure_management(data, prefix: str) -> None:
    """A formset that appeared since the page was drawn (a step just became branches)
    has no management data yet: it starts empty."""
    if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"


# --- rule groups ---------------------------------------------------------------------


def value_kind(attribute: str, operator: str, known: dict | None = None) -> str:
    """Which value widget a rule shows: none, number, days, date, bool, select, list, text."""
    known = known or {}
    kind = attribute_type(attribute) if attribute else None
    if operator in UNARY:
        return "none"
    if operator in ("more_than_days_ago", "less_than_days_ago"):
        return "days"
    if operator in AGO_OPERATORS:
        return "duration"
    if operator in ("before", "after") or kind == DATE:
        return "date"
    if kind == BOOL:
        return "bool"
    if value_options(attribute, known) is not None:
        return "select"
    if operator in ("in", "not_in"):
        return "list"
    if kind == NUMBER or operator in ("gt", "gte", "lt", "lte"):
        return "number"
    return "text"


def value_options(attribute: str, known: dict) -> list | None:
    """The values a rule on this attribute can take, as (value, words), or None (typed)."""
    if attribute == "time.weekday":
        return list(vocabulary.WEEKDAY_WORDS.items())
    source = {
        "contact.plan": "plan",
        "company.plan": "plan",
        "conversation.tags": "tag",
        "conversation.team": "team",
        "conversation.assignee": "teammate",
        "conversation.state": "state",
        "conversation.channel": "channel",
        "message.author_type": "author_type",
    }.get(attribute)
    if source is None or not known.get(source):
        return None  # nothing known yet (no plans in the data): typed in a text box
    return [item if isinstance(item, tuple) else (item, item) for item in known[source]]


def attribute_options(current: str, known: dict) -> list:
    """The picker's groups: [(group words, [(attribute, words), ...]), ...]."""
    groups = {words: [] for words in vocabulary.ATTRIBUTE_GROUP_WORDS.values()}
    for name in ATTRIBUTE_TYPES:
        group = vocabulary.attribute_group(name)
        groups.setdefault(group, []).append((name, vocabulary.attribute_label(name)))
    for prefix in CUSTOM_PREFIXES:  # "Custom contact attribute…": a key typed beside
        group = prefix.partition(".")[0]
        groups[vocabulary.ATTRIBUTE_GROUP_WORDS[group]].append(
            (prefix, vocabulary.new_custom_attribute_words(group))
        )
    custom = [(name, vocabulary.attribute_label(name)) for name in known.get("custom", [])]
    listed = {name for options in groups.values() for name, _ in options}
    listed |= {name for name, _ in custom}
    if current and current not in listed:
        custom.append((current, vocabulary.attribute_label(current)))
    result = [(group, options) for group, options in groups.items() if options]
    if custom:
        result.append((vocabulary.CUSTOM_ATTRIBUTES_GROUP, custom))
    return result


def decorate_rule(form, known: dict) -> None:
    """What the rule's row shows: the picker, the operators that fit, the value widget."""
    chosen_attribute = attribute = str(form["attribute"].value() or "")
    # "Custom contact attribute…" chosen: a key box beside the picker; the rule is about
    # the attribute the key names (a custom one: every operator, a typed value).
    form.custom_prefix = attribute if attribute in CUSTOM_PREFIXES else ""
    form.new_custom_words = ""
    problem = None
    if form.custom_prefix:
        group = attribute.partition(".")[0]
        form.new_custom_words = vocabulary.new_custom_attribute_words(group).rstrip("…")
        attribute, problem = custom_attribute(attribute, str(form["custom_key"].value() or ""))
    operator = str(form["operator"].value() or "is")
    kind = attribute_type(attribute) if attribute else None
    fitting = OPERATORS.get(kind, ALL_OPERATORS)
    form.attribute_options = attribute_options(chosen_attribute, known)
    form.operator_options = [
        (op, words)
        for op, words in vocabulary.OPERATOR_WORDS.items()
        if op in ALL_OPERATORS and (op in fitting or op == operator)
    ]
    form.value_kind = value_kind(attribute, operator, known)
    form.value_multiple = operator in ("in", "not_in")
    text = str(form["value"].value() or "")
    chosen = [part.strip() for part in text.split(",")] if form.value_multiple else [text]
    chosen = [part for part in chosen if part]
    options = value_options(attribute, known) or []
    if form.value_kind == "bool":
        options = list(vocabulary.YES_NO_WORDS.items())
    options = list(options)
    listed = {value for value, _ in options}
    options += [(value, value) for value in chosen if value not in listed]
    form.value_choices = [(value, words, value in chosen) for value, words in options]
    # The date-and-time box: the text is already on the workspace's clock (see
    # RulesEditor._rule_initial); a plain date is the start of its day.
    form.value_date = f"{text}T00:00" if PLAIN_DATE.match(text) else text
    form.zone_words = vocabulary.zone_hint(str(known.get("zone") or UTC))
    form.duration_hint = vocabulary.DURATION_HINT
    form.rule_attribute = attribute
    form.attribute_words = (
        form.new_custom_words if problem else vocabulary.attribute_label(attribute)
    )
    form.choose_attribute = vocabulary.CHOOSE_ATTRIBUTE
    form.custom_key_hint = vocabulary.CUSTOM_KEY_HINT


def _position(form):
    position = form.cleaned_data.get("position") if hasattr(form, "cleaned_data") else None
    return (position is None, position or 0)


class RulesEditor:
    """A rule group: all/any, its rules, and its nested groups (each a RulesEditor under
    the group form's prefix, whose own match is the group form's)."""

    def __init__(self, prefix, data=None, document=None, known=None, match_form=None, depth=0):
        self.prefix = prefix
        self.depth = depth
        self.parent_prefix = prefix.rpartition("-g-")[0] if match_form is not None else None
        self.known = known or {}
        document = document if isinstance(document, dict) else {"match": "all", "rules": []}
        members = document.get("rules", [])
        members = members if isinstance(members, list) else []
        rules, groups, group_documents = [], [], []
        for position, member in enumerate(members):
            if isinstance(member, dict) and "rules" in member:
                groups.append({"position": position, "match": member.get("match", "all")})
                group_documents.append(member)
            else:
                rules.append({**self._rule_initial(member), "position": position})
        ensure_management(data, f"{prefix}-r")
        ensure_management(data, f"{prefix}-g")
        self.own_match = match_form is None
        self.match = match_form or MatchForm(
            data, prefix=prefix, initial={"match": document.get("match", "all")}
        )
        self.rules = RuleFormSet(data, prefix=f"{prefix}-r", initial=rules)
        self.groups = GroupFormSet(data, prefix=f"{prefix}-g", initial=groups)
        self.can_nest = depth + 1 < MAX_GROUP_DEPTH
        for form in self.rules.forms:
            decorate_rule(form, self.known)
        for index, form in enumerate(self.groups.forms):
            inner = None
            if data is None and index < len(group_documents):
                inner = group_documents[index]
            # Deeper than the engine allows: no editor (the validator names the group).
            form.inner = (
                RulesEditor(form.prefix, data, inner, self.known, form, depth + 1)
                if self.can_nest
                else None
            )

    def _rule_initial(self, rule):
        rule = rule if isinstance(rule, dict) else {}
        operator = rule.get("operator", "is")
        value = rule.get("value")
        # A moment is shown on the workspace's clock, as its date-and-time box reads it.
        zone = self.known.get("zone") or UTC
        text = moment_to_text(value, zone) if operator in MOMENT_OPERATORS else value_to_text(value)
        return {"attribute": rule.get("attribute", ""), "operator": operator, "value": text}

    def forms(self):
        if self.own_match:
            yield self.match
        yield self.rules
        yield self.groups
        for form in self.groups.forms:
            if form.inner is not None:
                yield from form.inner.forms()

    def editors(self):
        """This editor and every nested one (to find a fragment by its prefix)."""
        yield self
        for form in self.groups.forms:
            if form.inner is not None:
                yield from form.inner.editors()

    def document(self, place: str, places: dict) -> dict:
        places[place] = self.match
        members = [(f, "rule") for f in self.rules.forms if not _deleted(f)]
        members += [(f, "group") for f in self.groups.forms if not _deleted(f)]
        members.sort(key=lambda member: _position(member[0]))  # stable: rules, then groups
        rules_doc = []
        for index, (form, kind) in enumerate(members):
            member_place = f"{place}.rules[{index}]"
            places[member_place] = form
            data = form.cleaned_data
            if kind == "group":
                if form.inner is None:
                    rules_doc.append({"match": data.get("match", "all"), "rules": []})
                else:
                    rules_doc.append(form.inner.document(member_place, places))
                continue
            rules_doc.append(
                {
                    "attribute": data.get("attribute", ""),
                    "operator": data.get("operator", ""),
                    "value": text_to_value(
                        data.get("value"),
                        data.get("attribute"),
                        data.get("operator"),
                        self.known.get("zone") or UTC,
                    ),
                }
            )
        return {"match": self.match.cleaned_data.get("match", "all"), "rules": rules_doc}


# --- steps and their paths -------------------------------------------------------------


def step_initial(step: dict) -> dict:
    """The step form's initial data: every field the registry knows, as the form shows it."""
    step = step if isinstance(step, dict) else {}
    initial = {"type": step.get("type")}
    kind = steps.step_type(step.get("type"))
    for name, spec in STEP_FORM_SPECS.items():
        own = kind.fields_by_name.get(spec.name) if kind is not None else None
        if own is not None and own.form_field_name != name:
            continue  # the step's own field of that name is another form field
        if spec.kind == steps.BOOL:
            initial[name] = bool(step.get(spec.name))
            replacement, value = spec.replaced_by or (None, None)
            if own is not None and initial[name] and replacement and not step.get(replacement):
                initial[replacement] = value
        elif spec.kind == steps.DATA_VALUE:
            initial[name] = value_to_text(step.get(spec.name))
        else:
            initial[name] = step.get(spec.name)
    return {key: value for key, value in initial.items() if value is not None}


class StepsEditor:
    def __init__(self, prefix, data=None, steps=None, choices=None, depth=0):
        self.prefix = prefix
        steps = steps or []
        ensure_management(data, prefix)
        self.formset = StepFormSet(
            data,
            prefix=prefix,
            initial=[step_initial(step) for step in steps],
            form_kwargs={"choices": choices},
        )
        self.depth = depth
        number = 0
        for form in self.formset.forms:
            removed = data is not None and bool(data.get(f"{form.prefix}-DELETE"))
            number += 0 if removed else 1
            form.number = number  # what the admin sees: removed steps do not count
        for index, form in enumerate(self.formset.forms):
            kind = data.get(f"{form.prefix}-type") if data is not None else steps[index].get("type")
            form.paths = None
            if kind in PATH_STEP_TYPES and depth < MAX_DEPTH:
                document = None if data is not None else steps[index]
                form.paths = PathsEditor(
                    f"{form.prefix}-p", kind, data, document, choices, depth + 1
                )

    def forms(self):
        yield self.formset
        for form in self.formset.forms:
            if form.paths is not None:
                yield from form.paths.forms()

    def document(self, place: str, places: dict) -> list:
        steps = []
        for form in (f for f in self.formset.forms if not _deleted(f)):
            step_place = f"{place}[{len(steps)}]"
            places[step_place] = form
            steps.append(step_document(form, step_place, places))
        return steps


def step_document(form, place, places) -> dict:
    """The step as API.md writes it, from its form and the registry's declaration: required
    fields always (empty if not filled in, for the validator to name), optional ones when
    filled in; of two alternatives, the one filled in (else the declared default)."""
    data = form.cleaned_data
    kind = steps.step_type(data.get("type"))
    step = {"type": data.get("type")}
    if kind is None:
        return step
    fields = kind.fields
    rule = kind.one_of
    if rule is not None and rule.exactly:
        others = [name for name in rule.fields if name != rule.default]
        chosen = next((name for name in others if data.get(name)), rule.default)
        fields = [f for f in fields if f.name not in rule.fields or f.name == chosen]
    for spec in fields:
        if spec.replaced_by:
            continue  # the builder writes the newer spelling
        value = data.get(spec.form_field_name)
        if spec.only_with and spec.only_with[0] not in step:
            continue  # round robin: only beside a team
        if spec.kind == steps.BOOL:
            if spec.required or value:
                step[spec.name] = bool(value)
        elif spec.required:
            step[spec.name] = value if value is not None else ""
        elif value:
            step[spec.name] = value
    if form.paths is not None:
        step.update(form.paths.document(place, places))
    elif kind.paths is not None:  # nested deeper than the builder shows: empty paths
        step[kind.paths.key] = []
        if kind.paths.has_else:
            step["else"] = []
    return step


class PathsEditor:
    """The branches, apply-rules entries or buttons of one step (and a branch's else)."""

    def __init__(self, prefix, kind, data=None, document=None, choices=None, depth=1):
        self.prefix = prefix
        self.kind = kind
        document = document or {}
        self.spec = steps.step_type(kind).paths
        entries = document.get(self.spec.key, [])
        # A plain list of steps (on_failure) has no entries: its steps are `otherwise`.
        if self.spec.kind == steps.STEPS_PATH or not isinstance(entries, list):
            entries = []
        entries = [e for e in entries if isinstance(e, dict)]
        ensure_management(data, prefix)
        self.formset = PathFormSet(
            data,
            prefix=prefix,
            initial=[
                {"label": e.get("label", ""), "match": (e.get("when") or {}).get("match", "all")}
                for e in entries
            ],
        )
        for index, form in enumerate(self.formset.forms):
            entry = entries[index] if data is None else {}
            form.when = None
            if self.spec.kind == steps.RULE_PATHS:
                form.when = RulesEditor(f"{form.prefix}-w", data, entry.get("when"), choices)
            form.steps = StepsEditor(
                f"{form.prefix}-s", data, entry.get("steps", []), choices, depth
            )
        self.otherwise = None
        # A step with one plain list of steps (the HTTP step's on_failure) shows it alone.
        self.single = self.spec.kind == steps.STEPS_PATH
        if self.single:
            path = document.get(self.spec.key)
            self.otherwise = StepsEditor(
                f"{prefix}-else", data, path if isinstance(path, list) else [], choices, depth
            )
        elif self.spec.has_else:
            self.otherwise = StepsEditor(
                f"{prefix}-else", data, document.get("else", []), choices, depth
            )

    def forms(self):
        yield self.formset
        for form in self.formset.forms:
            if form.when is not None:
                yield from form.when.forms()
            yield from form.steps.forms()
        if self.otherwise is not None:
            yield from self.otherwise.forms()

    def document(self, place: str, places: dict) -> dict:
        key = self.spec.key
        if self.single:
            return {key: self.otherwise.document(f"{place}.{key}", places)}
        entries = []
        for form in (f for f in self.formset.forms if not _deleted(f)):
            entry_place = f"{place}.{key}[{len(entries)}]"
            places[entry_place] = form
            entry = {}
            if self.spec.kind == steps.BUTTONS:
                entry["label"] = form.cleaned_data.get("label", "")
            else:
                entry["when"] = form.when.document(f"{entry_place}.when", places)
            entry["steps"] = form.steps.document(f"{entry_place}.steps", places)
            entries.append(entry)
        result = {key: entries}
        if self.otherwise is not None:
            result["else"] = self.otherwise.document(f"{place}.else", places)
        return result


def _deleted(form) -> bool:
    return bool(form.cleaned_data.get("DELETE")) if hasattr(form, "cleaned_data") else False


# --- the whole editor ------------------------------------------------------------------


class WorkflowEditor:
    def __init__(self, data=None, document=None, choices=None):
        if data is not None and not getattr(data, "_mutable", True):
            data = data.copy()
        document = document or {"status": "draft", "frequency": "once", "steps": []}
        options = document.get("trigger_options") or {}
        self.form = WorkflowForm(
            data,
            initial={
                "name": document.get("name", ""),
                "status": document.get("status", "draft"),
                "trigger": document.get("trigger", "customer_first_message"),
                **{
                    field_name: options.get(option, "")
                    for option, field_name in TRIGGER_OPTION_FIELDS.items()
                },
                "frequency": document.get("frequency", "once"),
            },
        )
        self.audience = RulesEditor("a", data, document.get("audience"), choices)
        self.steps = StepsEditor("s", data, document.get("steps", []), choices)
        self.places: dict = {}
        self.errors_not_placed: list[str] = []

    def all_forms(self):
        yield self.form
        yield from self.audience.forms()
        yield from self.steps.forms()

    def is_valid(self) -> bool:
        return all([f.is_valid() for f in self.all_forms()])  # validate every form

    def document(self) -> dict:
        data = self.form.cleaned_data
        places = {
            "name": self.form,
            "status": self.form,
            "trigger": self.form,
            "frequency": self.form,
        }
        # The chosen trigger's options only; an empty optional one is "any".
        options = {}
        declared = TRIGGER_OPTIONS.get(data.get("trigger"), {})
        for option, required in declared.items():
            value = data.get(TRIGGER_OPTION_FIELDS[option])
            if value or required:
                options[option] = value or None
        document = {
            "name": data.get("name", ""),
            "status": data.get("status", "draft"),
            "trigger": data.get("trigger"),
            "trigger_options": options,
            "frequency": data.get("frequency", "once"),
            "audience": self.audience.document("audience", places),
            "steps": self.steps.document("steps", places),
        }
        self.places = places
        return document

    def place_errors(self, errors: dict) -> None:
        """Put each validator error beside its field (or above the form it belongs to)."""
        field_of_option = {
            f"trigger_options.{option}": field_name
            for option, field_name in TRIGGER_OPTION_FIELDS.items()
        }
        for place, messages in errors.items():
            if place in field_of_option:
                for message in messages:
                    self.form.add_error(field_of_option[place], message)
                continue
            form, field = self._form_for(place)
            if field == "value" and hasattr(form, "value_kind"):
                # A rule's value, in the builder's words ("Monthly spend must be a number").
                messages = [vocabulary.value_problem_words(form.rule_attribute, form.value_kind)]
            elif field == "attribute" and hasattr(form, "value_kind"):
                messages = [vocabulary.CHOOSE_ATTRIBUTE + "."]
            for message in messages:
                if form is None:
                    self.errors_not_placed.append(f"{place}: {message}")
                elif hasattr(form, "add_error"):
                    form.add_error(field if field in getattr(form, "fields", {}) else None, message)
                else:  # a formset (nested groups)
                    form.non_form_errors().append(message)

    def _form_for(self, place: str):
        best = None
        for known in self.places:
            if (place == known or place.startswith(known + ".")) and (
                best is None or len(known) > len(best)
            ):
                best = known
        if best is None:
            match = re.match(r"^(\w+)", place)
            return (
                (self.form, match.group(1))
                if match and match.group(1) in self.form.fields
                else (None, None)
            )
        rest = place[len(best) + 1 :] if place != best else ""
        field = {"": None, "when.match": "match"}.get(rest, rest)
        if best in ("name", "status", "trigger", "frequency"):
            field = best
        form = self.places[best]
        if field and hasattr(form, "fields") and field not in form.fields:
            field = _step_form_field(form, field)
        return form, field


def _step_form_field(form, field: str) -> str:
    """The form field of a step's document key, even for a place inside it
    ("headers.X-Api-Key" is the headers box; the HTTP step's "body" its JSON body box)."""
    kind = steps.step_type(getattr(form, "cleaned_data", {}).get("type"))
    spec = kind.fields_by_name.get(field.split(".")[0]) if kind is not None else None
    return spec.form_field_name if spec is not None else field


# --- fragments and the error summary ---------------------------------------------------


def fragments(editor: "WorkflowEditor"):
    """Every part the builder redraws on its own, as (kind, part): rule groups, lists of
    steps, lists of paths. Each part's `prefix` names it (its element is frag-PREFIX)."""
    yield from (("rules", rules) for rules in editor.audience.editors())
    yield from _step_fragments(editor.steps)


def _step_fragments(steps_editor):
    yield "steps", steps_editor
    for form in steps_editor.formset.forms:
        paths = form.paths
        if paths is None:
            continue
        yield "paths", paths
        for path in paths.formset.forms:
            if path.when is not None:
                yield from (("rules", rules) for rules in path.when.editors())
            yield from _step_fragments(path.steps)
        if paths.otherwise is not None:
            yield from _step_fragments(paths.otherwise)


def find_fragment(editor: "WorkflowEditor", prefix: str):
    """The (kind, part) whose prefix is `prefix`, or (None, None)."""
    for kind, part in fragments(editor):
        if part.prefix == prefix:
            return kind, part
    return None, None


def error_summary(editor: "WorkflowEditor") -> list[dict]:
    """Each error once, in words, with the id of the field (or form) it belongs to:
    [{"target": "id_a-r-0-value", "where": "Targeting, rule 1", "text": "..."}]."""
    words = vocabulary.PLACE_WORDS
    items = []

    def add_form(form, where, labels=None):
        if not form.is_bound or not form.errors:
            return
        for name, messages in form.errors.items():
            if name == "__all__" or name not in form.fields:
                target = f"form-{form.prefix}" if form.prefix else "workflow-editor"
                label = ""
            else:
                target = form[name].id_for_label
                label = (labels or {}).get(name, form.fields[name].label or name.capitalize())
            for message in messages:
                text = message if not label or message.startswith(label) else f"{label}: {message}"
                items.append({"target": target, "where": where, "text": text})

    def add_formset(formset, where):
        for message in formset.non_form_errors() if formset.is_bound else []:
            items.append({"target": f"frag-{formset.prefix}", "where": where, "text": message})

    def live(formset):
        return [f for f in formset.forms if not (f.is_bound and f.data.get(f"{f.prefix}-DELETE"))]

    def add_rules(rules, where):
        add_formset(rules.rules, where)
        add_formset(rules.groups, where)
        if rules.own_match:
            add_form(rules.match, where)
        for number, form in enumerate(live(rules.rules), 1):
            add_form(
                form,
                f"{where}, {words['rule']} {number} ({form.attribute_words or '—'})",
                {"value": form.attribute_words or "Value"},
            )
        for number, form in enumerate(live(rules.groups), 1):
            add_form(form, f"{where}, {words['group']} {number}")
            if form.inner is not None:
                add_rules(form.inner, f"{where}, {words['group']} {number}")

    def add_steps(steps_editor, where):
        add_formset(steps_editor.formset, where or words["step"])
        for form in live(steps_editor.formset):
            place = f"{where}{words['step']} {form.number}"
            add_form(form, place)
            if form.paths is None:
                continue
            add_formset(form.paths.formset, place)
            for number, path in enumerate(live(form.paths.formset), 1):
                path_place = f"{place}, {form.paths.spec.path_label} {number}"
                add_form(path, path_place)
                if path.when is not None:
                    add_rules(path.when, path_place)
                add_steps(path.steps, f"{path_place}, ")
            if form.paths.otherwise is not None:
                label = form.paths.spec.path_label if form.paths.single else words["else"]
                add_steps(form.paths.otherwise, f"{place}, {label}, ")

    add_form(editor.form, words["trigger"])
    add_rules(editor.audience, words["audience"])
    add_steps(editor.steps, "")
    items += [
        {"target": "workflow-editor", "where": "", "text": message}
        for message in editor.errors_not_placed
    ]
    return items


def document_as_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)
