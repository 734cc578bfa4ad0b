"""Prebuilt workflows the builder starts from (DESIGN.md §8; the seed's examples first)."""

TEMPLATES = {
    "route-pro": {
        "title": "Route Pro customers",
        "summary": "Plan is Pro and monthly spend over 500: tag VIP and assign to Support.",
        "document": {
            "name": "Route Pro customers",
            "status": "draft",
            "trigger": "customer_first_message",
            "frequency": "once",
            "audience": {"match": "all", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
                {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500},
            ]},
            "steps": [{"type": "add_tag", "tag": "VIP"}, {"type": "assign", "team": "Support"}],
        },
    },
    "apply-rules": {
        "title": "Support routing with apply rules",
        "summary": "Premium plan: apply the SLA Premium Support; message mentions project: tag Projects.",
        "document": {
            "name": "Support routing",
            "status": "draft",
            "trigger": "customer_first_message",
            "frequency": "once",
            "audience": {"match": "all", "rules": []},
            "steps": [
                {"type": "apply_rules", "rules": [
                    {"when": {"match": "all", "rules": [
                        {"attribute": "contact.plan", "operator": "is", "value": "Premium"}]},
                     "steps": [{"type": "apply_sla", "sla": "Premium Support"}]},
                    {"when": {"match": "all", "rules": [
                        {"attribute": "message.body", "operator": "contains", "value": "project"}]},
                     "steps": [{"type": "add_tag", "tag": "Projects"}]},
                ]},
                {"type": "assign", "team": "Support"},
            ],
        },
    },
    "greeting": {
        "title": "Greeting with reply buttons",
        "summary": "Greet new conversations and route by the button the customer picks.",
        "document": {
            "name": "Greeting",
            "status": "draft",
            "trigger": "customer_opened_conversation",
            "frequency": "once",
            "audience": {"match": "all", "rules": []},
            "steps": [
                {"type": "reply_buttons", "body": "Hi there! What can we help you with?", "buttons": [
                    {"label": "Billing", "steps": [{"type": "add_tag", "tag": "Billing"}]},
                    {"label": "Something else", "steps": [
                        {"type": "send_message", "body": "Thanks! A teammate will be with you shortly."}]},
                ]},
                {"type": "handover"},
            ],
        },
    },
    "ask-email": {
        "title": "Ask for an email",
        "summary": "When we don't know the customer's email, ask for it and save it.",
        "document": {
            "name": "Ask for an email",
            "status": "draft",
            "trigger": "customer_first_message",
            "frequency": "once",
            "audience": {"match": "all", "rules": [
                {"attribute": "contact.email", "operator": "is_unknown", "value": None}]},
            "steps": [
                {"type": "collect_data", "body": "What email can we reach you at?", "attribute": "email"},
                {"type": "send_message", "body": "Thanks, we'll keep you posted there."},
            ],
        },
    },
    "close-after-wait": {
        "title": "Close after a wait",
        "summary": "After a teammate replies, wait two days; close unless the customer answered.",
        "document": {
            "name": "Close after two quiet days",
            "status": "draft",
            "trigger": "teammate_replied",
            "frequency": "every_time",
            "audience": {"match": "all", "rules": []},
            "steps": [
                {"type": "wait", "duration": "2d", "until_reply": "customer"},
                {"type": "branches", "branches": [
                    {"when": {"match": "all", "rules": [
                        {"attribute": "message.author_type", "operator": "is_unknown", "value": None}]},
                     "steps": [{"type": "add_note", "body": "Closed after two days without an answer."},
                               {"type": "close"}]},
                ], "else": []},
            ],
        },
    },
    "tag-keyword": {
        "title": "Tag by keyword",
        "summary": "Messages that mention a refund: tag Refund and mark as priority.",
        "document": {
            "name": "Tag refunds",
            "status": "draft",
            "trigger": "customer_any_message",
            "frequency": "every_time",
            "audience": {"match": "any", "rules": [
                {"attribute": "message.body", "operator": "contains", "value": "refund"},
                {"attribute": "message.body", "operator": "contains", "value": "money back"}]},
            "steps": [{"type": "add_tag", "tag": "Refund"}, {"type": "set_priority", "priority": True}],
        },
    },
}  # fmt: skip
