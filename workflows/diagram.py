"""A workflow document laid out as a diagram: boxes and connectors with coordinates.

Pure Python (no Django): `layout(document)` returns a `Diagram` that the builder's
preview (templates/workflows/_preview.html) draws as inline SVG. The flow runs top to
bottom: the trigger, who it is for, then the steps; a step with paths (branches,
apply-rules entries, reply buttons) fans its paths out side by side, each headed by a
box that says the path's condition or label, and the flow joins again below the
longest one. Every word comes from the vocabulary.
"""

import textwrap
from dataclasses import dataclass, field

from workflows import vocabulary
from workflows.engine.steps import STEPS_PATH, step_type

BOX_WIDTH = 200
LINE_CHARS = 28  # characters per line of a box's text (at the template's font size)
MAX_LINES = 3
LINE_HEIGHT = 16
PADDING = 10
H_GAP = 24  # between paths side by side
V_GAP = 28  # between a box and the next one down
MARGIN = 12
MIN_SCALE = 0.65  # how far the drawing shrinks to fit the preview's column
# Boxes drawn at most: a huge document stays a bounded page.
MAX_BOXES = 300


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int
    kind: str  # trigger, audience, step, path, otherwise, more
    lines: tuple

    @property
    def center(self) -> int:
        return self.x + self.width // 2

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def rows(self) -> tuple:
        """(baseline y, line) of each line of the box's text."""
        return tuple(
            (self.y + PADDING + LINE_HEIGHT * (index + 1) - 4, line)
            for index, line in enumerate(self.lines)
        )


@dataclass(frozen=True)
class Edge:
    points: tuple  # ((x, y), ...): down, across, down

    @property
    def path(self) -> str:
        return "M " + " L ".join(f"{x} {y}" for x, y in self.points)


@dataclass
class Diagram:
    boxes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    width: int = 0
    height: int = 0

    @property
    def min_width(self) -> int:
        """Drawn at most this much narrower than its size (then it scrolls sideways)."""
        return int(self.width * MIN_SCALE)


def wrap(text: str) -> tuple:
    lines = textwrap.wrap(text, LINE_CHARS, break_long_words=True) or [""]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1][: LINE_CHARS - 1].rstrip() + "…"
    return tuple(lines)


# --- the tree to lay out --------------------------------------------------------------------


@dataclass
class _Node:
    kind: str
    lines: tuple
    paths: list = field(default_factory=list)  # [(_Node header, [_Node ...])]

    @property
    def box_height(self) -> int:
        return PADDING * 2 + LINE_HEIGHT * len(self.lines)


class _Builder:
    def __init__(self):
        self.budget = MAX_BOXES

    def node(self, kind, text) -> _Node:
        self.budget -= 1
        return _Node(kind, wrap(text))

    def steps(self, steps) -> list:
        nodes = []
        for step in steps if isinstance(steps, list) else []:
            if self.budget <= 1:
                nodes.append(_Node("more", wrap("… more steps")))
                break
            if not isinstance(step, dict):
                continue
            node = self.node("step", vocabulary.step_words(step))
            kind = step_type(step.get("type"))
            if kind is not None and kind.paths is not None and kind.paths.kind == STEPS_PATH:
                header = self.node("otherwise", kind.paths.path_label)  # on_failure
                node.paths.append((header, self.steps(step.get(kind.paths.key))))
            elif kind is not None and kind.paths is not None:
                entries = step.get(kind.paths.key) or []
                for number, entry in enumerate(entries, start=1):
                    if not isinstance(entry, dict):
                        continue
                    words = vocabulary.path_words(step.get("type"), number, entry)
                    node.paths.append((self.node("path", words), self.steps(entry.get("steps"))))
                if kind.paths.has_else:
                    header = self.node("otherwise", vocabulary.OTHERWISE)
                    node.paths.append((header, self.steps(step.get("else"))))
            nodes.append(node)
        return nodes


def _seq_width(nodes) -> int:
    return max((_node_width(node) for node in nodes), default=BOX_WIDTH)


def _node_width(node: _Node) -> int:
    if not node.paths:
        return BOX_WIDTH
    columns = [_seq_width([header, *steps]) for header, steps in node.paths]
    return max(BOX_WIDTH, sum(columns) + H_GAP * (len(columns) - 1))


def _seq_height(nodes) -> int:
    if not nodes:
        return 0
    return sum(_node_height(node) for node in nodes) + V_GAP * (len(nodes) - 1)


def _node_height(node: _Node) -> int:
    if not node.paths:
        return node.box_height
    tallest = max(_seq_height([header, *steps]) for header, steps in node.paths)
    return node.box_height + V_GAP + tallest


# --- placing ----------------------------------------------------------------------------


def _connect(diagram: Diagram, exits: list, box: Box) -> None:
    for x, y in exits:
        if x == box.center:
            diagram.edges.append(Edge(((x, y), (box.center, box.y))))
        else:
            middle = box.y - V_GAP // 2
            diagram.edges.append(
                Edge(((x, y), (x, middle), (box.center, middle), (box.center, box.y)))
            )


def _place_seq(diagram, nodes, left, top, width, exits) -> list:
    """Place nodes down a column `width` wide from (left, top); connect the first one to
    `exits` (points the flow arrives from). Returns the points the flow leaves from."""
    y = top
    for node in nodes:
        box = Box(
            left + (width - BOX_WIDTH) // 2, y, BOX_WIDTH, node.box_height, node.kind, node.lines
        )
        diagram.boxes.append(box)
        _connect(diagram, exits, box)
        exits = [(box.center, box.bottom)]
        if node.paths:
            node_width = _node_width(node)
            column_left = left + (width - node_width) // 2
            columns = [_seq_width([header, *steps]) for header, steps in node.paths]
            spare = node_width - (sum(columns) + H_GAP * (len(columns) - 1))
            column_left += spare // 2
            path_exits = []
            for (header, steps), column in zip(node.paths, columns, strict=True):
                path_exits += _place_seq(
                    diagram,
                    [header, *steps],
                    column_left,
                    box.bottom + V_GAP,
                    column,
                    [(box.center, box.bottom)],
                )
                column_left += column + H_GAP
            exits = path_exits
        y += _node_height(node) + V_GAP
    return exits


def layout(document) -> Diagram:
    """The diagram of a workflow document (valid or not: what can be read is drawn)."""
    document = document if isinstance(document, dict) else {}
    builder = _Builder()
    trigger = document.get("trigger")
    nodes = [
        builder.node(
            "trigger",
            "When: " + vocabulary.trigger_words(trigger, document.get("trigger_options")),
        )
    ]
    if trigger != "reusable":
        nodes.append(
            builder.node("audience", "Who: " + vocabulary.group_words(document.get("audience")))
        )
    nodes += builder.steps(document.get("steps"))
    width = _seq_width(nodes)
    diagram = Diagram()
    _place_seq(diagram, nodes, MARGIN, MARGIN, width, [])
    diagram.width = width + 2 * MARGIN
    diagram.height = _seq_height(nodes) + 2 * MARGIN
    return diagram
