from conversations.dispatch import enqueue_coalesced_on_commit


def dispatch_event_on_commit(sender, instance, created, **kwargs):
    """A new outbox event: process its conversation once the change commits."""
    from workflows.orchestrator import is_processing
    from workflows.tasks import process_conversation_events_task

    if not created or instance.processed_at is not None:
        return
    if not is_processing(instance.conversation_id):
        # (Written while the orchestrator holds this conversation, its loop reads the
        # event before it commits: no task needed. Not sent when the conversation is
        # queued already: that task will read this event.)
        enqueue_coalesced_on_commit(process_conversation_events_task, instance.conversation_id)
