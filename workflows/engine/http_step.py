"""The HTTP request step's decisions, over plain data (API.md, "Webhooks, HTTP requests
and placeholders"): no models, no network, no clock.

    request_for(args, facts)       the request to make, placeholders filled in (headers
                                   keep their secret references: the task resolves them)
    resolve_headers(headers, get)  header values with their secrets, or MissingSecret
    answer_record(...)             what the answer means: ok, the values to save, why not
    resume_for(run, payload)       how the waiting run carries on (planner.Resume)

The call itself is made by a Celery task outside the orchestrator's lock
(`workflows/http_requests.py`); the answer comes back as an `http_response` event that
the planner turns into a resume here.
"""

import json
import re

from workflows.engine import placeholders

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WAITING_FOR = "http_request"
RESPONSE_EVENT = "http_response"
MAX_HEADERS = 20
MAX_HEADER_VALUE_LENGTH = 2000
MAX_SAVES = 20
MAX_ANSWER_PATH_LENGTH = 200
# What the run's log keeps of an answer that could not be used.
ANSWER_START_LENGTH = 200
# A secret by name in a header value: "Bearer {{secret.CRM_TOKEN}}".
SECRET_REFERENCE = re.compile(r"\{\{\s*secret\.([A-Za-z_][A-Za-z0-9_\-]{0,63})\s*\}\}")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,100}$")
# Headers that carry credentials: a literal value there is a secret in the document.
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")
CREDENTIAL_WORDS = ("token", "secret", "api-key", "apikey", "api_key", "password", "auth")
# Where an answer's value may be saved: conversation data or a contact custom attribute.
SAVE_TARGET = re.compile(r"^(conversation|contact)\.custom\.([A-Za-z_][A-Za-z0-9_\-]{0,63})$")
NO_SECRETS_IN_HEADERS = (
    "Keep credentials out of the workflow: store it as a secret (Admin → Secrets) "
    "and write {{secret.NAME}} here."
)


class MissingSecret(Exception):
    """A header names a secret that is not stored (any more)."""


def is_credential_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in CREDENTIAL_HEADERS or any(word in lowered for word in CREDENTIAL_WORDS)


def header_problems(name, value) -> list[str]:
    """What is wrong with one header of the step (the validator names the place)."""
    if not isinstance(name, str) or not HEADER_NAME.match(name):
        return ["A header name is letters, digits and - (at most 100)."]
    if name.lower() in ("host", "content-length", "transfer-encoding", "connection"):
        return [f"The {name} header is set for you."]
    if isinstance(value, dict):
        if set(value) != {"secret"} or not isinstance(value["secret"], str):
            return ['A header value is text or {"secret": "NAME"}.']
        value = f"{{{{secret.{value['secret']}}}}}"
    if not isinstance(value, str):
        return ['A header value is text or {"secret": "NAME"}.']
    if len(value) > MAX_HEADER_VALUE_LENGTH or "\n" in value or "\r" in value:
        return [f"One line of at most {MAX_HEADER_VALUE_LENGTH:,} characters."]
    rest = SECRET_REFERENCE.sub("", value)
    if "{{" in rest:
        return ["Header values take secrets only: {{secret.NAME}}."]
    if is_credential_header(name) and rest.strip() == value.strip() and value.strip():
        return [NO_SECRETS_IN_HEADERS]
    return []


def secret_names(headers: dict) -> list[str]:
    names = []
    for value in (headers or {}).values():
        text = _header_text(value)
        names += SECRET_REFERENCE.findall(text)
    return sorted(set(names))


def _header_text(value) -> str:
    if isinstance(value, dict):
        return f"{{{{secret.{value.get('secret', '')}}}}}"
    return value if isinstance(value, str) else ""


def resolve_headers(headers: dict, secret_value) -> dict:
    """The headers to send: each secret reference replaced by `secret_value(name)`
    (None when no such secret: MissingSecret names it)."""
    resolved = {}
    for name, value in (headers or {}).items():

        def fill(match):
            found = secret_value(match.group(1))
            if found is None:
                raise MissingSecret(match.group(1))
            return found

        resolved[name] = SECRET_REFERENCE.sub(fill, _header_text(value))
    return resolved


def url_problems(url) -> list[str]:
    """A URL the step may call once its placeholders are filled in: http(s), a host
    written out (placeholders only in the path and query), no credentials."""
    from urllib.parse import urlsplit

    if not isinstance(url, str) or not url.strip():
        return ["Enter a URL."]
    if len(url) > 2048:
        return ["A URL has at most 2,048 characters."]
    problems = placeholders.problems(url)
    if problems:
        return problems
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ["Enter a valid URL."]
    if parts.scheme not in ("http", "https"):
        return ["Only http and https URLs can be called."]
    if not parts.netloc or "{{" in parts.netloc:
        return ["Write the host out (placeholders go in the path or the query)."]
    if "@" in parts.netloc:
        return ["Put credentials in a header (as a secret), not in the URL."]
    return []


def save_problems(save) -> dict:
    """{key or "": [problems]} of the answer-to-data mapping."""
    if not isinstance(save, dict):
        return {"": ['An object: {"conversation.custom.key": "path.in.answer"}.']}
    found = {}
    if len(save) > MAX_SAVES:
        found[""] = [f"At most {MAX_SAVES} values."]
    for target, path in save.items():
        if not SAVE_TARGET.match(target):
            found[target] = ['Save into "conversation.custom.KEY" or "contact.custom.KEY".']
        elif not isinstance(path, str) or not path.strip() or len(path) > MAX_ANSWER_PATH_LENGTH:
            found[target] = [
                f'A dotted path in the answer ("data.plan", at most {MAX_ANSWER_PATH_LENGTH}).'
            ]
    return found


def request_for(args: dict, facts) -> dict:
    """The request the step makes for this conversation: plain JSON, stored with the
    waiting run (secrets stay references until the task sends it)."""
    body = args.get("body")
    return {
        "method": args["method"],
        "url": placeholders.render(args["url"].strip(), facts, placeholders.URL),
        "headers": dict(args.get("headers") or {}),
        "body": placeholders.render_json(body, facts) if body is not None else None,
        "save": dict(args.get("save") or {}),
    }


def value_at(answer, path: str):
    """The value at a dotted path of a JSON answer ("data.items.0.id"); KeyError if none."""
    current = answer
    for part in path.strip().split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise KeyError(path)
    return current


def answer_record(
    *, call: str, status_code, body: bytes, duration_ms: int, error: str, ok: bool, save: dict
) -> dict:
    """What an answer means, as the `http_response` event's payload: ok or not (and
    why), the values to save by target, the paths the answer lacked."""
    record = {
        "call": call,
        "status_code": status_code,
        "duration_ms": duration_ms,
        "ok": bool(ok),
        "error": error or "",
        "values": {},
        "missing": [],
    }
    if not ok:
        if not error and status_code is not None:
            record["error"] = f"answered {status_code}"
        record["answer_start"] = body[:ANSWER_START_LENGTH].decode("utf-8", "replace")
        return record
    if not save:
        return record
    try:
        answer = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        record.update(ok=False, error="the answer is not JSON")
        record["answer_start"] = body[:ANSWER_START_LENGTH].decode("utf-8", "replace")
        return record
    for target, path in save.items():
        try:
            record["values"][target] = value_at(answer, path)
        except KeyError:
            record["missing"].append(path)
    return record


def as_contact_text(value):
    """A contact attribute holds text (what a customer answers): a number or a yes/no
    from the answer is kept as its text; anything else is left for the service to refuse."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def resume_why(payload: dict) -> dict:
    """The resumed record the run's log keeps (log_words says it)."""
    why = {
        "why": RESPONSE_EVENT,
        "ok": payload.get("ok", False),
        "status_code": payload.get("status_code"),
        "duration_ms": payload.get("duration_ms"),
        "method": payload.get("method", ""),
        "url": payload.get("url", ""),
    }
    if payload.get("ok"):
        why["saved"] = sorted(payload.get("values", {}))
        why["missing"] = list(payload.get("missing", []))
    else:
        why["error"] = payload.get("error", "")
    return why


def failure_cursor(cursor: list, wait: dict) -> list:
    """The run's cursor with the step's on-failure path pushed (the step's `else`)."""
    pushed = {"workflow": wait["workflow"], "path": [*wait["path"], "else"], "index": 0}
    return [*[dict(f, path=list(f["path"])) for f in cursor], pushed]
