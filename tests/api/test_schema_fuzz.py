"""The OpenAPI schema documents every endpoint, and a bounded schemathesis run against it
finds no 500 and no response that breaks the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import AdminFactory, ContactFactory, SlaPolicyFactory, TeamFactory

# Examples per operation: bounded so CI stays fast; raise locally to dig deeper.
EXAMPLES_PER_OPERATION = 15
# Writing a workflow: building examples of the recursive document (rule groups in rule
# groups, steps in branches) costs about 25 s per operation in process, whatever the example
# count; tests/integration/test_schemathesis_cli.py runs them over HTTP with every check.
# A draft (PUT .../draft/) is the same document.
WORKFLOW_WRITE = r"(POST|PUT|PATCH) /api/workflows/(\{id\}/(draft/)?)?$"

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Django's WSGI handler closes connections at the end of each request; the test
    client disconnects that, and so must we while schemathesis calls the app."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(db, wsgi_keeps_the_test_connection):
    admin = AdminFactory(username="fuzz-admin")
    TeamFactory(name="Support", members=[admin])
    SlaPolicyFactory(name="Premium Support")
    ContactFactory()
    return Token.objects.create(user=admin).key


def test_the_schema_documents_every_resource_of_api_md(client):
    document = client.get("/api/schema/?format=json").json()

    paths = set(document["paths"])
    assert {
        "/api/contacts/",
        "/api/teams/",
        "/api/teammates/",
        "/api/sla-policies/",
        "/api/conversations/",
        "/api/conversations/{id}/",
        "/api/conversations/{id}/parts/",
        "/api/conversations/{id}/reply/",
        "/api/conversations/{id}/tags/",
        "/api/conversations/{id}/tags/{name}/",
        "/api/conversations/{id}/runs/",
        "/api/workflows/",
        "/api/workflows/{id}/",
        "/api/workflows/reorder/",
        "/api/workflows/{id}/test/",
        "/api/workflow-runs/",
    } <= {path.replace("{pk}", "{id}") for path in paths}


def test_every_operation_documents_its_error_answers(client):
    document = client.get("/api/schema/?format=json").json()

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert {"400", "401", "403", "404"} <= set(operation["responses"]), (method, path)
    delete = document["paths"]["/api/workflows/{id}/"]["delete"]["responses"]
    assert delete["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_the_workflow_body_is_documented_with_its_real_shape(client):
    document = client.get("/api/schema/?format=json").json()
    schemas = document["components"]["schemas"]
    body = document["paths"]["/api/workflows/"]["post"]["requestBody"]["content"]

    assert set(body) == {"application/json"}
    request = schemas[body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert request["properties"]["audience"] == {
        "allOf": [{"$ref": "#/components/schemas/TopRuleGroup"}],
        "nullable": True,
    }
    assert request["additionalProperties"] is False
    assert request["properties"]["steps"]["items"] == {"$ref": "#/components/schemas/WorkflowStep"}
    step_types = {v["properties"]["type"]["enum"][0] for v in schemas["WorkflowStep"]["anyOf"]}
    assert {"add_tag", "branches", "reply_buttons", "run_workflow"} <= step_types
    assert {"$ref": "#/components/schemas/RuleGroup"} in (
        schemas["RuleGroup"]["properties"]["rules"]["items"]["anyOf"]
    )


def test_an_api_url_that_matches_no_route_answers_json_404(admin_client):
    response = admin_client.delete("/api/conversations/1/tags/a%0Ab/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_swagger_ui_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn." not in response.content


@pytest.mark.django_db
@schema.exclude(name_regex=f"^{WORKFLOW_WRITE}").parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_500_or_breaks_the_schema(case, admin_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {admin_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
