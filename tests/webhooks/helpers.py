from conversations.models import Conversation
from tests.workflows.helpers import process
from webhooks import services
from webhooks.models import WebhookDelivery


def endpoint_for(receiver, events=("*",), **fields):
    return services.endpoint_create(url=receiver.url, events=list(events), **fields)


def process_and_send(conversation: Conversation, capture):
    """Process the conversation's events as the worker does, then run what is sent after
    the commit (the delivery tasks, inline: Celery eager)."""
    with capture(execute=True):
        process(conversation)


def deliveries_of(endpoint, **filters):
    return WebhookDelivery.objects.filter(endpoint=endpoint, **filters).order_by("id")
