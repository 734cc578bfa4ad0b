"""/api/webhooks/: admins only; bad URLs and event types refused with the field named;
the secret shown once."""

import pytest

from conversations import services as conversation_services
from tests.api.conftest import client_with
from tests.factories import ContactFactory
from tests.webhooks.helpers import process_and_send
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_an_admin_creates_an_endpoint_and_sees_its_secret_once(admin_api, receiver):
    created = admin_api.post(
        "/api/webhooks/", {"url": receiver.url, "events": ["conversation.opened"]}, format="json"
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    assert body["active"] is True and body["events"] == ["conversation.opened"]
    read = admin_api.get(f"/api/webhooks/{body['id']}/").json()
    assert "secret" not in read
    assert body["secret"] not in str(admin_api.get("/api/webhooks/").json())


def test_a_given_secret_is_used_and_never_read_back(admin_api, receiver):
    secret = "my-own-secret-of-32-characters!!"
    created = admin_api.post(
        "/api/webhooks/", {"url": receiver.url, "events": ["*"], "secret": secret}, format="json"
    )
    assert created.json()["secret"] == secret
    assert WebhookEndpoint.objects.get().secret == secret
    patched = admin_api.patch(
        f"/api/webhooks/{created.json()['id']}/", {"active": False}, format="json"
    )
    assert patched.status_code == 200 and "secret" not in patched.json()
    assert patched.json()["active"] is False


def test_teammates_and_anonymous_callers_are_refused(teammate_api, anonymous_api, receiver):
    body = {"url": receiver.url, "events": ["*"]}
    assert teammate_api.get("/api/webhooks/").status_code == 403
    assert teammate_api.post("/api/webhooks/", body, format="json").status_code == 403
    assert anonymous_api.get("/api/webhooks/").status_code in (401, 403)
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.com/hook", "http"),
        ("not a url", "URL"),
        ("http://10.0.0.7/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "private"),
        ("http://localhost:8000/hook", "private"),
    ],
)
def test_bad_or_refused_urls_are_a_400_naming_the_url(admin_api, url, words):
    answer = admin_api.post("/api/webhooks/", {"url": url, "events": ["*"]}, format="json")

    assert answer.status_code == 400
    assert words in " ".join(answer.json()["url"])
    assert WebhookEndpoint.objects.count() == 0


def test_unknown_event_types_and_short_secrets_are_a_400_naming_the_field(admin_api, receiver):
    unknown = admin_api.post(
        "/api/webhooks/", {"url": receiver.url, "events": ["conversation.closed"]}, format="json"
    )
    assert unknown.status_code == 400 and "conversation.closed" in unknown.json()["events"][0]
    short = admin_api.post(
        "/api/webhooks/", {"url": receiver.url, "events": ["*"], "secret": "abc"}, format="json"
    )
    assert short.status_code == 400 and "secret" in short.json()
    assert WebhookEndpoint.objects.count() == 0


def test_deliveries_list_their_attempts_and_redeliver_sends_the_same_id_again(
    admin_api, receiver, django_capture_on_commit_callbacks
):
    endpoint_id = admin_api.post(
        "/api/webhooks/", {"url": receiver.url, "events": ["conversation.opened"]}, format="json"
    ).json()["id"]
    receiver.answers = [(500, 0)]
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="Hi")
    process_and_send(conversation, django_capture_on_commit_callbacks)

    listed = admin_api.get(f"/api/webhooks/{endpoint_id}/deliveries/").json()["results"]
    [delivery] = listed
    assert delivery["type"] == "conversation.opened" and delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]
    assert delivery["attempts"][0]["error"] == "HTTP 500"
    assert {"at", "duration_ms", "answer_start"} <= set(delivery["attempts"][1])

    with django_capture_on_commit_callbacks(execute=True):
        again = admin_api.post(
            f"/api/webhooks/{endpoint_id}/deliveries/{delivery['id']}/redeliver/"
        )
    assert again.status_code == 202
    assert [r.delivery_id for r in receiver.received] == [delivery["id"]] * 3
    assert WebhookDelivery.objects.get().attempts.count() == 3
    assert teammate_forbidden(endpoint_id, delivery["id"])


def teammate_forbidden(endpoint_id, delivery_id):
    from rest_framework.authtoken.models import Token

    from tests.factories import TeammateFactory

    api = client_with(f"Token {Token.objects.create(user=TeammateFactory()).key}")
    return (
        api.get(f"/api/webhooks/{endpoint_id}/deliveries/").status_code == 403
        and api.post(f"/api/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver/").status_code
        == 403
    )


def test_an_unknown_delivery_is_a_404(admin_api, receiver):
    endpoint_id = admin_api.post(
        "/api/webhooks/", {"url": receiver.url, "events": ["*"]}, format="json"
    ).json()["id"]
    missing = "00000000-0000-0000-0000-000000000000"
    answer = admin_api.post(f"/api/webhooks/{endpoint_id}/deliveries/{missing}/redeliver/")
    assert answer.status_code == 404


def test_endpoint_changes_are_audited_without_the_secret(admin_api, admin_user, receiver):
    secret = "my-own-secret-of-32-characters!!"
    created = admin_api.post(
        "/api/webhooks/", {"url": receiver.url, "events": ["*"], "secret": secret}, format="json"
    ).json()
    admin_api.patch(f"/api/webhooks/{created['id']}/", {"active": False}, format="json")
    admin_api.delete(f"/api/webhooks/{created['id']}/")

    entries = admin_api.get("/api/audit/?object_type=webhook").json()["results"]

    assert [e["action"] for e in entries] == ["deleted", "changed", "created"]
    assert entries[1]["changes"] == [{"field": "active", "before": "yes", "after": "no"}]
    assert {e["actor"] for e in entries} == {admin_user.pk}
    assert secret not in str(entries)
