from django.core.management.base import BaseCommand

from core import clocks


class Command(BaseCommand):
    help = "Run every periodic sweep once, as Celery beat would (SPEC §8), and exit."

    def handle(self, *args, **options) -> None:
        for name, moved in clocks.run_all().items():
            self.stdout.write(f"{name}: {moved}")
