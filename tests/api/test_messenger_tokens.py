"""API.md "Safer writes": messenger tokens are shown once and can be rotated by admins."""

import pytest

from conversations.models import Contact
from tests.api.conftest import client_with

pytestmark = pytest.mark.django_db


def rotate_url(contact):
    return f"/api/contacts/{contact.pk}/messenger-token/"


def test_it_returns_the_messenger_token_when_a_contact_is_created(teammate_api):
    response = teammate_api.post("/api/contacts/", {"name": "Ines"}, format="json")

    assert response.status_code == 201
    token = response.json()["messenger_token"]
    assert token == Contact.objects.get(pk=response.json()["id"]).messenger_token


@pytest.mark.parametrize("caller", ["teammate_api", "admin_api"])
def test_contact_reads_never_show_a_messenger_token(request, caller, customer):
    api = request.getfixturevalue(caller)

    listed = api.get("/api/contacts/").json()["results"]
    detail = api.get(f"/api/contacts/{customer.pk}/").json()
    filtered = api.get("/api/contacts/", {"email": customer.email}).json()["results"]

    assert listed and all("messenger_token" not in contact for contact in listed)
    assert "messenger_token" not in detail and detail["id"] == customer.pk
    assert filtered and "messenger_token" not in filtered[0]
    assert customer.messenger_token not in str(listed) + str(detail)


def test_an_admin_rotates_a_token_and_the_old_one_stops_working_at_once(admin_api, customer):
    old = customer.messenger_token
    assert client_with(f"Contact {old}").get("/api/conversations/").status_code == 200

    response = admin_api.post(rotate_url(customer))

    assert response.status_code == 200
    new = response.json()["messenger_token"]
    assert new != old and len(new) > 20
    assert response.json()["id"] == customer.pk
    for scheme in ("Contact", "Token"):
        assert client_with(f"{scheme} {old}").get("/api/conversations/").status_code == 401
        assert client_with(f"{scheme} {new}").get("/api/conversations/").status_code == 200
    customer.refresh_from_db()
    assert customer.messenger_token == new


def test_an_old_token_link_no_longer_opens_the_messenger(admin_api, client, customer):
    old = customer.messenger_token
    admin_api.post(rotate_url(customer))

    response = client.get("/messenger/", {"token": old})

    assert response.status_code == 404
    assert "This Messenger link is not valid" in response.content.decode()


@pytest.mark.parametrize(
    ("caller", "status"),
    [("teammate_api", 403), ("customer_api", 403), ("other_customer_api", 403),
     ("anonymous_api", 401)],
)  # fmt: skip
def test_only_workspace_admins_rotate_tokens(request, caller, status, customer):
    old = customer.messenger_token

    response = request.getfixturevalue(caller).post(rotate_url(customer))

    assert response.status_code == status
    customer.refresh_from_db()
    assert customer.messenger_token == old


def test_rotating_an_unknown_contact_is_a_404(admin_api):
    assert admin_api.post("/api/contacts/99999/messenger-token/").status_code == 404
