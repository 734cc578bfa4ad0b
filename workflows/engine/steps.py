"""Every step type, declared once: its fields (kind, bounds, builder label), its label,
whether it is customer-facing, the paths it holds, and its words for the dry run and
the outline.

Everything else looks step types up here: the validator (`definitions.py`, one check per
field kind), the builder's form and editor (`forms.py`, `editor.py`), the outline, the
dry run, the OpenAPI schema's step list and the services' walk over nested steps. The
change a step makes is its action, registered by name in `workflows/step_actions.py`;
the executor carries out the flow steps (marked `flow`) itself.

Adding a step type whose fields are of the kinds below: one `register(StepType(...))`
here and one `@action(...)` in step_actions (tests/workflows/test_step_registry.py then
checks it end to end). A new field kind also needs its check (`definitions._Context`),
its form field (`forms._form_field`) and its schema (`config/openapi._field_schema`); a
new flow step (one that moves the run's cursor or waits) needs the executor.
Pure data: no models, no Django.
"""

from dataclasses import dataclass, field, replace
from datetime import timedelta

from workflows import vocabulary
from workflows.engine import http_step, placeholders
from workflows.vocabulary import (
    ASSIGN_METHOD_NONE,
    ASSIGN_METHOD_WORDS,
    PATH_LABELS,
    REPLY_KIND_WORDS,
    STEP_LABELS,
)

MAX_NAME_LENGTH = 200
MAX_BODY_LENGTH = 10_000
MAX_TAG_LENGTH = 64
MAX_DATA_KEY_LENGTH = 64
MAX_BUTTONS = 10
MAX_BUTTON_LABEL_LENGTH = 100
MAX_WAIT = timedelta(days=30)
MAX_SNOOZE = timedelta(days=365)
REPLY_KINDS = ("customer", "teammate", "any")
COLLECTABLE_ATTRIBUTES = ("email", "name", "plan")

# Field kinds: each has one check in definitions.py and one builder form field in forms.py.
TEXT = "text"  # required text, stripped, at most `max_length`
NAME = "name"  # the name of a teammate, team or SLA policy (`refers_to`), compared casefolded
WORKFLOW = "workflow"  # the name of a reusable workflow: the workflow runs it
BOOL = "bool"
DURATION = "duration"  # "30m", "2h" … up to `maximum`
MOMENT = "moment"  # an ISO date and time with a zone
CHOICE = "choice"  # one of `choices`
DATA_KEY = "data_key"  # a conversation data key
DATA_VALUE = "data_value"  # any JSON value the conversation can hold
COLLECTED = "collected"  # email, name, plan or custom.<key>: what a customer is asked for
URL = "url"  # an http(s) URL, placeholders in its path and query (engine/http_step.py)
HEADERS = "headers"  # {name: text or {"secret": NAME}}; credentials only as secrets
JSON_BODY = "json_body"  # any JSON value; placeholders in its strings
SAVE_MAP = "save_map"  # {"conversation.custom.KEY" | "contact.custom.KEY": "path.in.answer"}

# Path kinds: branch and apply-rules entries ({"when", "steps"}), or buttons ({"label", "steps"}).
RULE_PATHS = "rule_paths"
BUTTONS = "buttons"
STEPS_PATH = "steps_path"  # one plain list of steps (the HTTP step's on_failure)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool = True
    label: str = ""  # the builder's label; "" for the name capitalised
    help: str = ""
    max_length: int | None = None
    maximum: timedelta | None = None
    refers_to: str = ""  # NAME: References' set (teammates, teams, slas)
    what: str = ""  # NAME: what the error calls it ("No SLA policy named …")
    choices: tuple = ()  # CHOICE: (value, words) pairs
    blank: str = ""  # CHOICE, not required: the words for no choice ("never" if "")
    lines: int = 1  # TEXT: rows of the builder's text box
    only_with: tuple = ()  # BOOL, CHOICE: (field, message): set only beside that field
    # BOOL: (field, value): an older spelling, still read, that the builder shows and
    # writes as that field's value instead (round_robin: true is method "round_robin").
    replaced_by: tuple = ()
    # TEXT: may hold placeholders ({{contact.name}}), rendered and escaped for this place
    # (engine/placeholders.py: TEXT, URL, JSON); "" for none.
    placeholders: str = ""
    # The builder's form field when another step type's field has this name with another
    # kind (the HTTP step's JSON body beside the messages' text body); "" for `name`.
    form_name: str = ""

    @property
    def form_field_name(self) -> str:
        return self.form_name or self.name


@dataclass(frozen=True)
class OneOf:
    """Two alternative fields: exactly one of them (or, with `exactly=False`, at most one)."""

    fields: tuple
    message: str
    exactly: bool = True
    by_key: bool = False  # the key is there (even empty), rather than it has a value
    default: str = ""  # which one the builder writes when neither is filled in


@dataclass(frozen=True)
class Paths:
    """The nested paths a step holds: its document key, kind and what the pages call one."""

    key: str
    kind: str
    path_label: str
    has_else: bool = False  # an else path runs when no entry matches
    first_match_only: bool = False  # only the first matching entry runs (else all of them)


@dataclass(frozen=True)
class StepType:
    name: str
    label: str
    fields: tuple = ()
    customer_facing: bool = False
    one_of: OneOf | None = None
    paths: Paths | None = None
    flow: bool = False  # carried out by the executor itself (no action)
    fields_by_name: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self.fields_by_name.update({f.name: f for f in self.fields})

    @property
    def keys(self) -> set:
        """The document keys a step of this type may have, besides `type`."""
        keys = set(self.fields_by_name)
        if self.paths is not None:
            keys |= {self.paths.key, "else"} if self.paths.has_else else {self.paths.key}
        return keys

    @property
    def form_fields(self) -> list[str]:
        return [f.form_field_name for f in self.fields]

    @property
    def builder_label(self) -> str:
        return f"{self.label} (customer-facing)" if self.customer_facing else self.label

    def would(self, args: dict) -> str:
        """The dry run: what the step would do, from its checked args."""
        return vocabulary.step_words({**args, "type": self.name})

    def outline_words(self, step: dict) -> str:
        return vocabulary.step_words(step)


STEP_TYPES: dict[str, StepType] = {}


def register(step_type: StepType) -> StepType:
    if step_type.name in STEP_TYPES:
        raise ValueError(f"step type {step_type.name!r} is registered twice")
    STEP_TYPES[step_type.name] = step_type
    return step_type


def step_type(name) -> StepType | None:
    return STEP_TYPES.get(name) if isinstance(name, str) else None


def path_keys() -> tuple:
    """Every document key that holds nested paths (branches, rules, buttons, else,
    on_failure)."""
    keys = []
    for kind in STEP_TYPES.values():
        if kind.paths is not None:
            keys += [kind.paths.key] + (["else"] if kind.paths.has_else else [])
    return tuple(dict.fromkeys(keys))


def plain_path_keys() -> tuple:
    """The keys among `path_keys` that hold a list of steps itself (not entries)."""
    keys = ["else"] + [
        kind.paths.key
        for kind in STEP_TYPES.values()
        if kind.paths is not None and kind.paths.kind == STEPS_PATH
    ]
    return tuple(dict.fromkeys(keys))


# --- shared fields ------------------------------------------------------------------------

TAG = Field("tag", TEXT, max_length=MAX_TAG_LENGTH)
BODY = Field("body", TEXT, max_length=MAX_BODY_LENGTH, lines=2, placeholders=placeholders.TEXT)
TEAMMATE = Field("teammate", NAME, refers_to="teammates", what="teammate")
TEAM = Field("team", NAME, refers_to="teams", what="team")
DURATION_HELP = '"45s", "30m", "2h", "1d"'


# --- the step types, in the builder's order -------------------------------------------------

register(
    StepType(
        "add_tag",
        STEP_LABELS["add_tag"],
        fields=(TAG,),
    )
)
register(
    StepType(
        "remove_tag",
        STEP_LABELS["remove_tag"],
        fields=(TAG,),
    )
)
register(
    StepType(
        "assign",
        STEP_LABELS["assign"],
        fields=(
            TEAMMATE,
            TEAM,
            Field(
                "method",
                CHOICE,
                required=False,
                label="Give it to a member",
                choices=tuple(ASSIGN_METHOD_WORDS.items()),
                blank=ASSIGN_METHOD_NONE,
                only_with=("team", "A method gives the conversation to a member of a team."),
            ),
            # The older spelling of method "round_robin" (still read).
            Field(
                "round_robin",
                BOOL,
                required=False,
                label="Round robin",
                only_with=("team", "Round robin assigns within a team."),
                replaced_by=("method", "round_robin"),
            ),
        ),
        one_of=OneOf(
            ("teammate", "team"), "Assign to a teammate or to a team (one of them).", default="team"
        ),
    )
)
register(StepType("unassign", STEP_LABELS["unassign"]))
register(StepType("close", STEP_LABELS["close"]))
register(StepType("reopen", STEP_LABELS["reopen"]))
register(
    StepType(
        "snooze",
        STEP_LABELS["snooze"],
        fields=(
            Field("duration", DURATION, maximum=MAX_SNOOZE, help=DURATION_HELP),
            Field("until", MOMENT, help="2026-12-24T09:00:00+00:00"),
        ),
        one_of=OneOf(
            ("duration", "until"),
            "Snooze for a duration or until a time (one of them).",
            by_key=True,
            default="duration",
        ),
    )
)
register(
    StepType(
        "set_priority",
        STEP_LABELS["set_priority"],
        fields=(Field("priority", BOOL, label="Priority"),),
    )
)
register(
    StepType(
        "apply_sla",
        STEP_LABELS["apply_sla"],
        fields=(Field("sla", NAME, label="SLA policy", refers_to="slas", what="SLA policy"),),
    )
)
register(
    StepType(
        "set_data",
        STEP_LABELS["set_data"],
        fields=(Field("key", DATA_KEY, max_length=MAX_DATA_KEY_LENGTH), Field("value", DATA_VALUE)),
    )
)
register(StepType("add_note", STEP_LABELS["add_note"], fields=(BODY,)))
register(
    StepType(
        "wait",
        STEP_LABELS["wait"],
        flow=True,
        fields=(
            Field("duration", DURATION, maximum=MAX_WAIT, help=DURATION_HELP),
            Field(
                "until_reply",
                CHOICE,
                required=False,
                label="End early when",
                choices=tuple((kind, REPLY_KIND_WORDS[kind]) for kind in REPLY_KINDS),
            ),
        ),
    )
)
register(
    StepType(
        "branches",
        STEP_LABELS["branches"],
        flow=True,
        paths=Paths(
            "branches", RULE_PATHS, PATH_LABELS["branches"], has_else=True, first_match_only=True
        ),
    )
)
register(
    StepType(
        "apply_rules",
        STEP_LABELS["apply_rules"],
        flow=True,
        paths=Paths("rules", RULE_PATHS, PATH_LABELS["apply_rules"]),
    )
)
register(
    StepType(
        "run_workflow",
        STEP_LABELS["run_workflow"],
        flow=True,
        fields=(Field("workflow", WORKFLOW, label="Reusable workflow"),),
    )
)
register(
    StepType(
        "send_message",
        STEP_LABELS["send_message"],
        customer_facing=True,
        fields=(BODY,),
    )
)
register(
    StepType(
        "reply_buttons",
        STEP_LABELS["reply_buttons"],
        customer_facing=True,
        fields=(BODY,),
        paths=Paths("buttons", BUTTONS, PATH_LABELS["reply_buttons"]),
    )
)
register(
    StepType(
        "collect_data",
        STEP_LABELS["collect_data"],
        customer_facing=True,
        fields=(
            BODY,
            Field(
                "attribute", COLLECTED, help=f"{', '.join(COLLECTABLE_ATTRIBUTES)} or custom.<key>"
            ),
        ),
    )
)
register(
    StepType(
        "handover",
        STEP_LABELS["handover"],
        customer_facing=True,
        fields=(replace(TEAM, required=False), replace(TEAMMATE, required=False)),
        one_of=OneOf(
            ("team", "teammate"), "Hand over to a team or a teammate, not both.", exactly=False
        ),
    )
)
register(
    StepType(
        "http_request",
        STEP_LABELS["http_request"],
        # The executor makes the run wait; a Celery task makes the call outside the
        # conversation's lock (workflows/http_requests.py); the answer resumes the run.
        flow=True,
        fields=(
            Field(
                "method",
                CHOICE,
                label="Method",
                choices=tuple((method, method) for method in http_step.METHODS),
                # The assign step's "method" (round robin, balanced) is another form field.
                form_name="http_method",
            ),
            Field(
                "url",
                URL,
                label="URL",
                max_length=2048,
                help="https://… — placeholders in the path or query",
                placeholders=placeholders.URL,
            ),
            Field(
                "headers",
                HEADERS,
                required=False,
                label="Headers (JSON)",
                help='{"Authorization": "Bearer {{secret.NAME}}"}',
                lines=2,
            ),
            Field(
                "body",
                JSON_BODY,
                form_name="json_body",
                required=False,
                label="Body (JSON)",
                help="Placeholders in its strings",
                lines=3,
                placeholders=placeholders.TEXT,
            ),
            Field(
                "save",
                SAVE_MAP,
                required=False,
                label="Save from the answer (JSON)",
                help='{"conversation.custom.plan": "data.plan"}',
                lines=2,
            ),
        ),
        paths=Paths("on_failure", STEPS_PATH, PATH_LABELS["http_request"]),
    )
)
