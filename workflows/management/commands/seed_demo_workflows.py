from django.core.management.base import BaseCommand

from workflows.demo import DEMO_WORKFLOWS
from workflows.services import workflows_import


class Command(BaseCommand):
    help = "Load the live example workflows (create or update by name; safe to run again)."

    def handle(self, *args, **options):
        saved = workflows_import(DEMO_WORKFLOWS)
        self.stdout.write(self.style.SUCCESS(f"{len(saved)} live example workflows:"))
        for workflow in saved:
            kind = "background" if workflow.is_background else "customer-facing"
            self.stdout.write(f"  {workflow.name} ({workflow.trigger}, {kind})")
