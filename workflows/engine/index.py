"""Which live workflows of a trigger can match at all, without evaluating each audience.

A workflow whose targeting starts with `<text attribute> is "<value>"` (the common
"plan is Pro") is filed under that attribute and value; an event looks up the buckets of
the values it has, so workflows that cannot match cost nothing (DESIGN.md §9: the cost
of an event grows with the workflows that match, not with all of them).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from workflows.engine.rules import TEXT, Failure, Group, Rule


def index_rule(audience: Group) -> Rule | None:
    """The rule a workflow is filed under: the first of an "all" group, if it is an
    `is` on a built-in text attribute (so its failure is the one evaluation reports)."""
    if audience.match != "all" or not audience.members:
        return None
    first = audience.members[0]
    is_text_is = isinstance(first, Rule) and first.operator == "is" and first.kind == TEXT
    return first if is_text_is and isinstance(first.value, str) else None


def fact_key(actual) -> str | None:
    """The bucket an actual value falls in, compared as `is` compares (ignoring case)."""
    if isinstance(actual, str):
        return actual.lower()
    if isinstance(actual, (int, float, Decimal)) and not isinstance(actual, bool):
        return str(actual).lower()
    return None


@dataclass
class TriggerIndex:
    workflows: list  # every live workflow of the trigger, in priority order
    unindexed: list = field(default_factory=list)
    # attribute -> value -> workflows filed there, in priority order
    buckets: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)  # workflow id -> its index rule

    @classmethod
    def build(cls, workflows: list) -> "TriggerIndex":
        index = cls(list(workflows))
        for workflow in workflows:
            rule = index_rule(workflow.audience)
            if rule is None:
                index.unindexed.append(workflow)
                continue
            index.rules[workflow.id] = rule
            values = index.buckets.setdefault(rule.attribute, {})
            values.setdefault(rule.value, []).append(workflow)
        return index

    def select(self, facts) -> tuple[list, int]:
        """The workflows whose audience can match these facts, in priority order, and
        how many were left out because their first rule cannot match."""
        chosen = list(self.unindexed)
        for attribute, values in self.buckets.items():
            chosen.extend(values.get(fact_key(facts.get(attribute)), ()))
        if len(chosen) > len(self.unindexed):
            order = {id(workflow): n for n, workflow in enumerate(self.workflows)}
            chosen.sort(key=lambda workflow: order[id(workflow)])
        return chosen, len(self.workflows) - len(chosen)

    def left_out(self, facts, limit: int) -> list[tuple]:
        """Up to `limit` (workflow, failure) pairs of the workflows `select` left out."""
        found = []
        for attribute, values in self.buckets.items():
            actual = facts.get(attribute)
            key = fact_key(actual)
            for value, workflows in values.items():
                if value == key:
                    continue
                for workflow in workflows:
                    if len(found) >= limit:
                        return found
                    rule = self.rules[workflow.id]
                    found.append((workflow, Failure(attribute, "is", rule.raw_value, actual)))
        return found
