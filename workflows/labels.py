"""Words for people: trigger names as the builder shows them."""

TRIGGER_LABELS = {
    "customer_opened_conversation": "Customer opens a new conversation",
    "customer_first_message": "Customer sends their first message",
    "customer_any_message": "Customer sends any message",
    "teammate_changed_state": "Teammate changes the conversation state",
    "teammate_replied": "Teammate replies",
    "teammate_added_note": "Teammate adds a note",
    "conversation_assigned": "Conversation assigned",
    "customer_unresponsive": "Customer unresponsive",
    "teammate_unresponsive": "Teammate unresponsive",
    "sla_missed": "SLA missed",
    "reusable": "Reusable (run by other workflows)",
}
