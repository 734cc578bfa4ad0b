import json

from django.core.management.base import BaseCommand, CommandError

from workflows.engine.errors import DefinitionError
from workflows.services import workflows_import


class Command(BaseCommand):
    help = "Create or update (by name) the workflows of a JSON file; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a JSON list of workflows, or - for stdin")

    def handle(self, *args, path, **options):
        try:
            if path == "-":
                import sys

                documents = json.load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as file:
                    documents = json.load(file)
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from None
        if isinstance(documents, dict):
            documents = [documents]
        try:
            saved = workflows_import(documents)
        except DefinitionError as error:
            lines = [f"  {place}: {' '.join(messages)}" for place, messages in error.errors.items()]
            raise CommandError("Nothing imported:\n" + "\n".join(lines)) from None
        self.stdout.write(self.style.SUCCESS(f"Imported {len(saved)} workflow(s)."))
