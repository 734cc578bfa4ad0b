"""OpenAPI schema additions (drf-spectacular): the error answers every operation may give,
and the workflow document's real shape (API.md's format) instead of free-form JSON.

Errors are added by one postprocessing hook over every operation, so endpoints added or
changed later (permissions, tokens, input bounds) are documented without touching them:

- 400 `ValidationError` (DRF's `{"field": ["message", ...]}`) — bad input;
- 401 / 403 `Error` (`{"detail": "..."}`) — missing or refused credentials, not allowed;
- 404 `Error` — an object outside the caller's reach, or a page past the end;
- 429 `Error` — where the view throttles.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension

from conversations.durations import duration_pattern
from conversations.validation import MAX_JSON_INT
from workflows.engine import steps
from workflows.engine.definitions import (
    COLLECTABLE_ATTRIBUTES,
    FREQUENCIES,
    MAX_BUTTON_LABEL_LENGTH,
    MAX_BUTTONS,
    MAX_NAME_LENGTH,
    MAX_STEPS_PER_PATH,
    MAX_UNRESPONSIVE_AFTER,
    STATE_OPTIONS,
    STATUSES,
    TRIGGERS,
)
from workflows.engine.rules import ALL_OPERATORS, MAX_RULES_PER_GROUP

ERROR = {
    "type": "object",
    "description": "DRF's error shape for authentication, permission and lookup errors.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": (
        'Field messages: {"field": ["message", ...]}; nested fields and workflow places '
        "are keys too (`steps[2].team`); `non_field_errors` for the document as a whole."
    ),
    "additionalProperties": {},
    "example": {"steps[2].team": ['No team named "Tier 3".']},
}
ERROR_ANSWERS = {
    "400": ("Bad input: a message per field.", "ValidationError"),
    "401": ("No credentials, or credentials that are not valid.", "Error"),
    "403": ("Authenticated, but not allowed to do this.", "Error"),
    "404": ("Not found, or outside the caller's reach.", "Error"),
}
THROTTLED = ("Too many requests: slow down and retry later.", "Error")
CONFLICT = ("The object is in a state that refuses this change.", "Error")

# --- the workflow document (API.md "The workflow format") ---------------------------------


def _duration(maximum) -> dict:
    """A duration from 1s up to `maximum`, exactly as the validator accepts it."""
    return {"type": "string", "pattern": duration_pattern(maximum), "example": "30m"}


NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH, "pattern": r"\S"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


STEPS = {"type": "array", "items": _ref("WorkflowStep"), "maxItems": MAX_STEPS_PER_PATH}
# A path without `when` matches everything; without `steps` it does nothing.
RULE_PATH = {
    "type": "object",
    "properties": {"when": {"allOf": [_ref("TopRuleGroup")], "nullable": True}, "steps": STEPS},
    "additionalProperties": False,
}

BUTTONS = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_BUTTONS,
    "items": {
        "type": "object",
        "properties": {
            "label": {**NAME, "maxLength": MAX_BUTTON_LABEL_LENGTH},
            "steps": STEPS,
        },
        "required": ["label"],
        "additionalProperties": False,
    },
}


def _field_schema(spec: steps.Field) -> dict:
    """A registry field's schema, by its kind, exactly as the validator accepts it."""
    if spec.kind == steps.TEXT:
        return {"type": "string", "minLength": 1, "maxLength": spec.max_length, "pattern": r"\S"}
    if spec.kind in (steps.NAME, steps.WORKFLOW, steps.DATA_KEY):
        return NAME
    if spec.kind == steps.BOOL:
        return {"type": "boolean"}
    if spec.kind == steps.DURATION:
        return _duration(spec.maximum)
    if spec.kind == steps.MOMENT:
        return {"type": "string", "format": "date-time"}
    if spec.kind == steps.CHOICE:
        return {"enum": [value for value, _ in spec.choices]}
    if spec.kind == steps.COLLECTED:
        return {"enum": list(COLLECTABLE_ATTRIBUTES)}
    if spec.kind == steps.URL:
        return {"type": "string", "minLength": 1, "maxLength": 2048}
    if spec.kind == steps.HEADERS:
        return {
            "type": "object",
            "additionalProperties": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "object", "properties": {"secret": {"type": "string"}}},
                ]
            },
        }
    if spec.kind == steps.SAVE_MAP:
        return {"type": "object", "additionalProperties": {"type": "string"}}
    return {}  # DATA_VALUE, JSON_BODY: any JSON value


def _step_schemas() -> dict:
    """Per step type (and per alternative, where the step takes exactly one of two keys):
    its fields' schemas and which are required, from the registry."""
    schemas = {}
    for name, kind in steps.STEP_TYPES.items():
        rule = kind.one_of
        alternatives = rule.fields if rule and rule.exactly and rule.by_key else (None,)
        for alternative in alternatives:
            fields, required = {}, []
            for spec in kind.fields:
                if alternative and spec.name in rule.fields and spec.name != alternative:
                    continue
                fields[spec.name] = _field_schema(spec)
                if spec.required and (alternative or not rule or spec.name not in rule.fields):
                    required.append(spec.name)
            if kind.paths is not None and kind.paths.kind == steps.STEPS_PATH:
                fields[kind.paths.key] = STEPS  # optional: no steps when it fails
            elif kind.paths is not None:
                items = RULE_PATH if kind.paths.kind == steps.RULE_PATHS else None
                fields[kind.paths.key] = (
                    {"type": "array", "items": items, "minItems": 1} if items else BUTTONS
                )
                required.append(kind.paths.key)
                if kind.paths.has_else:
                    fields["else"] = STEPS
            variant = name if alternative in (None, alternatives[0]) else f"{name}_{alternative}"
            schemas[variant] = (name, fields, required)
    return schemas


# Snooze for a duration or until a time: one of them (two variants, snooze and snooze_until).
STEP_SCHEMAS = _step_schemas()


def _nullable(schema: dict) -> dict:
    """An optional step field may be null: the engine reads it as absent (and keeps it)."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None], "nullable": True}
    return {**schema, "nullable": True} if schema else schema


def _step_variant(variant: str) -> dict:
    step_type, fields, required = STEP_SCHEMAS[variant]
    fields = {
        key: schema if key in required else _nullable(schema) for key, schema in fields.items()
    }
    return {
        "type": "object",
        "title": variant,
        "properties": {"type": {"type": "string", "enum": [step_type]}, **fields},
        "required": ["type", *required],
        "additionalProperties": False,
    }


RULES = {
    "type": "array",
    "maxItems": MAX_RULES_PER_GROUP,
    # anyOf, not oneOf: the two never overlap (each forbids the other's keys), and anyOf is
    # far cheaper for generators such as schemathesis.
    "items": {"anyOf": [_ref("Rule"), _ref("RuleGroup")]},
}
WORKFLOW_COMPONENTS = {
    "Rule": {
        "type": "object",
        "description": "`attribute operator value` (API.md lists the attributes).",
        "properties": {
            "attribute": {"type": "string", "minLength": 1, "maxLength": 200},
            "operator": {"type": "string", "enum": sorted(ALL_OPERATORS)},
            "value": {},
        },
        "required": ["attribute", "operator"],
        "additionalProperties": False,
    },
    "RuleGroup": {
        "type": "object",
        "description": "Matches all or any of its members: rules or nested groups.",
        "properties": {
            "match": {"type": "string", "enum": ["all", "any"]},
            "rules": RULES,
        },
        # `match` defaults to "all"; inside `rules`, an object with `rules` is a group.
        "required": ["rules"],
        "additionalProperties": False,
    },
    "TopRuleGroup": {
        "type": "object",
        "description": "A rule group where one starts (audience, a branch's `when`): "
        '`match` defaults to "all", `rules` to none, so `{}` matches everything.',
        "properties": {
            "match": {"type": "string", "enum": ["all", "any"]},
            "rules": RULES,
        },
        "additionalProperties": False,
    },
    "WorkflowStep": {
        "description": "One step; `type` says which, and which fields it takes.",
        # Exclusive by `type`, so anyOf says the same as oneOf, and is cheaper to generate.
        "anyOf": [_step_variant(variant) for variant in STEP_SCHEMAS],
    },
    "TriggerOptions": {
        "type": "object",
        "description": (
            '`{"state": ...}` for teammate_changed_state, `{"after": "30m"}` for the '
            "unresponsive triggers, `{}` otherwise."
        ),
        "properties": {
            "state": {"enum": list(STATE_OPTIONS)},
            "after": _duration(MAX_UNRESPONSIVE_AFTER),
        },
        "additionalProperties": False,
    },
}
WORKFLOW_FIELDS = {
    "name": NAME,
    "status": {"type": "string", "enum": list(STATUSES)},
    "trigger": {"type": "string", "enum": list(TRIGGERS)},
    "trigger_options": _ref("TriggerOptions"),
    "frequency": {"type": "string", "enum": list(FREQUENCIES)},
    "audience": _ref("TopRuleGroup"),
    "steps": {**STEPS, "minItems": 1},
}
WORKFLOW_READ_ONLY = {
    "id": {"type": "integer", "readOnly": True},
    "is_background": {"type": "boolean", "readOnly": True},
    "priority": {"type": "integer", "readOnly": True},
    # The live version's number and the saved draft document (API.md "Versions").
    "version": {"type": "integer", "readOnly": True},
    "draft": {"type": "object", "nullable": True, "readOnly": True},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
}


IGNORED_ON_INPUT = {"description": "Read-only: any value is accepted and ignored."}
# Where the API refuses NUL (config/middleware.py): query strings and paths.
NO_NUL = "^[^\\x00]*$"
INT64 = {"minimum": -MAX_JSON_INT, "maximum": MAX_JSON_INT}
ID = {"minimum": 1, "maximum": MAX_JSON_INT}


def _bound_integers(schema) -> None:
    """Every integer of a request body within 64 bits, as the JSON parser requires."""
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") == "integer":
                for key, value in INT64.items():
                    item.setdefault(key, value)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# Request bodies whose answer is another component than their name says.
ANSWER_OF_REQUEST = {"ConversationCreateRequest": "Conversation"}


def close_request_bodies(schemas: dict) -> None:
    """Request bodies take their documented keys only (config/api_input.py refuses the
    rest), plus the keys of the answer that are not input, accepted and ignored (round
    trip: read-only fields, or the whole answer where the input is another serializer)."""
    for name, schema in schemas.items():
        if not name.endswith("Request") or schema.get("type") != "object":
            continue
        answer_name = ANSWER_OF_REQUEST.get(name, name.removeprefix("Patched")[: -len("Request")])
        every_key = name in ANSWER_OF_REQUEST
        answer = schemas.get(answer_name, {})
        properties = schema.setdefault("properties", {})
        for key, field in answer.get("properties", {}).items():
            if (every_key or field.get("readOnly")) and key not in properties:
                properties[key] = dict(IGNORED_ON_INPUT)
        schema["additionalProperties"] = False
        _bound_integers(schema)


def bound_parameters(operation: dict, view) -> None:
    """Query and path parameters as the API reads them: no NUL in text, free-text
    filters within their columns, ids and pages whole numbers from 1 within 64 bits."""
    filterset = getattr(view, "filterset_class", None)
    declared = getattr(filterset, "base_filters", {}) if filterset else {}
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if schema.get("type") == "integer":
            for key, value in ID.items():
                schema.setdefault(key, value)
        elif schema.get("type") == "string" and "enum" not in schema:
            if parameter["in"] == "path" and parameter["name"] == "name":
                schema["pattern"] = "^[^\\x00\\n]+$"  # a tag name: any text on one line
            schema.setdefault("pattern", NO_NUL)
            max_length = getattr(declared.get(parameter["name"]), "extra", {}).get("max_length")
            if max_length:
                schema["maxLength"] = max_length


def add_error_answers(result, generator, request, public):
    """Postprocessing hook: every operation documents 400/401/403/404 with the shared
    error schemas; 429 where the view throttles; 409 where the view says it can."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for name, schema in WORKFLOW_COMPONENTS.items():
        schemas.setdefault(name, schema)
    close_request_bodies(schemas)
    views = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        # The schema names the primary key `id` (SCHEMA_COERCE_PATH_PK); the endpoints `pk`.
        views[(path.replace("{pk}", "{id}"), method.lower())] = getattr(callback, "cls", None)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            answers = operation.setdefault("responses", {})
            extra = dict(ERROR_ANSWERS)
            view = views.get((path, method))
            bound_parameters(operation, view)
            if view is not None and getattr(view, "throttle_classes", None):
                extra["429"] = THROTTLED
            if view is not None and method in getattr(view, "conflict_methods", ()):
                extra["409"] = CONFLICT
            for code, (description, schema) in extra.items():
                answers.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": _ref(schema)}},
                    },
                )
    return result


class WorkflowSerializerExtension(OpenApiSerializerExtension):
    """The workflow document's shape for drf-spectacular (the serializer itself hands the
    document to the engine's validator as it is)."""

    target_class = "workflows.api.WorkflowSerializer"

    def get_name(self, auto_schema, direction):
        return "Workflow" if direction == "response" else None

    def map_serializer(self, auto_schema, direction):
        if direction == "response":
            properties = {**WORKFLOW_FIELDS, **WORKFLOW_READ_ONLY}
            required = list(properties)
        else:
            # The read-only fields may be sent back: they are ignored (round trip).
            properties = {
                **WORKFLOW_FIELDS,
                # null is read as absent: no options, an audience that matches everyone.
                "trigger_options": {"allOf": [_ref("TriggerOptions")], "nullable": True},
                "audience": {"allOf": [_ref("TopRuleGroup")], "nullable": True},
                **{key: dict(IGNORED_ON_INPUT) for key in WORKFLOW_READ_ONLY},
            }
            partial = auto_schema.method == "PATCH"
            required = [] if partial else ["name", "trigger", "steps"]
        schema = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            schema["required"] = required
        return schema


def api_not_found(request, exception=None):
    """Django's 404 for a URL under /api/ that matches no route (a tag name with a
    newline, say): the documented JSON `Error`, not the HTML page."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
