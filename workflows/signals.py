from conversations.dispatch import enqueue_on_commit


def dispatch_event_on_commit(sender, instance, created, **kwargs):
    """A new outbox event: process its conversation once the change commits."""
    from workflows.orchestrator import is_processing
    from workflows.tasks import process_conversation_events_task

    # Events written while the orchestrator holds this conversation are taken by its loop.
    if created and instance.processed_at is None and not is_processing(instance.conversation_id):
        enqueue_on_commit(process_conversation_events_task, instance.conversation_id)
