from conversations.dispatch import enqueue_coalesced_on_commit


def dispatch_event_on_commit(sender, instance, created, **kwargs):
    """A new outbox event: process its conversation once the change commits."""
    from conversations.services import event_read_by_writer
    from workflows.tasks import process_conversation_events_task

    if not created or instance.processed_at is not None:
        return
    if not event_read_by_writer(instance):
        # (Written while the orchestrator holds this conversation, its loop reads the
        # event before it commits: no task needed. Not sent when the conversation is
        # queued already: that task will read this event.)
        enqueue_coalesced_on_commit(process_conversation_events_task, instance.conversation_id)
