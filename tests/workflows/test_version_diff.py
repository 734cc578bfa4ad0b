"""What changed between two versions, in the builder's words (pure: no database)."""

from workflows.version_diff import change_words, changes

BASE = {
    "name": "Route",
    "status": "live",
    "trigger": "customer_first_message",
    "trigger_options": {},
    "frequency": "once",
    "audience": {"match": "all", "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Free"}]},
    "steps": [
        {"type": "add_tag", "tag": "new"},
        {"type": "assign", "team": "Support"},
    ],
}  # fmt: skip


def edited(**fields):
    return {**BASE, **fields}


def test_the_same_document_has_no_changes_and_the_status_is_not_one():
    assert change_words(BASE, BASE) == []
    assert change_words(BASE, edited(status="paused")) == []


def test_a_rule_added_and_one_removed_are_said_as_rules():
    audience = {"match": "all", "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Pro"}]}  # fmt: skip

    assert change_words(BASE, edited(audience=audience)) == [
        "Rule removed: Plan is Free",
        "Rule added: Plan is Pro",
    ]


def test_a_changed_step_says_its_place_and_both_sentences():
    steps = [BASE["steps"][0], {"type": "assign", "team": "Billing"}]

    assert change_words(BASE, edited(steps=steps)) == [
        "Step 2 changed: Assign to team “Support” → Assign to team “Billing”"
    ]


def test_a_step_added_in_front_shifts_nothing_else():
    steps = [{"type": "close"}, *BASE["steps"]]

    assert change_words(BASE, edited(steps=steps)) == ["Step 1 added: Close the conversation"]


def test_a_removed_step_is_named_by_its_old_place():
    assert change_words(BASE, edited(steps=BASE["steps"][1:])) == ["Step 1 removed: Add tag “new”"]


def test_changes_inside_a_branch_name_the_path_and_the_otherwise():
    def branching(inner, otherwise):
        return edited(steps=[{"type": "branches", "branches": [
            {"when": {"match": "all", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": "Pro"}]},
             "steps": inner}], "else": otherwise}])  # fmt: skip

    before = branching([{"type": "add_tag", "tag": "vip"}], [])
    after = branching([{"type": "add_tag", "tag": "vip"}, {"type": "close"}], [{"type": "close"}])

    assert change_words(before, after) == [
        "Step 1 › Branch 1 › Step 2 added: Close the conversation",
        "Step 1 › Otherwise › Step 1 added: Close the conversation",
    ]


def test_a_branch_condition_change_is_said_with_both_conditions():
    def branch(plan):
        return edited(steps=[{"type": "branches", "branches": [
            {"when": {"match": "all", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": plan}]},
             "steps": []}], "else": []}])  # fmt: skip

    assert change_words(branch("Pro"), branch("Team")) == [
        "Step 1 › Branch 1 changed: Plan is Pro → Plan is Team"
    ]


def test_name_trigger_frequency_and_match_are_said_in_words():
    after = edited(
        name="Route all",
        trigger="customer_any_message",
        frequency="every_time",
        audience={**BASE["audience"], "match": "any"},
    )

    assert change_words(BASE, after) == [
        "Renamed: “Route” → “Route all”",
        "Trigger changed: Customer sends their first message → Customer sends any message",
        "How often changed: Once per conversation → Every time",
        "Targeting changed: all of the rules → any of the rules",
    ]


def test_records_are_plain_data_with_a_kind():
    found = changes(BASE, edited(steps=[]))

    assert [change["kind"] for change in found] == ["step_removed", "step_removed"]
    assert found[0]["place"] == (("step", 1),)


def test_broken_documents_do_not_raise():
    assert change_words({}, {"steps": "nonsense", "audience": []}) == []
    assert change_words(None, BASE)[0].startswith("Renamed")
