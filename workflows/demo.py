"""The demo `make run` loads: the live example workflows (the seed article's examples and
more), then the conversations customers have with them (seed_demo_conversations)."""

DEMO_WORKFLOWS = [
    {
        "name": "Greeting",
        "status": "live",
        "trigger": "customer_opened_conversation",
        "trigger_options": {},
        "frequency": "once",
        # A visitor with no email gets "Ask for an email" instead (one bot at a time).
        "audience": {
            "match": "all",
            "rules": [{"attribute": "contact.email", "operator": "is_set", "value": None}],
        },
        "steps": [
            {
                "type": "reply_buttons",
                "body": "Hi there! What can we help you with?",
                "buttons": [
                    {
                        "label": "Billing",
                        "steps": [
                            {"type": "add_tag", "tag": "Billing"},
                            {
                                "type": "send_message",
                                "body": "Thanks! Someone from our billing team will reply here "
                                "shortly.",
                            },
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


# The demo conversations, cycled over the demo contacts: a title, the customer's first
# message and the Greeting button they press (None: they have not chosen yet).
DEMO_CONVERSATIONS = [
    ("Can't log in", "Hi! I can't log in since this morning.", "Something else"),
    ("Invoice for last month", "Can I get an invoice for last month?", "Billing"),
    ("A new project", "We'd like to start a new project with your team.", "Something else"),
    ("Adding a teammate", "How do I add a teammate to my account?", None),
    ("CSV export times out", "The export to CSV times out for me.", "Something else"),
    ("Refund for unused seats", "Can I get a refund for the seats we no longer use?", "Billing"),
    ("Dashboard numbers", "Our project dashboard shows the wrong numbers.", "Something else"),
    ("Billing email", "Where can I change my billing email?", "Billing"),
]
DEMO_CONVERSATION_COUNT = 30
# The visitor with no email (seed_demo's DEMO_VISITOR) writes once and answers the
# "Ask for an email" question.
DEMO_VISITOR_CONVERSATION = ("Shipping to Norway", "Hello, do you ship to Norway?", None)
DEMO_VISITOR_EMAIL = "robin.visitor@example.com"
DEMO_REPLIES = [
    "Thanks for reaching out! Let me check that for you.",
    "I've sent that over by email just now.",
    "Could you tell me which browser you are using?",
]
