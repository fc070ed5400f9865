"""Operation-log entries of an order (操作日志): one constructor per type. How each type reads is registered with
core.labels (OrdersConfig.ready() and every app that writes here)."""

from core.clock import now

from .models import Order, OrderEvent, OrderEventType


def order_event_add(*, order_id: int, type: str, actor=None, at=None, batch=None, **params) -> OrderEvent:
    """One operation-log entry (操作日志): every app that acts on an order writes through this. With `batch`
    (core.writebatch) it goes out with the caller's other writes."""
    event = OrderEvent(order_id=order_id, type=type, actor=actor, at=at or now(), params=params)
    if batch is None:
        event.save(force_insert=True)
    else:
        batch.insert(event)
    return event


def order_synced_event(*, order: Order, source: str) -> OrderEvent:
    return OrderEvent.objects.create(order=order, type=OrderEventType.SYNCED, at=now(), params={"source": source})


def order_sync_updated_event(*, order: Order, fields: list[str]) -> OrderEvent:
    return OrderEvent.objects.create(order=order, type=OrderEventType.SYNC_UPDATED, at=now(), params={"fields": sorted(fields)})
