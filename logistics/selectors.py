"""Reads of parcel interception: the records list (服务单查询) and its reconciliation export (INT-08)."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.models import TicketType
from aftersales.services import ticket_refund_allowed
from core.clock import SHANGHAI
from core.export import csv_lines, xlsx_bytes
from orders.couriers import COURIERS
from orders.models import Parcel

from .models import Interception, InterceptionStatus, Settlement


def ticket_offers_interception(*, ticket) -> bool:
    """INT-01: an unfinished refund-only ticket — and, since success refunds it (INT-06, INT-07), one the ticket
    table lets become `refunded` (a rejected ticket does not: rejected → refunded is no edge)."""
    return ticket.type == TicketType.REFUND_ONLY and ticket_refund_allowed(ticket)


def interception_available(*, ticket) -> bool:
    """INT-01: the ticket page shows 快递拦截 for an unfinished refund-only ticket whose order has a parcel
    still in transit (before it goes out for delivery)."""
    return ticket_offers_interception(ticket=ticket) and Parcel.objects.filter(
        order_id=ticket.order_id, status=Parcel.Status.IN_TRANSIT
    ).exists()


def interception_offer(*, tickets, parcels, interceptions) -> tuple[object | None, list[str], object | None]:
    """What 快递拦截 could do now for one order (INT-01, the checks `interception_request` makes), from rows
    already loaded: (ticket, tracking numbers it may intercept, None) or (None, [], the refusal's ErrorCode) —
    `interception_already_requested` when every parcel in transit is already being intercepted."""
    from .errors import LogisticsError

    ticket = next((t for t in tickets if ticket_offers_interception(ticket=t)), None)
    if ticket is None:
        return None, [], LogisticsError.INTERCEPTION_NOT_AVAILABLE
    in_transit = [p for p in parcels if p.status == Parcel.Status.IN_TRANSIT]
    if not in_transit:
        return None, [], LogisticsError.INTERCEPTION_NOT_AVAILABLE
    active = {i.parcel_id for i in interceptions if i.status != InterceptionStatus.FAILED}
    free = [p.tracking_no for p in in_transit if p.pk not in active]
    if not free:
        return None, [], LogisticsError.INTERCEPTION_ALREADY_REQUESTED
    return ticket, free, None


def interception_list(*, qs: QuerySet | None = None) -> QuerySet:
    qs = Interception.objects.all() if qs is None else qs
    return qs.select_related("shop", "ticket__order", "outlet", "requested_by")


def _local(moment):
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def export_columns() -> list[tuple[str, str]]:
    """(key, header) of each export column; headers in the active language (Chinese by default)."""
    return [
        ("id", _("Interception no.")), ("shop", _("Shop")), ("ticket", _("After-sales ticket")),
        ("order_no", _("Order number")), ("tracking_no", _("Tracking number")), ("courier", _("Courier")),
        ("outlet", _("Outlet code")), ("outlet_name", _("Outlet")), ("settlement", _("Settlement method")),
        ("platform_fee", _("Platform fee")), ("fee_charged", _("Fee charged")), ("agreed_price", _("Agreed price (offline)")),
        ("status", _("Status")), ("failure_reason", _("Failure reason")), ("return_outcome", _("Return result")),
        ("auto", _("Started by")), ("requested_by", _("Requested by")), ("created_at", _("Requested at")),
        ("succeeded_at", _("Intercepted at")), ("finished_at", _("Finished at")),
    ]


def export_rows(qs: QuerySet) -> Iterator[list[str]]:
    """One row per interception of `qs` (already filtered and scoped), streamed in chunks."""
    settlements, statuses = dict(Settlement.choices), dict(InterceptionStatus.choices)
    for i in interception_list(qs=qs).order_by("-created_at", "-id").iterator(chunk_size=2000):
        values = {
            "id": i.pk, "shop": i.shop.name, "ticket": i.ticket_id, "order_no": i.ticket.order.order_no,
            "tracking_no": i.tracking_no, "courier": str(COURIERS[i.courier].name) if i.courier in COURIERS else i.courier,
            "outlet": i.outlet.code if i.outlet else "", "outlet_name": i.outlet.name if i.outlet else "",
            "settlement": str(settlements[i.settlement]), "platform_fee": f"{i.platform_fee:.2f}",
            "fee_charged": f"{i.fee_charged:.2f}",
            "agreed_price": f"{i.agreed_price:.2f}" if i.agreed_price is not None else "",
            "status": str(statuses[i.status]), "failure_reason": i.failure_reason_display, "return_outcome": i.return_outcome,
            "auto": _("auto-intercept rule") if i.auto else _("by hand"),
            "requested_by": i.requested_by.username if i.requested_by else "",
            "created_at": _local(i.created_at), "succeeded_at": _local(i.succeeded_at),
            "finished_at": _local(i.finished_at),
        }
        yield [str(values[key]) for key, _header in export_columns()]




def export_csv(qs: QuerySet) -> Iterator[str]:
    """CSV lines with a BOM, so that Excel opens the Chinese text correctly, every cell spreadsheet-safe
    (core.export). The lines are produced while the response streams, after the request's language is gone:
    the generator keeps the caller's."""
    language = translation.get_language()

    def lines() -> Iterator[str]:
        with translation.override(language):
            yield from csv_lines([header for _key, header in export_columns()], export_rows(qs))

    return lines()


def export_xlsx(qs: QuerySet) -> bytes:
    return xlsx_bytes([header for _key, header in export_columns()], export_rows(qs),
                      sheet=_("Interception records"))
