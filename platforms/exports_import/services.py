"""Importing an order export (CON-08): read, check, preview, and write through the sync's own upsert.

`order_export_import` is the one entry point: the admin's import page and `manage.py import_orders` call it.
It reads the whole file first (`reader`, `orders`), then — in one transaction — maps every good order as the
sync maps an order read from the platform (CON-04) and stores them with `platforms.services.orders_upsert`
(set-based, by platform order id, so importing the same file again changes nothing). A dry run does the same
inside a savepoint that is rolled back: the preview's counts are the write's own, not an estimate.

A file with any bad row imports nothing unless `skip_bad_rows` is given on purpose; then the orders with a
bad row are left out whole (an order is never half imported) and the rest imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Shop
from orders.models import Order
from orders.services import orders_bulk_upsert
from platforms.services import order_row

from .convert import to_platform_order
from .grouping import ExportOrder, RowError, parse_orders
from .reader import PINDUODUO, FileProblem, read_export

PLATFORM_NAMES = {"douyin": _("Douyin shop"), PINDUODUO: _("Pinduoduo")}


@dataclass
class ImportOutcome:
    """What an import did (or, for a dry run, would do)."""

    platform: str = ""
    file_error: str = ""
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    orders: list[ExportOrder] = field(default_factory=list)  # the good orders
    bad_orders: list[str] = field(default_factory=list)
    new_order_nos: set[str] = field(default_factory=set)  # not yet in the product
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False  # False: a dry run, or refused because of errors
    dry_run: bool = True

    @property
    def error_count(self) -> int:
        return len(self.errors) + (1 if self.file_error else 0)

    @property
    def refused(self) -> bool:
        """Nothing was or would be written because of errors (and no skip was asked)."""
        return bool(self.file_error) or (bool(self.errors) and not self.skipped_on_purpose)

    skipped_on_purpose: bool = False

    @property
    def review(self) -> list[ExportOrder]:
        return [o for o in self.orders if o.unknown]

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, errors {self.error_count}"

    def error_lines(self) -> list[str]:
        lines = [f"file: {self.file_error}"] if self.file_error else []
        return lines + [str(e) for e in self.errors]


class ImportRefused(Exception):
    pass


def order_export_import(*, shop: Shop, data: bytes, filename: str = "", dry_run: bool = False,
                        skip_bad_rows: bool = False) -> ImportOutcome:
    """Import (or, with `dry_run`, preview) one export file into `shop` (CON-08, mapped as CON-04).

    Never raises for bad input: a file that cannot be read is `file_error`, a bad cell a `RowError` with its
    row number and column. Writes only when there is no error, or when `skip_bad_rows` leaves the bad rows'
    orders out. Locks: those of `orders_upsert` (the shop's orders by platform order id), in one transaction.
    """
    outcome = ImportOutcome(dry_run=dry_run, skipped_on_purpose=skip_bad_rows)
    try:
        sheet = read_export(data, filename=filename)
    except FileProblem as exc:
        outcome.file_error = str(exc.message)
        return outcome
    outcome.platform = sheet.platform
    shop_platform = shop.profile.platform
    if sheet.platform != shop_platform:
        outcome.file_error = gettext("This is a %(file)s export, but the shop %(shop)s is on %(platform)s.") % {
            "file": PLATFORM_NAMES.get(sheet.platform, sheet.platform), "shop": shop.name,
            "platform": PLATFORM_NAMES.get(shop_platform, shop_platform)}
        return outcome
    parsed = parse_orders(sheet)
    outcome.rows = parsed.row_count
    outcome.errors = list(parsed.errors)
    outcome.bad_orders = list(parsed.bad_orders)
    good = parsed.orders
    # An order number another shop holds is refused here, named at the order's first row (the upsert is by
    # platform order id, and order numbers are unique across the product).
    others = set(Order.objects.filter(order_no__in=[o.order_no for o in good]).exclude(shop=shop)
                 .values_list("order_no", flat=True))
    if others:
        key_column = sheet.headers[sheet.columns["订单号" if sheet.platform == PINDUODUO else "主订单编号"]]
        for order in good:
            if order.order_no in others:
                outcome.errors.append(RowError(order.first_row, key_column,
                                               gettext("this order number belongs to another shop")))
                outcome.bad_orders.append(order.order_no)
        good = [o for o in good if o.order_no not in others]
        outcome.errors.sort(key=lambda e: e.row)
    outcome.orders = good
    existing = set(Order.objects.filter(shop=shop, order_no__in=[o.order_no for o in good])
                   .values_list("order_no", flat=True))
    outcome.new_order_nos = {o.order_no for o in good} - existing
    if outcome.refused:
        # The counts still show what the good rows would do, so the preview can say it.
        _apply(shop, outcome, good, rollback=True)
        outcome.written = False
        return outcome
    _apply(shop, outcome, good, rollback=dry_run)
    outcome.written = not dry_run and not outcome.file_error
    return outcome


SOURCE = "export_import"  # the operation log's source of an imported order (labelled in apps.py)


def _apply(shop: Shop, outcome: ImportOutcome, good: list[ExportOrder], *, rollback: bool) -> None:
    """The sync's own write (`platforms.services.orders_upsert` is `order_row` + `orders_bulk_upsert` with the
    platform as the source; here the source says the order came from an export file)."""
    rows = [order_row(to_platform_order(o)) for o in good]
    if not rows:
        return
    for _attempt in range(3):
        try:
            with transaction.atomic():
                result = orders_bulk_upsert(shop_id=shop.pk, rows=rows, source=SOURCE)
                if rollback:
                    transaction.set_rollback(True)
            break
        except IntegrityError:
            # Another import or a sync created one of these orders (or parcels) between our read and our insert:
            # the retry finds them stored and locks them like any existing order.
            continue
    else:
        outcome.file_error = gettext("Another import or sync is writing these orders right now: try again in a "
                                     "moment.")
        return
    outcome.created, outcome.updated, outcome.unchanged = result.created, result.updated, result.unchanged
    if result.skipped:
        key_column = "订单号" if outcome.platform == PINDUODUO else "主订单编号"
        first_rows = {o.order_no: o.first_row for o in good}
        for order_no, why in result.skipped.items():
            outcome.errors.append(RowError(first_rows.get(order_no, 0), key_column, why))
            outcome.bad_orders.append(order_no)
        outcome.errors.sort(key=lambda e: e.row)
