from django.core.management.base import BaseCommand

from workflows.demo import DEMO_WORKFLOWS
from workflows.models import Workflow
from workflows.services import workflows_import


class Command(BaseCommand):
    help = "Load the live example workflows that are missing (an admin's changes are kept)."

    def handle(self, *args, **options):
        existing = {name.casefold() for name in Workflow.objects.values_list("name", flat=True)}
        missing = [d for d in DEMO_WORKFLOWS if d["name"].casefold() not in existing]
        saved = workflows_import(missing) if missing else []
        self.stdout.write(self.style.SUCCESS(f"{len(saved)} example workflows added:"))
        for workflow in saved:
            kind = "background" if workflow.is_background else "customer-facing"
            self.stdout.write(f"  {workflow.name} ({workflow.trigger}, {kind})")
