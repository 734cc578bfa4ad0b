"""The trigger index leaves out workflows whose first rule cannot match, and only those."""

from workflows.engine.definitions import References, compile_definition
from workflows.engine.index import TriggerIndex


def workflow(number, audience):
    document = {
        "name": f"W{number}",
        "status": "live",
        "trigger": "customer_any_message",
        "audience": audience,
        "steps": [{"type": "close"}],
    }
    return compile_definition(document, References(lenient=True), workflow_id=number)


def plan_is(plan, *more):
    rules = [{"attribute": "contact.plan", "operator": "is", "value": plan}, *more]
    return {"match": "all", "rules": rules}


class TestTriggerIndex:
    def test_it_selects_the_bucket_of_the_actual_value_and_every_unindexed_workflow(self):
        pro = workflow(1, plan_is("Pro"))
        free = workflow(2, plan_is("Free"))
        anyone = workflow(3, {"match": "all", "rules": []})
        spend_first = workflow(4, {"match": "all", "rules": [
            {"attribute": "contact.monthly_spend", "operator": "gt", "value": 5}]})  # fmt: skip
        index = TriggerIndex.build([pro, free, anyone, spend_first])

        chosen, left_out = index.select({"contact.plan": "PRO"})

        assert chosen == [pro, anyone, spend_first]  # priority order kept
        assert left_out == 1

    def test_it_leaves_out_every_indexed_workflow_when_the_value_is_unknown(self):
        index = TriggerIndex.build([workflow(1, plan_is("Pro")), workflow(2, plan_is("Free"))])

        chosen, left_out = index.select({"contact.plan": None})

        assert (chosen, left_out) == ([], 2)

    def test_it_explains_what_it_left_out_like_evaluation_would(self):
        free = workflow(2, plan_is("Free"))
        index = TriggerIndex.build([workflow(1, plan_is("Pro")), free])

        [(left, failure)] = index.left_out({"contact.plan": "Pro"}, limit=10)

        assert left is free
        expected = free.audience.check({"contact.plan": "Pro"})[1][0]
        assert failure.describe() == expected.describe()

    def test_an_any_group_is_not_indexed(self):
        either = workflow(1, {"match": "any", "rules": plan_is("Pro")["rules"]})

        assert TriggerIndex.build([either]).select({"contact.plan": "Free"}) == ([either], 0)
