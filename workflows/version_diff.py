"""What changed between two versions of a workflow, as records the builder says in words.

`changes(before, after)` is a pure function over two documents (API.md's format): a list
of records `{"kind", ...}` — the name, the trigger, how often, the targeting (its match
and each rule added or removed), and each step added, removed or changed, at any depth
(places as parts: `("step", 2), ("path", "branches", 1), ("step", 1)`). The words are
the vocabulary's (`vocabulary.version_change_words`); `change_words` gives them.
"""

import json
from difflib import SequenceMatcher

from workflows import vocabulary
from workflows.engine.steps import step_type

# A pair of very long step lists is compared position by position past this many
# steps (SequenceMatcher is quadratic); documents are bounded well below it anyway.
MAX_ALIGNED_STEPS = 500


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def changes(before: dict, after: dict) -> list[dict]:
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    found = []
    if before.get("name") != after.get("name"):
        found.append({"kind": "name", "before": before.get("name"), "after": after.get("name")})
    old_trigger = (before.get("trigger"), before.get("trigger_options") or {})
    new_trigger = (after.get("trigger"), after.get("trigger_options") or {})
    if _key(old_trigger) != _key(new_trigger):
        found.append({"kind": "trigger", "before": old_trigger, "after": new_trigger})
    if before.get("frequency", "once") != after.get("frequency", "once"):
        found.append(
            {
                "kind": "frequency",
                "before": before.get("frequency", "once"),
                "after": after.get("frequency", "once"),
            }
        )
    found += _audience_changes(before.get("audience"), after.get("audience"))
    found += _step_changes(before.get("steps"), after.get("steps"), ())
    return found


def change_words(before: dict, after: dict) -> list[str]:
    """The changes in words, in order: ["Rule added: Plan is Pro", …]."""
    return [vocabulary.version_change_words(change) for change in changes(before, after)]


def _rules(group) -> list:
    if not isinstance(group, dict) or not isinstance(group.get("rules"), list):
        return []
    return group["rules"]


def _match(group) -> str:
    return group.get("match", "all") if isinstance(group, dict) else "all"


def _audience_changes(before, after) -> list[dict]:
    found = []
    old_rules, new_rules = _rules(before), _rules(after)
    if old_rules and new_rules and _match(before) != _match(after):
        found.append({"kind": "match", "before": _match(before), "after": _match(after)})
    old_keys = {_key(rule) for rule in old_rules}
    new_keys = {_key(rule) for rule in new_rules}
    found += [
        {"kind": "rule_removed", "rule": rule} for rule in old_rules if _key(rule) not in new_keys
    ]
    found += [
        {"kind": "rule_added", "rule": rule} for rule in new_rules if _key(rule) not in old_keys
    ]
    return found


def _list(steps) -> list:
    return [step for step in steps if isinstance(step, dict)] if isinstance(steps, list) else []


def _step_changes(before, after, place: tuple) -> list[dict]:
    old, new = _list(before), _list(after)
    if len(old) > MAX_ALIGNED_STEPS or len(new) > MAX_ALIGNED_STEPS:
        opcodes = [("replace", 0, len(old), 0, len(new))]
    else:
        matcher = SequenceMatcher(None, [_key(s) for s in old], [_key(s) for s in new], False)
        opcodes = matcher.get_opcodes()
    found = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(paired):
            found += _one_step_changed(old[i1 + offset], new[j1 + offset], place, j1 + offset)
        for index in range(i1 + paired, i2):
            found.append(
                {"kind": "step_removed", "place": (*place, ("step", index + 1)), "step": old[index]}
            )
        for index in range(j1 + paired, j2):
            found.append(
                {"kind": "step_added", "place": (*place, ("step", index + 1)), "step": new[index]}
            )
    return found


def _own(step: dict) -> dict:
    """A step without its nested paths: what its own sentence says."""
    kind = step_type(step.get("type"))
    if kind is None or kind.paths is None:
        return step
    return {key: value for key, value in step.items() if key not in (kind.paths.key, "else")}


def _one_step_changed(old: dict, new: dict, place: tuple, index: int) -> list[dict]:
    here = (*place, ("step", index + 1))
    kind = step_type(new.get("type"))
    if (
        old.get("type") != new.get("type")
        or _key(_own(old)) != _key(_own(new))
        or kind is None
        or kind.paths is None
    ):
        return [{"kind": "step_changed", "place": here, "before": old, "after": new}]
    found = []
    key = kind.paths.key
    old_paths = [p for p in old.get(key) or [] if isinstance(p, dict)]
    new_paths = [p for p in new.get(key) or [] if isinstance(p, dict)]
    for number in range(max(len(old_paths), len(new_paths))):
        path_place = (*here, ("path", new.get("type"), number + 1))
        if number >= len(new_paths):
            found.append(
                {
                    "kind": "path_removed",
                    "place": path_place,
                    "step_type": new.get("type"),
                    "path": old_paths[number],
                }
            )
            continue
        if number >= len(old_paths):
            found.append(
                {
                    "kind": "path_added",
                    "place": path_place,
                    "step_type": new.get("type"),
                    "path": new_paths[number],
                }
            )
            continue
        old_path, new_path = old_paths[number], new_paths[number]
        old_head = {k: v for k, v in old_path.items() if k != "steps"}
        new_head = {k: v for k, v in new_path.items() if k != "steps"}
        if _key(old_head) != _key(new_head):
            found.append(
                {
                    "kind": "path_changed",
                    "place": path_place,
                    "step_type": new.get("type"),
                    "before": old_path,
                    "after": new_path,
                }
            )
        found += _step_changes(old_path.get("steps"), new_path.get("steps"), path_place)
    if kind.paths.has_else:
        found += _step_changes(old.get("else"), new.get("else"), (*here, ("else",)))
    return found
