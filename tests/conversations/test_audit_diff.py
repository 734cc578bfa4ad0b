"""The audit log's field-by-field diff over plain snapshots (no database)."""

from conversations.audit import field_changes


def test_a_change_lists_only_the_fields_that_differ_by_their_places():
    before = {"name": "Greeter", "steps": [{"type": "add_tag", "tag": "hello"}], "priority": 0}
    after = {"name": "Greeter", "steps": [{"type": "add_tag", "tag": "welcome"}], "priority": 2}

    assert field_changes(before, after) == [
        {"field": "steps[0].tag", "before": "hello", "after": "welcome"},
        {"field": "priority", "before": "0", "after": "2"},
    ]


def test_a_creation_shows_each_set_field_once_and_skips_empty_ones():
    changes = field_changes(None, {"name": "Billing", "members": [], "office_hours_only": False})

    assert changes == [
        {"field": "name", "before": "—", "after": "Billing"},
        {"field": "office_hours_only", "before": "—", "after": "no"},
    ]


def test_lists_of_names_read_as_words_and_long_values_are_cut():
    changes = field_changes({"members": ["ann"]}, {"members": ["ann", "ben"], "note": "x" * 500})

    assert changes[0] == {"field": "members", "before": "ann", "after": "ann, ben"}
    assert len(changes[1]["after"]) == 300 and changes[1]["after"].endswith("…")
