import json

from django.core.management.base import BaseCommand

from workflows.services import workflows_export


class Command(BaseCommand):
    help = "Write every workflow as a JSON list in API.md's format (stdout or --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: stdout)")

    def handle(self, *args, output=None, **options):
        text = json.dumps(workflows_export(), indent=2, ensure_ascii=False) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")
