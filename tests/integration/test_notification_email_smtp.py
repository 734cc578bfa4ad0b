"""A mention's e-mail arrives at a real SMTP server (aiosmtpd on a free local port),
through Django's SMTP back-end, the way production sends it."""

import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from conversations import services
from conversations.actors import Actor
from tests.factories import TeammateFactory


class Mailbox:
    """aiosmtpd's handler: keeps each message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "Inbox Workflows <inbox@example.com>"
    yield mailbox
    controller.stop()


def test_a_mention_email_arrives_at_the_smtp_server(
    smtp_server, conversation, teammate, django_capture_on_commit_callbacks
):
    dana = TeammateFactory(username="dana", first_name="Dana", last_name="Reyes")
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_add_note(
            conversation=conversation, body="@ben can you call her?", acting=Actor.teammate(dana)
        )
    (recipients, message), *others = smtp_server.messages
    assert others == []
    assert recipients == ["ben@example.com"]
    assert message["Subject"] == "Dana Reyes mentioned you in Maya Okafor"
    assert message["From"] == "Inbox Workflows <inbox@example.com>"
    assert f"/inbox/conversations/{conversation.pk}/" in message.get_payload()


def test_a_mail_server_that_is_away_is_retried_and_the_notification_stays(
    settings, conversation, teammate
):
    """The note and its notification stand whatever the mail server does; the task
    retries a refused connection (at once when eager), then gives up, unsent."""
    from conversations.models import Notification
    from inbox.tasks import EMAIL_RETRY_POLICY, email_notification_task

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    dana = TeammateFactory(username="dana")
    services.conversation_add_note(
        conversation=conversation, body="@ben", acting=Actor.teammate(dana)
    )
    notification = Notification.objects.get()
    result = email_notification_task.apply(args=[notification.pk])
    assert result.failed()
    assert isinstance(result.result, ConnectionRefusedError)
    assert EMAIL_RETRY_POLICY["max_retries"] == 6
    notification.refresh_from_db()
    assert (notification.emailed_at, notification.read_at) == (None, None)
