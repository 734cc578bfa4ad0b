from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Inbox and Messenger"

    def ready(self):
        # A new notification queues its e-mail (sent if its teammate is away).
        from django.db.models.signals import post_save

        from conversations.models import Notification
        from inbox.tasks import queue_notification_email

        post_save.connect(
            queue_notification_email,
            sender=Notification,
            dispatch_uid="inbox.queue_notification_email",
        )
