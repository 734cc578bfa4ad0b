"""The builder's diagram: a pure layout of the document's boxes and connectors."""

import pytest

from workflows import vocabulary
from workflows.builder_templates import TEMPLATES
from workflows.demo import DEMO_WORKFLOWS
from workflows.diagram import BOX_WIDTH, H_GAP, layout

SEED_EXAMPLE = {
    "name": "Route Pro customers",
    "trigger": "customer_first_message",
    "frequency": "once",
    "audience": {"match": "all", "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
        {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500}]},
    "steps": [
        {"type": "add_tag", "tag": "VIP"},
        {"type": "apply_rules", "rules": [
            {"when": {"match": "all", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": "Pro"}]},
             "steps": [{"type": "apply_sla", "sla": "Standard"}]},
            {"when": {"match": "all", "rules": [
                {"attribute": "conversation.tags", "operator": "contains", "value": "VIP"}]},
             "steps": [{"type": "add_tag", "tag": "Priority"}, {"type": "set_priority", "priority": True}]},
        ]},
        {"type": "assign", "team": "Support"},
    ],
}  # fmt: skip

DOCUMENTS = {
    "seed": SEED_EXAMPLE,
    **{f"template {key}": t["document"] for key, t in TEMPLATES.items()},
    **{f"demo {d['name']}": d for d in DEMO_WORKFLOWS},
}


def overlaps(a, b) -> bool:
    return (
        a.x < b.x + b.width
        and b.x < a.x + a.width
        and a.y < b.y + b.height
        and b.y < a.y + a.height
    )


def texts(diagram) -> list[str]:
    return [" ".join(box.lines) for box in diagram.boxes]


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_no_two_boxes_overlap_and_all_fit_the_drawing(document):
    diagram = layout(document)

    boxes = diagram.boxes
    assert all(not overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert all(box.x >= 0 and box.x + box.width <= diagram.width for box in boxes)
    assert all(box.y >= 0 and box.y + box.height <= diagram.height for box in boxes)


def test_every_step_appears_once_in_the_seeds_example_and_every_box_is_connected():
    diagram = layout(SEED_EXAMPLE)

    assert texts(diagram) == [
        "When: Customer sends their first message",
        "Who: Plan is Pro and Monthly spend is greater than 500",
        "Add tag “VIP”",
        "Apply rules: run every entry that matches",
        "Rule entry 1: Plan is Pro",
        "Apply SLA “Standard”",
        "Rule entry 2: Tags contains “VIP”",
        "Add tag “Priority”",
        "Mark as priority",
        "Assign to team “Support”",
    ]
    arrive = {edge.points[-1] for edge in diagram.edges}
    # Every box but the trigger has a connector ending on its top centre.
    assert all((box.center, box.y) in arrive for box in diagram.boxes[1:])
    # Both entries join the assignment: two connectors end on it.
    assign = diagram.boxes[-1]
    assert [edge.points[-1] for edge in diagram.edges].count((assign.center, assign.y)) == 2


def test_paths_fan_out_side_by_side_below_their_step():
    diagram = layout(SEED_EXAMPLE)
    by_text = dict(zip(texts(diagram), diagram.boxes, strict=True))

    step = by_text["Apply rules: run every entry that matches"]
    first = by_text["Rule entry 1: Plan is Pro"]
    second = by_text["Rule entry 2: Tags contains “VIP”"]
    assert first.y == second.y > step.y + step.height
    assert second.x >= first.x + BOX_WIDTH + H_GAP
    assert first.x < step.center < second.x + second.width
    # Each entry's steps are in its own column, below it.
    assert by_text["Apply SLA “Standard”"].x == first.x
    assert by_text["Mark as priority"].x == second.x
    # The flow goes on below the longer path.
    assert by_text["Assign to team “Support”"].y > by_text["Mark as priority"].y


def test_branches_have_an_otherwise_path_and_buttons_their_labels():
    document = {
        "trigger": "customer_opened_conversation",
        "steps": [
            {"type": "reply_buttons", "body": "Which?", "buttons": [
                {"label": "Sales", "steps": []}, {"label": "Billing", "steps": [
                    {"type": "branches", "branches": [{"when": {"match": "any", "rules": [
                        {"attribute": "time.office_hours", "operator": "is", "value": True}]},
                        "steps": [{"type": "close"}]}], "else": [{"type": "add_note", "body": "Later"}]}]},
            ]},
        ],
    }  # fmt: skip

    diagram = layout(document)

    assert texts(diagram)[2:] == [
        "Ask “Which?” with reply buttons",
        "Button “Sales”",
        "Button “Billing”",
        "Take the first branch that matches",
        "Branch 1: During office hours is yes",
        "Close the conversation",
        vocabulary.OTHERWISE,
        "Add note “Later”",
    ]
    boxes = diagram.boxes
    assert all(not overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_long_words_wrap_and_a_huge_document_stays_bounded():
    step = {"type": "add_note", "body": "word " * 200}
    document = {"trigger": "customer_any_message", "steps": [step] * 1000}

    diagram = layout(document)

    assert len(diagram.boxes) <= 301
    assert " ".join(diagram.boxes[-1].lines) == "… more steps"
    assert all(len(box.lines) <= 3 for box in diagram.boxes)


def test_an_invalid_document_is_drawn_as_far_as_it_can_be_read():
    diagram = layout({"trigger": ["x"], "audience": "everyone", "steps": [5, {"type": 7}, {}]})

    assert texts(diagram)[:2] == ["When: (no trigger)", "Who: Everyone"]
