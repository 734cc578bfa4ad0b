"""The one validator of a workflow document (API.md's format) and its compiled form.

`compile_definition` checks a document wherever it comes from — import, API, builder —
and names the place of each error (``steps[2].team: no team named "Tier 3"``).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from conversations import validation
from conversations.durations import DURATION_FORMAT_MESSAGE, parse_duration
from workflows.engine import http_step, placeholders
from workflows.engine.errors import DefinitionError, ErrorCollector
from workflows.engine.rules import MATCH_EVERYTHING, Group, compile_group

# MAX_SNOOZE, MAX_TAG_LENGTH, MAX_WAIT and REPLY_KINDS lived here before the registry;
# they stay importable from here.
from workflows.engine.steps import (  # noqa: F401
    BOOL,
    CHOICE,
    COLLECTABLE_ATTRIBUTES,
    COLLECTED,
    DATA_KEY,
    DATA_VALUE,
    DURATION,
    HEADERS,
    JSON_BODY,
    MAX_BODY_LENGTH,
    MAX_BUTTON_LABEL_LENGTH,
    MAX_BUTTONS,
    MAX_NAME_LENGTH,
    MAX_SNOOZE,
    MAX_TAG_LENGTH,
    MAX_WAIT,
    MOMENT,
    NAME,
    REPLY_KINDS,
    RULE_PATHS,
    SAVE_MAP,
    STEP_TYPES,
    STEPS_PATH,
    TEXT,
    URL,
    WORKFLOW,
    Field,
    StepType,
    step_type,
)

TRIGGERS = (
    "customer_opened_conversation",
    "customer_first_message",
    "customer_any_message",
    "teammate_changed_state",
    "teammate_replied",
    "teammate_added_note",
    "conversation_assigned",
    "customer_unresponsive",
    "teammate_unresponsive",
    "sla_missed",
    "tag_added",
    "tag_removed",
    "priority_changed",
    "conversation_data_changed",
    "customer_reopened",
    "custom_event",
    "reusable",
)
# Triggers that can happen again on the same conversation: "every time" means something
# only for these (a conversation opens once and has one first message; a reusable
# workflow runs when another runs it). The builder offers "Every time" for these alone.
REPEATABLE_TRIGGERS = tuple(
    trigger
    for trigger in TRIGGERS
    if trigger not in ("customer_opened_conversation", "customer_first_message", "reusable")
)
STATUSES = ("draft", "live", "paused")
# Triggers whose event carries a message (its body and author): the `message.*` facts
# are known only on these; on any other trigger they are unknown (workflows/facts.py).
# A reusable workflow runs from any trigger, so it may read them.
MESSAGE_TRIGGERS = (
    "customer_first_message",
    "customer_any_message",
    "teammate_replied",
    "teammate_added_note",
)
# Triggers whose event is a custom event (its name and metadata): `event.*` facts.
EVENT_TRIGGERS = ("custom_event",)
TRIGGER_FACT_PREFIXES = {"message": "message.", "event": "event."}


def facts_missing_on(trigger) -> tuple[str, ...]:
    """The kinds of facts (TRIGGER_FACT_PREFIXES' keys) a trigger never has."""
    if trigger == "reusable":
        return ()
    missing = []
    if trigger not in MESSAGE_TRIGGERS:
        missing.append("message")
    if trigger not in EVENT_TRIGGERS:
        missing.append("event")
    return tuple(missing)


# Each trigger's options, declared once: option -> whether it is required. The validator, the
# planner's matching (engine/planner.trigger_options_match) and the builder's option
# fields (workflows/forms.py, static/js/builder.js) read them here.
STATE, AFTER, TAG, KEY, EVENT_NAME = "state", "after", "tag", "key", "name"
TRIGGER_OPTIONS = {
    "teammate_changed_state": {STATE: False},
    "customer_unresponsive": {AFTER: True},
    "teammate_unresponsive": {AFTER: True},
    "tag_added": {TAG: False},
    "tag_removed": {TAG: False},
    "conversation_data_changed": {KEY: False},
    "custom_event": {EVENT_NAME: True},
}
MAX_EVENT_NAME_LENGTH = validation.MAX_EVENT_NAME_LENGTH


FREQUENCIES = ("once", "every_time")
STATE_OPTIONS = ("closed", "snoozed", "open")
# Step types come from the registry (workflows/engine/steps.py).
CUSTOMER_FACING_STEPS = frozenset(name for name, kind in STEP_TYPES.items() if kind.customer_facing)
STEP_FIELDS = {name: kind.keys for name, kind in STEP_TYPES.items()}
CUSTOM_KEY = re.compile(r"^custom\.[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
MAX_STEPS_PER_PATH = 100
# Paths nest inside branches, apply-rules entries and buttons at most this deep (the
# builder shows 4); checked before descending, so no document can exhaust the stack.
MAX_STEP_DEPTH = 10
STEPS_TOO_DEEP = f"Steps nest at most {MAX_STEP_DEPTH} deep (branches, rules, buttons)."
MAX_UNRESPONSIVE_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class Step:
    type: str
    args: dict = field(default_factory=dict, hash=False, compare=False)
    # branches / apply_rules: (rules, path) pairs; reply_buttons: (label, path) pairs.
    paths: tuple = ()
    otherwise: tuple = ()

    @property
    def customer_facing(self) -> bool:
        kind = step_type(self.type)
        return kind is not None and kind.customer_facing


@dataclass(frozen=True)
class CompiledWorkflow:
    id: int | None
    name: str
    status: str
    trigger: str
    trigger_options: dict = field(hash=False, compare=False)
    frequency: str = "once"
    priority: int = 0
    audience: Group = MATCH_EVERYTHING
    steps: tuple = ()
    is_customer_facing: bool = False
    calls: frozenset = frozenset()  # names of reusable workflows it runs
    document: dict = field(default_factory=dict, hash=False, compare=False)
    # Which published version of the workflow this is (WorkflowVersion.number).
    version: int = field(default=1, hash=False, compare=False)

    @property
    def is_background(self) -> bool:
        return not self.is_customer_facing


@dataclass
class References:
    """What a document may name, as the database holds it now (names compared casefolded)."""

    teammates: set = field(default_factory=set)
    teams: set = field(default_factory=set)
    slas: set = field(default_factory=set)
    # reusable workflow name -> (is customer-facing, names of the workflows it runs)
    reusables: dict = field(default_factory=dict)
    # Accept any name: for compiling definitions already validated when they were saved.
    lenient: bool = False

    def __post_init__(self):
        self.teammates = {name.casefold() for name in self.teammates}
        self.teams = {name.casefold() for name in self.teams}
        self.slas = {name.casefold() for name in self.slas}
        self.reusables = {name.casefold(): info for name, info in self.reusables.items()}


def steps_at(steps: tuple, path) -> tuple:
    """The path of steps that `path` addresses: () is the top level; (2, 0) is path 0
    of step 2 (a branch, an apply-rules entry or a button); (2, "else") its else path."""
    current = steps
    for position in range(0, len(path), 2):
        step = current[path[position]]
        which = path[position + 1]
        current = step.otherwise if which == "else" else step.paths[which][1]
    return current


def compile_definition(
    document, references: References, *, workflow_id=None, priority=0
) -> CompiledWorkflow:
    """Validate a workflow document and compile it; raise DefinitionError naming places."""
    errors = ErrorCollector()
    if not isinstance(document, dict):
        raise DefinitionError({"non_field_errors": ["A workflow is a JSON object."]})
    # Characters the database cannot hold, numbers out of range and over-long strings,
    # wherever they are (the API's parser refuses most of them first; import and the
    # builder come here directly).
    problems = validation.json_problems(document, max_text_length=MAX_BODY_LENGTH)
    if problems:
        raise DefinitionError({place: [message] for place, message in problems.items()})
    known = {"name", "status", "trigger", "trigger_options", "frequency", "audience", "steps"}
    extra = set(document) - known - {"id", "priority", "is_background"}
    if extra:
        errors.add("non_field_errors", f"Unknown keys: {', '.join(sorted(extra))}.")

    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.add("name", "Give the workflow a name.")
        name = ""
    elif len(name.strip()) > MAX_NAME_LENGTH:
        errors.add("name", f"At most {MAX_NAME_LENGTH} characters.")
    name = name.strip()

    status = document.get("status", "draft")
    if status not in STATUSES:
        errors.add("status", f"Unknown status {status!r}; use one of: {', '.join(STATUSES)}.")
    trigger = document.get("trigger")
    if trigger not in TRIGGERS:
        errors.add("trigger", f"Unknown trigger {trigger!r}.")
    # null means "none" (as absent); any other non-object is refused, not read as {}.
    options = document.get("trigger_options")
    options = _trigger_options(trigger, {} if options is None else options, errors)
    frequency = document.get("frequency", "once")
    if frequency not in FREQUENCIES:
        errors.add("frequency", f"Unknown frequency {frequency!r}; use once or every_time.")
    audience_doc = document.get("audience")
    if audience_doc is None:
        audience_doc = {"match": "all", "rules": []}
    audience = compile_group(audience_doc, "audience", errors)

    context = _Context(references, errors, name)
    steps_doc = document.get("steps")
    if not isinstance(steps_doc, list) or not steps_doc:
        errors.add("steps", "Add at least one step.")
        steps_doc = []
    steps = context.path(steps_doc, "steps")
    if name.casefold() in context.calls:
        errors.add("steps", f'"{name}" cannot run itself.')
    context.check_cycles()
    errors.raise_if_any()

    normalized = {
        "name": name,
        "status": status,
        "trigger": trigger,
        "trigger_options": options.pop("_document"),
        "frequency": frequency,
        "audience": audience_doc,
        "steps": steps_doc,
    }
    return CompiledWorkflow(
        id=workflow_id,
        name=name,
        status=status,
        trigger=trigger,
        trigger_options=options,
        frequency=frequency,
        priority=priority,
        audience=audience,
        steps=steps,
        is_customer_facing=context.customer_facing,
        calls=frozenset(context.calls),
        document=normalized,
    )


# A macro (a teammate's saved actions): background steps without flow, and its reply.
MACRO_REPLY = "reply"
MAX_MACRO_STEPS = 20
MACRO_STEP_TYPES = tuple(
    name for name, kind in STEP_TYPES.items() if not kind.flow and not kind.customer_facing
)


def compile_macro_steps(steps_doc, references: References) -> tuple:
    """Validate a macro's steps with the workflows' step checks and compile them; raise
    DefinitionError naming places. Background steps that act at once (no waits,
    branches or workflows) and at most one `{"type": "reply", "body"}`: the reply the
    teammate sends."""
    errors = ErrorCollector()
    if not isinstance(steps_doc, list) or not steps_doc:
        raise DefinitionError({"steps": ["Add at least one step or a reply."]})
    if len(steps_doc) > MAX_MACRO_STEPS:
        raise DefinitionError({"steps": [f"At most {MAX_MACRO_STEPS} steps in a macro."]})
    problems = validation.json_problems(steps_doc, "steps", max_text_length=MAX_BODY_LENGTH)
    if problems:
        raise DefinitionError({place: [message] for place, message in problems.items()})
    context = _Context(references, errors, "")
    steps, replies = [], 0
    for index, doc in enumerate(steps_doc):
        place = f"steps[{index}]"
        kind = doc.get("type") if isinstance(doc, dict) else None
        if kind == MACRO_REPLY:
            replies += 1
            if replies > 1:
                errors.add(place, "A macro sends one reply at most.")
            context.only_keys(doc, {"type", "body"}, place)
            body = context.text(doc, "body", place)
            if body is not None:
                context.placeholders(body, f"{place}.body")
            steps.append(Step(MACRO_REPLY, {"body": body}))
            continue
        if isinstance(kind, str) and step_type(kind) is not None and kind not in MACRO_STEP_TYPES:
            errors.add(
                f"{place}.type",
                f'A macro cannot use "{step_type(kind).label}": only steps that act at '
                "once (no waits, branches or customer-facing steps), and a reply.",
            )
            continue
        step = context.step(doc, place)
        if step is not None:
            steps.append(step)
    errors.raise_if_any()
    return tuple(steps)


def _trigger_options(trigger, options, errors) -> dict:
    parsed = {"_document": {}}
    if not isinstance(options, dict):
        errors.add("trigger_options", "An object of options.")
        return parsed
    declared = TRIGGER_OPTIONS.get(trigger if isinstance(trigger, str) else "", {})
    allowed = set(declared)
    for key in set(options) - allowed:
        errors.add(f"trigger_options.{key}", f"{trigger} has no option {key!r}.")
    if "state" in allowed and "state" in options:
        if options["state"] not in STATE_OPTIONS:
            errors.add("trigger_options.state", "Use closed, snoozed or open.")
        else:
            parsed["state"] = parsed["_document"]["state"] = options["state"]
    if "after" in allowed:
        after = _duration(
            options.get("after"), "trigger_options.after", errors, MAX_UNRESPONSIVE_AFTER
        )
        if after is not None:
            parsed["after"] = after
            parsed["_document"]["after"] = options["after"]
    for key, limit in (
        (TAG, MAX_TAG_LENGTH),
        (KEY, validation.MAX_DATA_KEY_LENGTH),
        (EVENT_NAME, MAX_EVENT_NAME_LENGTH),
    ):
        if key not in allowed:
            continue
        value = options.get(key)
        if value in (None, "") and not declared[key]:
            continue
        place = f"trigger_options.{key}"
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            errors.add(place, "This field is required.")
        elif len(text) > limit:
            errors.add(place, f"At most {limit} characters.")
        elif key == KEY and not validation.DATA_KEY_PATTERN.match(text):
            errors.add(place, validation.DATA_KEY_INVALID)
        elif problem := validation.text_problem(text):
            errors.add(place, problem)
        else:
            parsed[key] = parsed["_document"][key] = text
    return parsed


def _duration(text, place, errors, maximum) -> timedelta | None:
    if text is None:
        errors.add(place, f"Give a duration. {DURATION_FORMAT_MESSAGE}")
        return None
    try:
        value = parse_duration(text)
    except ValueError as error:
        errors.add(place, str(error))
        return None
    if value <= timedelta(0):
        errors.add(place, "A duration must be longer than zero.")
    elif value > maximum:
        errors.add(place, f"At most {maximum.days} days.")
    return value


class _Context:
    """Walks the step tree, checking each step and collecting what the workflow needs."""

    def __init__(self, references: References, errors: ErrorCollector, name: str):
        self.refs = references
        self.errors = errors
        self.name = name
        self.customer_facing = False
        self.calls: set[str] = set()
        self.depth = 0  # of the path being walked: 0 is the top level

    def path(self, steps_doc, place) -> tuple:
        if not isinstance(steps_doc, list):
            self.errors.add(place, "A list of steps.")
            return ()
        if self.depth > MAX_STEP_DEPTH:
            self.errors.add(place, STEPS_TOO_DEEP)
            return ()
        if len(steps_doc) > MAX_STEPS_PER_PATH:
            self.errors.add(place, f"At most {MAX_STEPS_PER_PATH} steps in one path.")
        return tuple(
            step
            for index, step_doc in enumerate(steps_doc)
            if (step := self.step(step_doc, f"{place}[{index}]")) is not None
        )

    def nested_path(self, steps_doc, place) -> tuple:
        """A path inside a step: one level deeper."""
        self.depth += 1
        try:
            return self.path(steps_doc, place)
        finally:
            self.depth -= 1

    def step(self, doc, place) -> Step | None:
        """Check one step against its declaration in the registry (workflows/engine/steps.py):
        unknown keys, the one-of rule between alternative fields, each field by its kind,
        then its nested paths."""
        if not isinstance(doc, dict):
            self.errors.add(place, 'A step is an object with a "type".')
            return None
        kind = step_type(doc.get("type"))
        if kind is None:
            self.errors.add(f"{place}.type", f"Unknown step type {doc.get('type')!r}.")
            return None
        for key in set(doc) - kind.keys - {"type"}:
            self.errors.add(f"{place}.{key}", f"A {kind.name} step has no field {key!r}.")
        if kind.customer_facing:
            self.customer_facing = True
        fields = kind.fields
        if (rule := kind.one_of) is not None:
            given = [
                name
                for name in rule.fields
                if (name in doc if rule.by_key else doc.get(name) not in (None, ""))
            ]
            if rule.exactly and len(given) != 1:
                self.errors.add(place, rule.message)
                return Step(kind.name)
            if not rule.exactly and len(given) > 1:
                self.errors.add(place, rule.message)
            if rule.exactly:  # only the alternative given is read
                fields = [f for f in fields if f.name not in rule.fields or f.name in given]
        args = {f.name: self.field(f, doc, place) for f in fields}
        paths, otherwise = (), ()
        if kind.paths is not None:
            paths, otherwise = self.paths(kind, doc, place)
        return Step(kind.name, args, paths, otherwise)

    # --- field checks, one per field kind --------------------------------------------

    def field(self, spec: Field, doc: dict, place: str):
        check = {
            TEXT: self._text_field,
            NAME: self._name_field,
            WORKFLOW: self._workflow_field,
            BOOL: self._bool_field,
            DURATION: self._duration_field,
            MOMENT: self._moment_field,
            CHOICE: self._choice_field,
            DATA_KEY: self._data_key_field,
            DATA_VALUE: self._data_value_field,
            COLLECTED: self._collected_field,
            URL: self._url_field,
            HEADERS: self._headers_field,
            JSON_BODY: self._json_body_field,
            SAVE_MAP: self._save_map_field,
        }[spec.kind]
        return check(spec, doc, place)

    def text(self, doc, key, place, *, limit=MAX_BODY_LENGTH, required=True) -> str | None:
        value = doc.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.errors.add(f"{place}.{key}", "This field is required.")
            return None
        if len(value.strip()) > limit:
            self.errors.add(f"{place}.{key}", f"At most {limit:,} characters.")
        return value.strip()

    def reference(self, doc, key, place, known: set, what: str, *, required=True):
        name = self.text(doc, key, place, limit=MAX_NAME_LENGTH, required=required)
        if name is not None and not self.refs.lenient and name.casefold() not in known:
            self.errors.add(f"{place}.{key}", f'No {what} named "{name}".')
        return name

    def _text_field(self, spec, doc, place):
        limit = spec.max_length or MAX_BODY_LENGTH
        text = self.text(doc, spec.name, place, limit=limit, required=spec.required)
        if text is not None and spec.placeholders:
            self.placeholders(text, f"{place}.{spec.name}")
        return text

    def placeholders(self, text: str, place: str) -> None:
        """Unknown or unreadable placeholders are refused (engine/placeholders.py)."""
        for problem in placeholders.problems(text):
            self.errors.add(place, problem)

    def _name_field(self, spec, doc, place):
        known = getattr(self.refs, spec.refers_to)
        return self.reference(doc, spec.name, place, known, spec.what, required=spec.required)

    def _workflow_field(self, spec, doc, place):
        name = self.reference(doc, spec.name, place, set(self.refs.reusables), "reusable workflow")
        if name is not None:
            self.calls.add(name.casefold())
            info = self.refs.reusables.get(name.casefold())
            if info is not None and info[0]:
                self.customer_facing = True
        return name

    def _bool_field(self, spec, doc, place):
        value = doc.get(spec.name) if spec.required else doc.get(spec.name, False)
        if not isinstance(value, bool):
            self.errors.add(f"{place}.{spec.name}", "true or false.")
        elif value and spec.only_with and doc.get(spec.only_with[0]) in (None, ""):
            self.errors.add(f"{place}.{spec.name}", spec.only_with[1])
        return value is True

    def _duration_field(self, spec, doc, place):
        if not spec.required and doc.get(spec.name) is None:
            return None
        return _duration(doc.get(spec.name), f"{place}.{spec.name}", self.errors, spec.maximum)

    def _moment_field(self, spec, doc, place):
        until = doc.get(spec.name)
        if until is None and not spec.required:
            return None
        try:
            moment = datetime.fromisoformat(until) if isinstance(until, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.errors.add(
                f"{place}.{spec.name}", 'A date and time with a zone: "2026-12-24T09:00:00+00:00".'
            )
        elif problem := validation.moment_problem(moment):
            # PostgreSQL stores year 10000 in UTC, but Python cannot read it back.
            self.errors.add(f"{place}.{spec.name}", problem)
            moment = None
        return moment

    def _choice_field(self, spec, doc, place):
        value = doc.get(spec.name)
        if value is None and not spec.required:
            return None
        values = [choice for choice, _ in spec.choices]
        if value not in values:
            words = ", ".join(values[:-1]) + f" or {values[-1]}"
            self.errors.add(f"{place}.{spec.name}", f"Use {words}.")
        elif spec.only_with and doc.get(spec.only_with[0]) in (None, ""):
            self.errors.add(f"{place}.{spec.name}", spec.only_with[1])
        return value

    def _data_key_field(self, spec, doc, place):
        key = doc.get(spec.name)
        longest = (spec.max_length or 64) - 1
        if not isinstance(key, str) or not re.match(
            rf"^[A-Za-z_][A-Za-z0-9_\-]{{0,{longest}}}$", key
        ):
            self.errors.add(
                f"{place}.{spec.name}",
                f"A key of letters, digits, _ and - (at most {spec.max_length or 64}).",
            )
        return key

    def _data_value_field(self, spec, doc, place):
        value = doc.get(spec.name)
        # The service's own check (conversations.validation), so what saves also runs.
        problem = validation.attribute_value_problem(value)
        if problem:
            self.errors.add(f"{place}.{spec.name}", problem)
        return value

    def _collected_field(self, spec, doc, place):
        attribute = doc.get(spec.name)
        if attribute not in COLLECTABLE_ATTRIBUTES and not (
            isinstance(attribute, str) and CUSTOM_KEY.match(attribute)
        ):
            self.errors.add(
                f"{place}.{spec.name}",
                f'Collect {", ".join(COLLECTABLE_ATTRIBUTES)} or a "custom.<key>" attribute.',
            )
        return attribute

    def _url_field(self, spec, doc, place):
        url = doc.get(spec.name)
        for problem in http_step.url_problems(url):
            self.errors.add(f"{place}.{spec.name}", problem)
        return url.strip() if isinstance(url, str) else url

    def _headers_field(self, spec, doc, place):
        headers = doc.get(spec.name)
        if headers is None and not spec.required:
            return {}
        if not isinstance(headers, dict):
            self.errors.add(f"{place}.{spec.name}", 'An object: {"Header-Name": "value"}.')
            return {}
        if len(headers) > http_step.MAX_HEADERS:
            self.errors.add(f"{place}.{spec.name}", f"At most {http_step.MAX_HEADERS} headers.")
        for name, value in headers.items():
            for problem in http_step.header_problems(name, value):
                self.errors.add(f"{place}.{spec.name}.{name}", problem)
        return headers

    def _json_body_field(self, spec, doc, place):
        body = doc.get(spec.name)
        # json_problems bounded it already (the whole document); placeholders in strings.
        for where, text in placeholders.json_strings(body, f"{place}.{spec.name}"):
            self.placeholders(text, where)
        return body

    def _save_map_field(self, spec, doc, place):
        save = doc.get(spec.name)
        if save is None and not spec.required:
            return {}
        for key, problems in http_step.save_problems(save).items():
            for problem in problems:
                self.errors.add(f"{place}.{spec.name}" + (f".{key}" if key else ""), problem)
        return save if isinstance(save, dict) else {}

    # --- nested paths, one check per path kind ------------------------------------------

    def paths(self, kind: StepType, doc: dict, place: str) -> tuple[tuple, tuple]:
        key = kind.paths.key
        if kind.paths.kind == STEPS_PATH:  # one list of steps, kept as the step's else
            return (), self.nested_path(doc.get(key) or [], f"{place}.{key}")
        if kind.paths.kind == RULE_PATHS:
            paths = self._rule_paths(doc.get(key), f"{place}.{key}")
        else:
            paths = self._buttons(doc.get(key), f"{place}.{key}")
        otherwise = ()
        if kind.paths.has_else:
            otherwise = self.nested_path(doc.get("else", []), f"{place}.else")
        return paths, otherwise

    def only_keys(self, doc: dict, allowed: set[str], place: str) -> None:
        """Refuse keys a branch, rule or button does not have (they used to be stored and
        echoed back, against the documented shape)."""
        for key in sorted(set(doc) - allowed):
            self.errors.add(f"{place}.{key}", f"Unknown key {key!r}.")

    def _rule_paths(self, entries, place, *, require_one=True):
        if not isinstance(entries, list) or (require_one and not entries):
            self.errors.add(place, "Add at least one entry with rules and steps.")
            return ()
        paths = []
        for index, entry in enumerate(entries):
            entry_place = f"{place}[{index}]"
            if not isinstance(entry, dict):
                self.errors.add(entry_place, 'An object: {"when": {...}, "steps": [...]}.')
                continue
            self.only_keys(entry, {"when", "steps"}, entry_place)
            when = compile_group(entry.get("when"), f"{entry_place}.when", self.errors)
            paths.append((when, self.nested_path(entry.get("steps", []), f"{entry_place}.steps")))
        return tuple(paths)

    def _buttons(self, buttons, place):
        if not isinstance(buttons, list) or not buttons:
            self.errors.add(place, "Add at least one button.")
            return ()
        if len(buttons) > MAX_BUTTONS:
            self.errors.add(place, f"At most {MAX_BUTTONS} buttons.")
        paths, labels = [], set()
        for index, button in enumerate(buttons):
            button_place = f"{place}[{index}]"
            if not isinstance(button, dict):
                self.errors.add(button_place, 'An object: {"label": "...", "steps": [...]}.')
                continue
            self.only_keys(button, {"label", "steps"}, button_place)
            label = self.text(button, "label", button_place, limit=MAX_BUTTON_LABEL_LENGTH)
            if label and label.casefold() in labels:
                self.errors.add(f"{button_place}.label", f'Two buttons are labelled "{label}".')
            labels.add((label or "").casefold())
            paths.append(
                (label, self.nested_path(button.get("steps", []), f"{button_place}.steps"))
            )
        return tuple(paths)

    def check_cycles(self) -> None:
        """A reusable workflow must not reach itself through run_workflow steps."""
        seen_path = []

        def visit(name):
            if name == self.name.casefold():
                return True
            if name in seen_path:
                return False
            seen_path.append(name)
            found = any(visit(callee) for callee in self.refs.reusables.get(name, (False, ()))[1])
            seen_path.pop()
            return found

        for callee in self.calls:
            if callee != self.name.casefold() and visit(callee):
                self.errors.add(
                    "steps", f'Running "{callee}" leads back to "{self.name}": a cycle.'
                )
                return
