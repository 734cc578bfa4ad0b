"""The builder's inputs are bounded before any work (issue 11): form totals, the reorder
endpoint's JSON, NUL characters in fields. Each is a 400 with a message, never a 500 and
never a worker busy for seconds."""

import json

import pytest
from django.forms.forms import BaseForm
from django.urls import reverse

from tests.workflows.helpers import make_workflow
from workflows.editor import MAX_TOTAL_FORMS
from workflows.forms import MAX_FORMS_PER_FORMSET
from workflows.models import Workflow

pytestmark = pytest.mark.django_db

NEW = "/workflows/new/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def forms_built(monkeypatch):
    """How many Django forms the request constructs: the work a POST costs."""
    count = {"forms": 0}
    original = BaseForm.__init__

    def counting(self, *args, **kwargs):
        count["forms"] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(BaseForm, "__init__", counting)
    return count


def base_post(**extra) -> dict:
    return {
        "name": "Big",
        "status": "draft",
        "trigger": "customer_any_message",
        "frequency": "once",
        "a-match": "all",
        "a-r-TOTAL_FORMS": "0",
        "a-r-INITIAL_FORMS": "0",
        "a-g-TOTAL_FORMS": "0",
        "a-g-INITIAL_FORMS": "0",
        "s-TOTAL_FORMS": "0",
        "s-INITIAL_FORMS": "0",
        "action": "save",
        **extra,
    }


def test_a_total_of_a_hundred_million_billion_forms_is_refused_before_building_any(
    admin_client, forms_built
):
    data = base_post(**{"s-TOTAL_FORMS": "99999999999999999999"})

    response = admin_client.post(NEW, data)

    assert response.status_code == 400
    assert b"forms" in response.content
    assert forms_built["forms"] < 50
    assert not Workflow.objects.exists()


def test_nested_formsets_of_300_forms_each_are_refused_before_building_them(
    admin_client, forms_built
):
    data = base_post(**{"s-TOTAL_FORMS": "300"})
    for index in range(300):
        data[f"s-{index}-type"] = "branches"
        data[f"s-{index}-p-TOTAL_FORMS"] = "300"
        data[f"s-{index}-p-INITIAL_FORMS"] = "0"

    response = admin_client.post(NEW, data)

    assert response.status_code == 400
    assert forms_built["forms"] < 50
    assert not Workflow.objects.exists()


def test_adding_a_form_past_the_total_bound_is_refused(admin_client, forms_built):
    data = base_post(**{"s-TOTAL_FORMS": str(MAX_TOTAL_FORMS + 1), "action": "add:s:close"})

    response = admin_client.post(NEW, data)

    assert response.status_code == 400
    assert forms_built["forms"] < 50


def test_a_negative_or_junk_total_is_refused(admin_client):
    for total in ("-5", "abc", "1e9"):
        response = admin_client.post(NEW, base_post(**{"s-TOTAL_FORMS": total}))

        assert response.status_code == 400


def test_forms_within_the_bounds_still_save(admin_client):
    data = base_post(**{"s-TOTAL_FORMS": "2"})
    data.update({"s-0-type": "close", "s-1-type": "add_tag", "s-1-tag": "vip"})

    response = admin_client.post(NEW, data)

    assert response.status_code == 302
    assert Workflow.objects.get().steps == [{"type": "close"}, {"type": "add_tag", "tag": "vip"}]


def test_the_bounds_leave_room_for_the_builders_own_limit():
    assert MAX_FORMS_PER_FORMSET <= MAX_TOTAL_FORMS


def test_a_nul_in_a_builder_field_is_a_form_error(admin_client):
    data = base_post(**{"name": "a\x00b", "s-TOTAL_FORMS": "1", "s-0-type": "close"})

    response = admin_client.post(NEW, data)

    assert response.status_code == 400
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        '{"trigger": "customer_any_message", "order": [1e400]}',
        '{"trigger": "customer_any_message", "order": [NaN]}',
        '{"trigger": "customer_\\u0000any_message", "order": [1]}',
        '{"trigger": "\\ud800", "order": [1]}',
        '{"trigger": "customer_any_message", "order": [' + "[" * 100_000 + "]}",
        '{"trigger": "customer_any_message", "order": [99999999999999999999999]}',
        '{"trigger": "customer_any_message", "order": "12"}',
        "[1, 2]",
        '"text"',
    ],
)
def test_the_reorder_endpoint_refuses_hostile_json_with_a_400(admin_client, body):
    first = make_workflow("First")

    response = admin_client.post(
        reverse("workflows:reorder"), body.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 400
    assert json.loads(response.content)
    first.refresh_from_db()
    assert first.priority == 0
