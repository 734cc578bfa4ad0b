from django.apps import AppConfig
from django.core import checks


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self):
        from config.security import check_shared_cache

        checks.register(check_shared_cache, checks.Tags.security, deploy=True)
