"""The builder's tree of forms and formsets, built from a document (GET) or from POST
data, and turned back into API.md's document. Errors the engine's validator names by
place (`steps[2].branches[0].steps[1].tag`) are put beside the field that holds it.

Prefixes nest: the top steps are `s`, the paths of step 2 are `s-2-p`, the steps of its
path 0 are `s-2-p-0-s`, the rules of that path's condition `s-2-p-0-r`. Moving a form
moves every key under its prefix, children included.
"""

import json
import re
from decimal import Decimal, InvalidOperation

from conversations import validation
from workflows.engine import steps
from workflows.engine.rules import BOOL, NUMBER, UNARY, attribute_type
from workflows.forms import (
    MAX_FORMS_PER_FORMSET,
    PATH_STEP_TYPES,
    STEP_FORM_SPECS,
    GroupFormSet,
    MatchForm,
    PathFormSet,
    RuleFormSet,
    StepFormSet,
    WorkflowForm,
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


def text_to_value(text: str, attribute: str, operator: str):
    """What the admin typed, as the JSON value the rule needs (the validator checks it)."""
    text = (text or "").strip()
    if operator in UNARY:
        return None
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


class RulesEditor:
    """A rule group: all/any, rules, and nested groups one level down."""

    def __init__(self, prefix, data=None, document=None):
        self.prefix = prefix
        document = document or {"match": "all", "rules": []}
        rules, groups = [], []
        for member in document.get("rules", []):
            if isinstance(member, dict) and "rules" in member:
                number = len(groups) + 1
                groups.append({"number": number, "match": member.get("match", "all")})
                rules += [self._rule_initial(rule, number) for rule in member["rules"]]
            else:
                rules.append(self._rule_initial(member, 0))
        ensure_management(data, f"{prefix}-r")
        ensure_management(data, f"{prefix}-g")
        self.match = MatchForm(data, prefix=prefix, initial={"match": document.get("match", "all")})
        self.rules = RuleFormSet(data, prefix=f"{prefix}-r", initial=rules)
        self.groups = GroupFormSet(data, prefix=f"{prefix}-g", initial=groups)

    @staticmethod
    def _rule_initial(rule, group):
        rule = rule if isinstance(rule, dict) else {}
        return {
            "group": group,
            "attribute": rule.get("attribute", ""),
            "operator": rule.get("operator", "is"),
            "value": value_to_text(rule.get("value")),
        }

    def forms(self):
        yield self.match
        yield self.rules
        yield self.groups

    def document(self, place: str, places: dict) -> dict:
        places[place] = self.match
        live_rules = [f for f in self.rules.forms if not _deleted(f)]
        group_matches = {
            f.cleaned_data["number"]: f.cleaned_data["match"]
            for f in self.groups.forms
            if not _deleted(f) and f.cleaned_data.get("number")
        }
        members, nested = [], {}
        for form in live_rules:
            data = form.cleaned_data
            group = data.get("group") or 0
            rule = {
                "attribute": data.get("attribute", ""),
                "operator": data.get("operator", ""),
                "value": text_to_value(
                    data.get("value"), data.get("attribute"), data.get("operator")
                ),
            }
            if group and group in group_matches:
                if group not in nested:
                    nested[group] = {"match": group_matches[group], "rules": []}
                    members.append(nested[group])
                nested[group]["rules"].append((rule, form))
            else:
                members.append((rule, form))
        rules_doc = []
        for index, member in enumerate(members):
            member_place = f"{place}.rules[{index}]"
            if isinstance(member, dict):
                places[member_place] = self.groups
                inner = []
                for inner_index, (rule, form) in enumerate(member["rules"]):
                    places[f"{member_place}.rules[{inner_index}]"] = form
                    inner.append(rule)
                rules_doc.append({"match": member["match"], "rules": inner})
            else:
                rule, form = member
                places[member_place] = form
                rules_doc.append(rule)
        return {"match": self.match.cleaned_data.get("match", "all"), "rules": rules_doc}


# --- steps and their paths -------------------------------------------------------------


def step_initial(step: dict) -> dict:
    """The step form's initial data: every field the registry knows, as the form shows it."""
    step = step if isinstance(step, dict) else {}
    initial = {"type": step.get("type")}
    for name, spec in STEP_FORM_SPECS.items():
        if spec.kind == steps.BOOL:
            initial[name] = bool(step.get(name))
        elif spec.kind == steps.DATA_VALUE:
            initial[name] = value_to_text(step.get(name))
        else:
            initial[name] = step.get(name)
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
        value = data.get(spec.name)
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
        self.kind = kind
        document = document or {}
        self.spec = steps.step_type(kind).paths
        entries = document.get(self.spec.key, [])
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
                form.when = RulesEditor(f"{form.prefix}-w", data, entry.get("when"))
            form.steps = StepsEditor(
                f"{form.prefix}-s", data, entry.get("steps", []), choices, depth
            )
        self.otherwise = None
        if self.spec.has_else:
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
                "trigger_state": options.get("state", ""),
                "trigger_after": options.get("after", ""),
                "frequency": document.get("frequency", "once"),
            },
        )
        self.audience = RulesEditor("a", data, document.get("audience"))
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
        options = {}
        if data.get("trigger") == "teammate_changed_state" and data.get("trigger_state"):
            options["state"] = data["trigger_state"]
        if data.get("trigger") in ("customer_unresponsive", "teammate_unresponsive"):
            options["after"] = data.get("trigger_after") or None
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
            "trigger_options.state": "trigger_state",
            "trigger_options.after": "trigger_after",
        }
        for place, messages in errors.items():
            if place in field_of_option:
                for message in messages:
                    self.form.add_error(field_of_option[place], message)
                continue
            form, field = self._form_for(place)
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
        return self.places[best], field


def document_as_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)
