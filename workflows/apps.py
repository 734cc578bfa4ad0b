from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self):
        # Model signals start the orchestrator: the one seam with `conversations`.
        from django.db.models.signals import post_save

        from conversations.models import Event
        from workflows.signals import dispatch_event_on_commit

        post_save.connect(
            dispatch_event_on_commit, sender=Event, dispatch_uid="workflows.dispatch_event"
        )
