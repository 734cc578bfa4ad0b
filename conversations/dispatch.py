"""The one way work leaves the database: Celery tasks sent after the commit."""

from django.db import transaction


def enqueue_on_commit(task, *args, eta=None) -> None:
    """Send `task(*args)` once the current transaction commits (at once outside one).

    A rolled-back change sends nothing; a lost message is caught by the sweeps.
    """
    if eta is None:
        transaction.on_commit(lambda: task.delay(*args))
    else:
        transaction.on_commit(lambda: task.apply_async(args=args, eta=eta))
