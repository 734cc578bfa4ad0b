"""The assign step's older spelling (`round_robin: true`) is read, shown and saved as the
method "round_robin": the builder offers one way to say it."""

import re

import pytest
from django.urls import reverse

from tests.workflows.helpers import make_workflow
from tests.workflows.test_pages_builder import post_data_for

pytestmark = pytest.mark.django_db


def test_round_robin_opens_as_the_method_and_saves_as_it(admin_client, support_team):
    workflow = make_workflow(
        "Router",
        status="paused",
        steps=[{"type": "assign", "team": "Support", "round_robin": True}],
    )
    url = reverse("workflows:edit", args=[workflow.pk])

    page = admin_client.get(url).content.decode()

    assert not re.search(r'type="checkbox"[^>]*name="[^"]*round_robin"', page)
    assert re.search(r'<option value="round_robin" selected>', page)
    # What the browser posts: the shown fields only (the older spelling is not among them).
    posted = {
        name: value
        for name, value in post_data_for(workflow.document()).items()
        if not name.endswith("round_robin")
    }
    response = admin_client.post(url, posted)

    assert response.status_code == 302
    workflow.refresh_from_db()
    assert workflow.steps == [{"type": "assign", "team": "Support", "method": "round_robin"}]
