"""Macros and bulk actions over the API (API.md "Routing, macros, bulk actions")."""

import pytest
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, Part
from tests.factories import ContactFactory, TeamFactory
from tests.workflows.helpers import make_workflow, process, runs_of, tag_names
from workflows.models import Macro

pytestmark = pytest.mark.django_db

REFUND = {
    "name": "Refund done",
    "shared": True,
    "steps": [
        {"type": "add_tag", "tag": "refund"},
        {"type": "reply", "body": "Your refund is on its way."},
        {"type": "close"},
    ],
}


def open_conversation(body="Where is my refund?"):
    return services.conversation_open(contact=ContactFactory(), body=body)


def test_a_macro_is_saved_with_its_steps_in_words(teammate_api):
    response = teammate_api.post("/api/macros/", REFUND, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["shared"], body["owner_name"]) == ("Refund done", True, "Ben")
    assert body["words"] == [
        "Add tag “refund”",
        "Reply “Your refund is on its way.”",
        "Close the conversation",
    ]


@pytest.mark.parametrize(
    ("steps", "place", "message"),
    [
        ([], "steps", "Add at least one step or a reply."),
        ([{"type": "wait", "duration": "1h"}], "steps[0].type", 'A macro cannot use "Wait"'),
        ([{"type": "send_message", "body": "Hi"}], "steps[0].type", "A macro cannot use"),
        ([{"type": "add_tag"}], "steps[0].tag", "This field is required."),
        ([{"type": "assign", "team": "Nobody"}], "steps[0].team", 'No team named "Nobody".'),
        ([{"type": "reply", "body": " "}], "steps[0].body", "This field is required."),
        ([{"type": "reply", "body": "a"}, {"type": "reply", "body": "b"}], "steps[1]", "one reply"),
        ([{"type": "explode"}], "steps[0].type", "Unknown step type"),
        ([{"type": "reply", "body": "Hi {{contact.shoe_size}}"}], "steps[0].body", "shoe_size"),
    ],
)
def test_a_macro_with_a_bad_step_is_refused_naming_the_place(teammate_api, steps, place, message):
    response = teammate_api.post("/api/macros/", {"name": "Bad", "steps": steps}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert message in " ".join(errors[place]), errors
    assert not Macro.objects.exists()


def test_a_teammate_sees_shared_macros_and_their_own_only_the_owner_or_an_admin_edits(
    teammate_api, other_teammate_api, admin_api
):
    shared = teammate_api.post("/api/macros/", REFUND, format="json").json()
    personal = teammate_api.post(
        "/api/macros/", {**REFUND, "name": "Mine", "shared": False}, format="json"
    ).json()

    names = [m["name"] for m in other_teammate_api.get("/api/macros/").json()["results"]]
    assert names == ["Refund done"]
    assert other_teammate_api.get(f"/api/macros/{personal['id']}/").status_code == 404
    refused = other_teammate_api.patch(
        f"/api/macros/{shared['id']}/", {"name": "Hijacked"}, format="json"
    )
    assert refused.status_code == 403
    assert other_teammate_api.delete(f"/api/macros/{shared['id']}/").status_code == 403

    renamed = admin_api.patch(f"/api/macros/{shared['id']}/", {"name": "Refunded"}, format="json")
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Refunded")
    assert teammate_api.delete(f"/api/macros/{personal['id']}/").status_code == 204


def test_running_a_macro_acts_as_the_teammate_and_the_timeline_says_via_macro(
    teammate_api, teammate, client
):
    macro = teammate_api.post("/api/macros/", REFUND, format="json").json()
    first, second = open_conversation(), open_conversation()

    response = teammate_api.post(
        f"/api/macros/{macro['id']}/run/",
        {"conversations": [first.pk, second.pk, 987654]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"conversation": first.pk, "ok": True, "error": ""},
        {"conversation": second.pk, "ok": True, "error": ""},
        {"conversation": 987654, "ok": False, "error": "no such conversation"},
    ]
    first.refresh_from_db()
    assert first.state == Conversation.State.CLOSED
    assert tag_names(first) == ["refund"]
    reply = first.parts.get(part_type="teammate_reply")
    assert (reply.author_name, reply.body) == ("Ben", "Your refund is on its way.")
    client.force_login(teammate)
    timeline = client.get(f"/inbox/conversations/{first.pk}/").content.decode()
    assert "Ben via macro &quot;Refund done&quot; closed this conversation" in timeline


def test_a_failing_step_undoes_that_conversation_only_and_is_named(teammate_api):
    macro = teammate_api.post(
        "/api/macros/",
        {
            "name": "Snooze far",
            "steps": [{"type": "add_tag", "tag": "later"}, {"type": "assign", "teammate": "ben"}],
        },
        format="json",
    ).json()
    conversation = open_conversation()
    Macro.objects.filter(pk=macro["id"]).update(
        steps=[{"type": "add_tag", "tag": "later"}, {"type": "assign", "teammate": "gone"}]
    )

    [result] = teammate_api.post(
        f"/api/macros/{macro['id']}/run/", {"conversations": [conversation.pk]}, format="json"
    ).json()["results"]

    assert result == {
        "conversation": conversation.pk,
        "ok": False,
        "error": 'Assign to teammate “gone”: no active teammate "gone"',
    }
    assert tag_names(conversation) == []  # the tag step was undone with it


def test_a_macro_run_fires_teammate_triggers_of_live_workflows(teammate_api):
    on_close = make_workflow(
        "Survey on close",
        trigger="teammate_changed_state",
        trigger_options={"state": "closed"},
        steps=[{"type": "add_tag", "tag": "surveyed"}],
    )
    macro = teammate_api.post(
        "/api/macros/", {"name": "Close it", "steps": [{"type": "close"}]}, format="json"
    ).json()
    conversation = open_conversation()

    teammate_api.post(
        f"/api/macros/{macro['id']}/run/", {"conversations": [conversation.pk]}, format="json"
    )
    process(conversation)

    assert runs_of(conversation, on_close).get().status == "completed"
    assert "surveyed" in tag_names(conversation)


def test_run_refuses_too_many_or_bad_ids(teammate_api):
    macro = teammate_api.post("/api/macros/", REFUND, format="json").json()
    url = f"/api/macros/{macro['id']}/run/"
    too_many = teammate_api.post(url, {"conversations": list(range(1, 502))}, format="json")
    assert too_many.status_code == 400 and "conversations" in too_many.json()
    assert teammate_api.post(url, {"conversations": ["x"]}, format="json").status_code == 400
    assert teammate_api.post(url, {"conversations": [2**70]}, format="json").status_code == 400


# --- bulk actions --------------------------------------------------------------------


def test_bulk_close_gives_a_result_per_conversation_naming_failures(teammate_api, as_teammate):
    first, second, closed = open_conversation(), open_conversation(), open_conversation()
    services.conversation_close(conversation=closed, acting=as_teammate)

    response = teammate_api.post(
        "/api/conversations/bulk/",
        {"conversations": [first.pk, second.pk, closed.pk, 999999], "action": "close"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"conversation": first.pk, "ok": True, "error": ""},
        {"conversation": second.pk, "ok": True, "error": ""},
        {"conversation": closed.pk, "ok": False, "error": "already closed"},
        {"conversation": 999999, "ok": False, "error": "no such conversation"},
    ]
    assert set(Conversation.objects.values_list("state", flat=True)) == {"closed"}
    closing = Part.objects.filter(conversation=first, part_type="closed").get()
    assert closing.author_name == "Ben"


def test_bulk_close_fires_teammate_changed_state(teammate_api):
    on_close = make_workflow(
        "Tag on close",
        trigger="teammate_changed_state",
        trigger_options={"state": "closed"},
        steps=[{"type": "add_tag", "tag": "closed-by-team"}],
    )
    conversation = open_conversation()
    teammate_api.post(
        "/api/conversations/bulk/",
        {"conversations": [conversation.pk], "action": "close"},
        format="json",
    )
    process(conversation)
    assert runs_of(conversation, on_close).count() == 1
    assert "closed-by-team" in tag_names(conversation)


def test_bulk_assign_snooze_and_tags(teammate_api, teammate):
    team = TeamFactory(name="Billing", members=[teammate])
    first, second = open_conversation(), open_conversation()
    ids = [first.pk, second.pk]

    def bulk(**body):
        return teammate_api.post(
            "/api/conversations/bulk/", {"conversations": ids, **body}, format="json"
        )

    assert bulk(action="assign", team_id=team.pk, assignee_id=teammate.pk).status_code == 200
    assert bulk(action="add_tag", tag="vip").status_code == 200
    assert bulk(action="remove_tag", tag="vip").status_code == 200
    until = (timezone.now() + timezone.timedelta(hours=2)).isoformat()
    assert all(r["ok"] for r in bulk(action="snooze", snoozed_until=until).json()["results"])
    for conversation in (first, second):
        conversation.refresh_from_db()
        assert (conversation.assignee, conversation.team) == (teammate, team)
        assert conversation.state == "snoozed"
        assert tag_names(conversation) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "close", "conversations": []}, "conversations"),
        ({"action": "close", "conversations": list(range(1, 502))}, "conversations"),
        ({"action": "explode", "conversations": [1]}, "action"),
        ({"action": "snooze", "conversations": [1]}, "snoozed_until"),
        ({"action": "add_tag", "conversations": [1]}, "tag"),
        ({"action": "assign", "conversations": [1]}, "assignee_id"),
        ({"action": "assign", "conversations": [1], "team_id": 424242}, "team_id"),
        ({"action": "close", "conversations": [1], "admin_id": 1}, "admin_id"),
    ],
)
def test_bulk_refuses_bad_input_with_field_messages(teammate_api, body, field):
    response = teammate_api.post("/api/conversations/bulk/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_contact_cannot_bulk(customer_api, customer):
    conversation = services.conversation_open(contact=customer, body="Hi")
    response = customer_api.post(
        "/api/conversations/bulk/",
        {"conversations": [conversation.pk], "action": "close"},
        format="json",
    )
    assert response.status_code in (401, 403)
    conversation.refresh_from_db()
    assert conversation.state == "open"


def test_the_reply_fills_in_its_placeholders_for_each_conversation(teammate_api):
    macro = teammate_api.post(
        "/api/macros/",
        {"name": "Hello", "steps": [
            {"type": "reply", "body": 'Hi {{contact.name | fallback: "there"}}!'}]},
        format="json",
    ).json()  # fmt: skip
    named = services.conversation_open(contact=ContactFactory(name="Maya"), body="Hi")
    nameless = services.conversation_open(contact=ContactFactory(name=""), body="Hi")

    teammate_api.post(
        f"/api/macros/{macro['id']}/run/",
        {"conversations": [named.pk, nameless.pk]},
        format="json",
    )

    replies = [c.parts.get(part_type="teammate_reply").body for c in (named, nameless)]
    assert replies == ["Hi Maya!", "Hi there!"]
