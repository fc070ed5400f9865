"""Operation-log entries of an order (操作日志): one constructor per type, and how each type reads."""

from django.utils.translation import gettext_lazy as _

from core.clock import now

from .models import Order, OrderEvent

# Apps that write to the operation log add their types here (ASE-R04: each opening of the entry, …).
EVENT_LABELS = {
    "synced": _("created by platform sync"),
    "sync_updated": _("updated by platform sync"),
    # small payouts (payouts.services)
    "payout_created": _("small payout started"),
    "payout_succeeded": _("small payout succeeded"),
    "payout_failed": _("small payout failed"),
    "payout_closed": _("small payout closed"),
    "payout_requested": _("small payout request sent"),
    "payout_request_approved": _("small payout request approved"),
    "payout_request_rejected": _("small payout request rejected"),
    # parcel interception (logistics.services)
    "interception_requested": _("parcel interception requested"),
    "intercepted": _("parcel intercepted"),
    "interception_failed": _("parcel interception failed"),
    "interception_returned": _("intercepted parcel returned"),
    "interception_return_failed": _("return of intercepted parcel failed"),
    # aftersales (ASE-R01, ASE-R04)
    "aftersales_entry_opened": _("after-sales entry opened"),
    "aftersales_entry_closed": _("after-sales entry closed"),
    "aftersales_entry_requested": _("buyer asked to re-open the after-sales entry"),
    "overdue_ticket_created": _("overdue after-sales ticket filed"),
}


# How the operation log reads its details: parameter names, and coded values (payout types, pay methods,
# settlement modes, …). Apps add theirs in AppConfig.ready() (payouts, logistics, aftersales).
PARAM_LABELS = {
    "source": _("source"),
    "fields": _("fields"),
    "amount": _("amount"),
    "reason": _("reason"),
    "payout": _("payout no."),
    "payout_type": _("payout type"),
    "pay_method": _("pay method"),
    "request": _("request no."),
    "ticket": _("ticket no."),
    "entry": _("entry no."),
    "tracking_no": _("tracking number"),
    "settlement": _("settlement"),
    "auto": _("automatic"),
    "fee": _("fee"),
    "failure_reason": _("failure reason"),
    "outcome": _("outcome"),
    "opened_at": _("opened at"),
}
VALUE_LABELS: dict[str, object] = {
    "True": _("yes"),
    "False": _("no"),
    "scenario": _("platform sync"),
}


def event_label(event_type: str) -> str:
    return str(EVENT_LABELS.get(event_type, event_type))


def event_details(params: dict) -> str:
    """An operation-log entry's details in the reader's language."""
    parts = []
    for key, value in (params or {}).items():
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(str(VALUE_LABELS.get(str(v), v)) for v in values)
        parts.append(f"{PARAM_LABELS.get(key, key)}: {shown}")
    return "; ".join(parts)


def order_event_add(*, order_id: int, type: str, actor=None, at=None, **params) -> OrderEvent:
    """One operation-log entry (操作日志): every app that acts on an order writes through this."""
    return OrderEvent.objects.create(order_id=order_id, type=type, actor=actor, at=at or now(), params=params)


def order_synced_event(*, order: Order, source: str) -> OrderEvent:
    return OrderEvent.objects.create(order=order, type="synced", at=now(), params={"source": source})


def order_sync_updated_event(*, order: Order, fields: list[str]) -> OrderEvent:
    return OrderEvent.objects.create(order=order, type="sync_updated", at=now(), params={"fields": sorted(fields)})
