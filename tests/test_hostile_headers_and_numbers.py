"""Values that look harmless to Python but not to the database or int(): a forged
session cookie with NUL, and digits that are not ASCII ("²"), on every kind of page."""

import pytest

from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/messenger/", "/inbox/", "/api/conversations/"])
def test_a_session_cookie_with_nul_counts_as_no_session(client, url):
    client.cookies["sessionid"] = "aaaaaaaaaa\x00b"

    response = client.get(url)

    assert response.status_code in (200, 302, 401, 403)
    if url == "/inbox/":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_inbox_view_named_with_a_superscript_digit_falls_back_to_your_inbox(client):
    client.force_login(AdminFactory())

    response = client.get("/inbox/", {"view": "team-²"})

    assert response.status_code == 200
    assert response.context["view"] == "mine"


@pytest.mark.parametrize("total", ["²", "٣"])
def test_a_builder_form_total_in_other_digits_is_a_form_error(client, total):
    client.force_login(AdminFactory())

    response = client.post("/workflows/new/", {"name": "x", "steps-TOTAL_FORMS": total})

    assert response.status_code == 400
