"""Fuzz the JSON edges (issue 11): deep nesting, NUL, unpaired surrogates, huge numbers,
over-long strings and far dates against EVERY write operation of the API, as an admin, a
teammate and a contact (messenger token), and against the Messenger, inbox and builder
forms. No answer may be a 500, and a refused request leaves every table as it was.

The operations are read from the OpenAPI schema, so a new endpoint is fuzzed without
touching this file (a body it has no valid example for starts from `{}`).
"""

import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations import services
from tests.factories import (
    AdminFactory,
    ContactFactory,
    SlaPolicyFactory,
    TeamFactory,
    TeammateFactory,
)
from tests.workflows.helpers import make_workflow
from webhooks.models import WebhookDelivery, WebhookEndpoint
from workflows.models import Macro, Secret

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_METHODS = ("post", "put", "patch", "delete")
FAR_FUTURE = "9999-12-31T23:59:59-12:00"
FAR_PAST = "0001-01-01T00:00:00+01:00"


def nested_list(depth: int):
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


# Values put in place of every field and every leaf of a valid body, one at a time.
HOSTILE_VALUES = [
    "a\x00b",
    "\ud800",
    "x\udc00",
    "x" * 20_000,
    1e308,
    2**64,
    -(2**70),
    FAR_FUTURE,
    FAR_PAST,
    {"k\x00": "v"},
    ["\ud800"],
    nested_list(60),
    True,
    None,
]
# Whole bodies no field ever sees.
HOSTILE_BODIES = [
    "[" * 100_000,
    '{"a":' * 70 + "1" + "}" * 70,
    '{"name": NaN}',
    '{"name": 1e400}',
    '{"name": -Infinity}',
    b'{"name": "\xff\xfe"}',
    '{"na\\u0000me": 1}',
    '"\\ud800"',
    '{"name": 1' + "0" * 5000 + "}",
]
# Path parameters and query values tried on every operation that has them.
HOSTILE_PARAMETERS = ["a%00b", "a%ffb", "%ed%a0%80", "x" * 300]


def table_counts() -> tuple:
    """Rows in every table of our apps, in one query."""
    tables = [
        model._meta.db_table
        for app in ("conversations", "workflows", "authtoken")
        for model in apps.get_app_config(app).get_models()
    ]
    sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{table}")' for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def leaves(value, path=()):
    """Paths of every leaf (and of every container) of a body."""
    if isinstance(value, dict):
        for key, member in value.items():
            yield (*path, key)
            yield from leaves(member, (*path, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield (*path, index)
            yield from leaves(member, (*path, index))


def replaced(body, path, value):
    body = json.loads(json.dumps(body))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def write_operations() -> list[tuple[str, str, list[str]]]:
    """(method, path template, request fields) of every write operation in the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method not in WRITE_METHODS:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            fields = list(components.get(ref.rpartition("/")[2], {}).get("properties", {}))
            operations.append((method, path, fields))
    # Deletes last: what they remove, the others still use; a nested resource's delete
    # (a workflow's draft) before its owner's.
    return sorted(operations, key=lambda op: (op[0] == "delete", -op[1].count("/")))


@pytest.fixture
def world(db, settings):
    # The webhook example's receiver: a local address nobody listens on, allowed here.
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    admin = AdminFactory(username="fuzz-admin")
    teammate = TeammateFactory(username="fuzz-teammate")
    team = TeamFactory(name="Support", members=[admin, teammate])
    sla = SlaPolicyFactory(name="Premium Support")
    contact = ContactFactory(name="Fuzz Contact")
    conversation = services.conversation_open(contact=contact, body="Hello")
    # Its own trigger: the workflows the fuzz creates do not join its reorder list.
    workflow = make_workflow("Fuzz workflow", trigger="teammate_replied")
    later = (timezone.now() + timedelta(days=2)).isoformat()
    receiver_url = "http://127.0.0.1:9/hook"
    endpoint = WebhookEndpoint.objects.create(url=receiver_url, events=["*"])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="webhook.test", payload={"id": "x"}
    )
    secret = Secret.objects.create(name="FUZZ_TOKEN", value="kept")
    macro_doc = {
        "name": "Fuzz macro",
        "shared": True,
        "steps": [{"type": "add_tag", "tag": "refund"}, {"type": "reply", "body": "Done"}],
    }
    macro = Macro.objects.create(owner=admin, **macro_doc)
    ids = {
        "macros": macro.pk,
        "teammates": teammate.pk,
        "webhooks": endpoint.pk,
        "secrets": secret.pk,
        "delivery_id": delivery.delivery_id,
        "contacts": contact.pk,
        "teams": team.pk,
        "sla-policies": sla.pk,
        "conversations": conversation.pk,
        "workflows": workflow.pk,
    }
    workflow_doc = {
        "name": "Fuzzed",
        "trigger": "customer_any_message",
        "audience": {
            "match": "all",
            "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Pro"}],
        },
        "steps": [{"type": "add_tag", "tag": "x"}, {"type": "snooze", "until": later}],
    }
    sla_doc = {"name": "Fuzz SLA", "first_reply": "30m", "office_hours_only": False}
    team_doc = {"name": "Fuzz team", "members": [teammate.pk]}
    # Changes keep the names of the rows they change (names are unique).
    sla_change = {**sla_doc, "name": sla.name}
    team_change = {**team_doc, "name": team.name}
    workflow_change = {**workflow_doc, "name": workflow.name, "trigger": "teammate_replied"}
    bodies = {
        ("post", "/api/contacts/"): {
            "name": "Fuzz",
            "email": "f@example.com",
            "plan": "Pro",
            "monthly_spend": "10.00",
            "company": "Acme",
            "role": "user",
            "custom_attributes": {"k": "v", "n": 1},
        },
        ("post", "/api/conversations/"): {"contact": contact.pk, "body": "Hi", "title": "T"},
        ("post", "/api/conversations/{id}/parts/"): {
            "message_type": "snoozed",
            "snoozed_until": later,
            "assignee_id": teammate.pk,
            "team_id": team.pk,
        },
        ("post", "/api/conversations/{id}/reply/"): {
            "type": "admin",
            "message_type": "note",
            "body": "x",
        },
        ("post", "/api/conversations/{id}/tags/"): {"name": "vip"},
        ("post", "/api/conversations/{id}/events/"): {
            "name": "order_refunded",
            "metadata": {"amount": 30, "order": "A-7"},
        },
        ("post", "/api/sla-policies/"): sla_doc,
        ("put", "/api/sla-policies/{id}/"): sla_change,
        ("patch", "/api/sla-policies/{id}/"): sla_change,
        ("post", "/api/teams/"): team_doc,
        ("put", "/api/teams/{id}/"): team_change,
        ("patch", "/api/teams/{id}/"): team_change,
        ("post", "/api/workflows/"): workflow_doc,
        ("put", "/api/workflows/{id}/"): workflow_change,
        ("patch", "/api/workflows/{id}/"): workflow_change,
        ("post", "/api/workflows/{id}/test/"): {"conversation": conversation.pk},
        ("put", "/api/workflows/{id}/draft/"): workflow_change,
        ("post", "/api/workflows/{id}/replay/"): {"since": "7d"},
        ("post", "/api/secrets/"): {"name": "CRM_TOKEN", "value": "s3cret"},
        ("put", "/api/secrets/{id}/"): {"name": "FUZZ_TOKEN", "value": "new"},
        ("patch", "/api/secrets/{id}/"): {"value": "newer"},
        ("post", "/api/webhooks/"): {"url": receiver_url, "events": ["*"]},
        ("patch", "/api/webhooks/{id}/"): {"events": ["conversation.opened"]},
        ("post", "/api/macros/"): {**macro_doc, "name": "Another macro"},
        ("put", "/api/macros/{id}/"): macro_doc,
        ("patch", "/api/macros/{id}/"): {"shared": False},
        ("post", "/api/macros/{id}/run/"): {"conversations": [conversation.pk]},
        ("post", "/api/conversations/bulk/"): {
            "conversations": [conversation.pk],
            "action": "add_tag",
            "tag": "bulk",
        },
        ("patch", "/api/teammates/{id}/"): {"away": False},
        # Ids of others' notifications are ignored: any id is a valid example.
        ("post", "/api/notifications/read/"): {"ids": [1]},
        ("post", "/api/workflows/reorder/"): {
            "trigger": "teammate_replied",
            "order": [workflow.pk],
        },
    }
    clients = {}
    for name, header in (
        ("admin", f"Token {Token.objects.create(user=admin).key}"),
        ("teammate", f"Token {Token.objects.create(user=teammate).key}"),
        ("contact", f"Token {contact.messenger_token}"),
    ):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        client.raise_request_exception = False
        clients[name] = client
    return {"ids": ids, "bodies": bodies, "clients": clients, "admin": admin}


def fill(template: str, ids: dict, name: str = "vip") -> str:
    resource = template.split("/")[2]
    return (
        template.replace("{id}", str(ids.get(resource, 1)))
        .replace("{name}", name)
        .replace("{delivery_id}", str(ids["delivery_id"]))
        .replace("{number}", "1")
    )


class Fuzzer:
    def __init__(self):
        self.tried = 0
        self.failures: list[str] = []

    def check(self, label, send):
        before = table_counts()
        response = send()
        self.tried += 1
        if label.startswith("admin") and label.endswith(" as is") and response.status_code >= 400:
            # The valid example must pass, or the hostile values never get past it.
            self.failures.append(f"{label}: the valid example answered {response.status_code}")
        if response.status_code >= 500:
            self.failures.append(f"{label}: {response.status_code}")
        elif response.status_code >= 400 and table_counts() != before:
            self.failures.append(f"{label}: {response.status_code} but rows changed")


def test_every_write_endpoint_survives_hostile_json(world, capsys):
    fuzzer = Fuzzer()
    operations = write_operations()
    assert len(operations) >= 20  # every write operation of API.md at least
    for method, template, fields in operations:
        base = world["bodies"].get((method, template), {})
        bodies = [("as is", base)]
        for path in list(leaves(base)) + [(field,) for field in fields if field not in base]:
            bodies += [
                (f"{path}={value!r:.40}", replaced(base, path, value)) for value in HOSTILE_VALUES
            ]
        for who, client in world["clients"].items():
            url = fill(template, world["ids"])
            verb = method.upper()

            def send(url, body, client=client, method=verb):
                # Sent as the bytes given: json.dumps escapes lone surrogates as \udXXX.
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                return client.generic(method, url, data, content_type="application/json")

            for label, body in bodies:
                fuzzer.check(
                    f"{who} {method} {template} {label}",
                    lambda send=send, url=url, body=body: send(url, body),
                )
            for raw in HOSTILE_BODIES:
                data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
                fuzzer.check(
                    f"{who} {method} {template} raw {raw[:30]!r}",
                    lambda send=send, url=url, data=data: send(url, data),
                )
            for parameter in HOSTILE_PARAMETERS:
                hostile_url = (
                    fill(template, world["ids"], parameter)
                    if "{name}" in template
                    else f"{url}?admin_id={parameter}"
                )
                fuzzer.check(
                    f"{who} {method} {hostile_url[:80]}",
                    lambda send=send, hostile_url=hostile_url, base=base: send(hostile_url, base),
                )
    with capsys.disabled():
        print(f"\nJSON edge fuzz: {fuzzer.tried} API requests, {len(fuzzer.failures)} failures")
    assert fuzzer.failures == [], "\n".join(fuzzer.failures)


def test_the_messenger_inbox_and_builder_forms_survive_hostile_input(world, client, capsys):
    client.raise_request_exception = False
    fuzzer = Fuzzer()
    conversation_id = world["ids"]["conversations"]
    # A form body is UTF-8 that Django decodes replacing bad bytes: no lone surrogate
    # can arrive, and the test client could not even encode one.
    strings = [v for v in HOSTILE_VALUES if isinstance(v, str) and v.isascii()]
    strings += ["9999-12-31T23:59", "-1", "99999999999999999999"]
    session = client.session
    session["messenger_contact_id"] = world["ids"]["contacts"]
    session.save()
    messenger = [
        ("/messenger/", {"body": None}),
        (f"/messenger/conversations/{conversation_id}/", {"body": None}),
    ]
    for url, fields in messenger:
        for value in strings:
            data = {key: value for key in fields}
            fuzzer.check(f"messenger {url} {value!r:.30}", lambda u=url, d=data: client.post(u, d))
    for parameter in HOSTILE_PARAMETERS:
        fuzzer.check(
            f"messenger token {parameter}", lambda p=parameter: client.get(f"/messenger/?token={p}")
        )

    client.force_login(world["admin"])
    base = f"/inbox/conversations/{conversation_id}"
    inbox_forms = [
        (f"{base}/reply/", {"body": "Hi", "kind": "note"}),
        (f"{base}/tags/", {"name": "vip"}),
        (f"{base}/snooze/", {"preset": "custom", "until": "2030-01-01T09:00"}),
        (f"{base}/assign/", {"assignee": "", "team": ""}),
        (f"{base}/sla/", {"policy": ""}),
        ("/inbox/", {"q": "x", "view": "all", "after": "1"}),
        (
            "/workflows/new/",
            {
                "name": "Fuzz builder",
                "status": "draft",
                "trigger": "customer_any_message",
                "frequency": "once",
                "a-match": "all",
                "a-r-TOTAL_FORMS": "1",
                "a-r-INITIAL_FORMS": "0",
                "a-r-0-attribute": "contact.plan",
                "a-r-0-operator": "is",
                "a-r-0-value": "Pro",
                "a-g-TOTAL_FORMS": "0",
                "a-g-INITIAL_FORMS": "0",
                "s-TOTAL_FORMS": "1",
                "s-INITIAL_FORMS": "0",
                "s-0-type": "set_data",
                "s-0-key": "k",
                "s-0-value": "v",
                "action": "save",
            },
        ),
    ]
    for url, form in inbox_forms:
        send = client.get if url == "/inbox/" else client.post
        for key in form:
            for value in strings:
                data = {**form, key: value}
                fuzzer.check(f"{url} {key}={value!r:.30}", lambda s=send, u=url, d=data: s(u, d))
    for parameter in HOSTILE_PARAMETERS:
        url = f"{base}/tags/{parameter}/remove/"
        fuzzer.check(f"remove tag {parameter}", lambda u=url: client.post(u))
    for raw in HOSTILE_BODIES:
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
        fuzzer.check(
            f"reorder raw {raw[:30]!r}",
            lambda d=data: client.post("/workflows/reorder/", d, content_type="application/json"),
        )
    with capsys.disabled():
        print(f"\nForm edge fuzz: {fuzzer.tried} page requests, {len(fuzzer.failures)} failures")
    assert fuzzer.failures == [], "\n".join(fuzzer.failures)
