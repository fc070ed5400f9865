"""`manage.py import_orders SHOP_KEY FILE [--dry-run] [--skip-bad-rows]` (API.md "Platform connections", CON-08)."""

import pathlib

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Shop
from platforms.exports_import.reader import MAX_BYTES
from platforms.exports_import.services import order_export_import


class Command(BaseCommand):
    help = ("Import a 抖店 or 拼多多 order export (CSV or XLSX) into a shop: prints created/updated/unchanged/errors "
            "and each error as 'row R, column C: message'. A file with errors imports nothing (exit 1) unless "
            "--skip-bad-rows; --dry-run writes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("shop", help="the shop's key")
        parser.add_argument("file", help="the export file (.csv or .xlsx)")
        parser.add_argument("--dry-run", action="store_true", help="read and check, write nothing")
        parser.add_argument("--skip-bad-rows", action="store_true",
                            help="import the good orders and leave out those with a bad row")

    def handle(self, *args, shop, file, dry_run, skip_bad_rows, **options):
        target = Shop.objects.select_related("profile").filter(key=shop).first()
        if target is None:
            raise CommandError(f"no shop {shop!r}")
        path = pathlib.Path(file)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
        outcome = order_export_import(shop=target, data=data, filename=path.name, dry_run=dry_run,
                                      skip_bad_rows=skip_bad_rows)
        would = outcome.summary().rsplit(", errors", 1)[0]
        if outcome.refused and not dry_run:
            # Nothing was written: the counts say so; what the good rows would do is said with the refusal.
            self.stdout.write(f"created 0, updated 0, unchanged 0, errors {outcome.error_count}")
        else:
            self.stdout.write(("dry run: " if dry_run else "") + outcome.summary())
        for line in outcome.error_lines():
            self.stdout.write(line)
        for order in outcome.review:
            values = ", ".join(f"{k}={v}" for k, v in order.unknown.items())
            self.stdout.write(f"review: order {order.order_no} (row {order.first_row}) keeps unknown values: {values}")
        if outcome.refused:
            if outcome.file_error:
                raise CommandError("nothing imported: the file cannot be read")
            raise CommandError(f"nothing imported (without the bad rows' orders: {would}): fix the rows above, or "
                               "pass --skip-bad-rows to leave their orders out")
        if outcome.errors:
            verb = "would skip" if dry_run else "skipped"
            self.stdout.write(f"{verb} the {len(outcome.bad_orders)} order(s) with a bad row")
