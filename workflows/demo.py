"""The live example workflows `make run` loads: the seed article's examples and more."""

DEMO_WORKFLOWS = [
    {
        "name": "Greeting",
        "status": "live",
        "trigger": "customer_opened_conversation",
        "trigger_options": {},
        "frequency": "once",
        "audience": {"match": "all", "rules": []},
        "steps": [
            {
                "type": "reply_buttons",
                "body": "Hi there! What can we help you with?",
                "buttons": [
                    {
                        "label": "Billing",
                        "steps": [
                            {"type": "add_tag", "tag": "Billing"},
                            {"type": "handover", "team": "Billing"},
                        ],
                    },
                    {
                        "label": "Something else",
                        "steps": [
                            {
                                "type": "send_message",
                                "body": "Thanks! A teammate will be with you shortly.",
                            },
                            {"type": "handover"},
                        ],
                    },
                ],
            }
        ],
    },
    {
        "name": "Route Pro customers",
        "status": "live",
        "trigger": "customer_first_message",
        "trigger_options": {},
        "frequency": "once",
        "audience": {
            "match": "all",
            "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
                {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500},
            ],
        },
        "steps": [{"type": "add_tag", "tag": "VIP"}, {"type": "assign", "team": "Support"}],
    },
    {
        "name": "Support routing",
        "status": "live",
        "trigger": "customer_first_message",
        "trigger_options": {},
        "frequency": "once",
        "audience": {"match": "all", "rules": []},
        "steps": [
            {
                "type": "apply_rules",
                "rules": [
                    {
                        "when": {
                            "match": "all",
                            "rules": [
                                {"attribute": "contact.plan", "operator": "is", "value": "Premium"}
                            ],
                        },
                        "steps": [{"type": "apply_sla", "sla": "Premium Support"}],
                    },
                    {
                        "when": {
                            "match": "all",
                            "rules": [
                                {
                                    "attribute": "message.body",
                                    "operator": "contains",
                                    "value": "project",
                                }
                            ],
                        },
                        "steps": [{"type": "add_tag", "tag": "Projects"}],
                    },
                ],
            }
        ],
    },
    {
        "name": "Ask for an email",
        "status": "live",
        "trigger": "customer_first_message",
        "trigger_options": {},
        "frequency": "once",
        "audience": {
            "match": "all",
            "rules": [{"attribute": "contact.email", "operator": "is_unknown", "value": None}],
        },
        "steps": [
            {
                "type": "collect_data",
                "body": "What email can we reach you at?",
                "attribute": "email",
            },
            {"type": "send_message", "body": "Thanks, we'll keep you posted there."},
        ],
    },
    {
        "name": "Flag refunds",
        "status": "live",
        "trigger": "customer_any_message",
        "trigger_options": {},
        "frequency": "every_time",
        "audience": {
            "match": "any",
            "rules": [
                {"attribute": "message.body", "operator": "contains", "value": "refund"},
                {"attribute": "message.body", "operator": "contains", "value": "money back"},
            ],
        },
        "steps": [{"type": "add_tag", "tag": "Refund"}, {"type": "set_priority", "priority": True}],
    },
]
