import logging
import os

from celery import Celery, signals
from celery.worker.consumer import Consumer as CeleryConsumer
from django.db import InterfaceError, OperationalError, close_old_connections
from kombu.transport import TRANSPORT_ALIASES

# filesystem:// (the embedded default) writes its messages atomically: see config/broker.py.
TRANSPORT_ALIASES["filesystem"] = "config.broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    """Celery 5.7.0's worker consumer, kept alive through a broker restart.

    On a lost connection 5.7.0 first collects the connection (kombu drops its transport
    client) and then closes it; with Redis and a message not yet acknowledged (always
    the case under load with acks_late) the close tries to restore that message through
    the dropped client and raises AttributeError ("'NoneType' object has no attribute
    'hostname'"), which Celery treats as unrecoverable: the worker exits for good.
    Celery 5.6.3 did not close after collecting. Here that close ignores the
    AttributeError, so the consumer goes on to reconnect; the message comes back after
    the broker's visibility timeout and the redispatch sweep covers the wait.
    Selected by CELERY_WORKER_CONSUMER; drop it once Celery fixes the close.
    """

    def on_connection_error_after_connected(self, exc):
        connection = self.connection
        if connection is not None:
            close = connection.close

            def close_tolerating_collected_transport():
                try:
                    close()
                except AttributeError as error:
                    logger.info("Broker connection already collected: %r", error)

            connection.close = close_tolerating_collected_transport
        super().on_connection_error_after_connected(exc)


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_database_connections(sender=None, **kwargs):
    """Each task is to a worker what a request is to the web server: before and after
    it, close a connection past CONN_MAX_AGE or broken by an error, and have a kept one
    health-checked before its next query (what Django does on request_started and
    request_finished). Celery's fix-up leaves connections open (CELERY_DB_REUSE_MAX).
    Not for a task run inline: it runs inside its caller's transaction."""
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()


app = Celery("config")
# Every Celery setting lives in Django settings under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The retry policy of every task: a database that is away for a moment (restart,
# fail-over, a deadlock) is retried with back-off a few times; after that the periodic
# sweeps, which find all work from the database, take over. Anything else is not
# retried here: the orchestrator parks a conversation that keeps failing
# (workflows/failures.py) and its sweeps retry it with a longer back-off.
TASK_RETRY_POLICY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "max_retries": 3,
    "retry_backoff": 2,
    "retry_backoff_max": 30,
    "retry_jitter": True,
}
