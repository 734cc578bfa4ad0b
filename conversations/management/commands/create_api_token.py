from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from conversations.models import Teammate


class Command(BaseCommand):
    help = "Print the API token of a teammate (the token is the last word of the output)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--admin", action="store_true", help="make them a workspace admin")
        parser.add_argument("--create", action="store_true", help="create the teammate if new")

    def handle(self, *args, username, admin=False, create=False, **options):
        teammate = Teammate.objects.filter(username=username).first()
        if teammate is None:
            if not create:
                raise CommandError(f'No teammate "{username}" (add --create to create one).')
            teammate = Teammate.objects.create_user(username=username)
        if admin and not teammate.is_workspace_admin:
            teammate.is_workspace_admin = True
            teammate.save(update_fields=["is_workspace_admin"])
        token, _ = Token.objects.get_or_create(user=teammate)
        role = "workspace admin" if teammate.is_workspace_admin else "teammate"
        self.stdout.write(f"API token for {teammate.username} ({role}): {token.key}")
