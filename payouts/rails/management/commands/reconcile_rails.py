"""Compare one day's rail bills with the payouts (对账, issue 19.9), print the comparison and keep it.

    python manage.py reconcile_rails [--date YYYY-MM-DD]

Exits 1 when a problem was found (flagged to platform staff at once)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from payouts.rails.reconcile import reconcile_rails


class Command(BaseCommand):
    help = "Reconcile the rails' bills of a day (default today, Asia/Shanghai) with the payouts."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (Asia/Shanghai); default today")

    def handle(self, *args, **options):
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date is YYYY-MM-DD")
        record = reconcile_rails(day)
        self.stdout.write(record.report)
        if record.problems:
            raise SystemExit(1)
