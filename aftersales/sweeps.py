"""The after-sales clocks (SPEC §8). Each is safe to run twice at once and after a crash."""

from core.clocks import sweep

from .models import DeadlineAction
from .services import entry_close_due, ticket_auto_approve_due, ticket_ship_deadline_reach, ticket_window_close, tickets_due


@sweep("reship_auto_approve")
def reship_auto_approve_sweep() -> int:
    """RS-03: unanswered reship requests are approved at their 48-hour deadline (set-based batches)."""
    return ticket_auto_approve_due()


@sweep("reship_ship_deadline")
def reship_ship_deadline_sweep() -> int:
    """RS-04..RS-06: penalty and coupon at the missed shipment deadline; not_received is refunded."""
    moved = 0
    while ids := tickets_due(action=DeadlineAction.SHIP_DEADLINE):
        done = sum(ticket_ship_deadline_reach(ticket_id=pk) for pk in ids)
        moved += done
        if not done:  # every due row is locked by someone else right now: the next run takes them
            break
    return moved


@sweep("reship_window_close")
def reship_window_close_sweep() -> int:
    """RS-07: a 48-hour intervention window the buyer left unused closes the ticket."""
    moved = 0
    while ids := tickets_due(action=DeadlineAction.CLOSE_WINDOW):
        done = sum(ticket_window_close(ticket_id=pk) for pk in ids)
        moved += done
        if not done:
            break
    return moved


@sweep("aftersales_entry_close")
def aftersales_entry_close_sweep() -> int:
    """ASE-R01: a re-opened after-sales entry closes 5 days after its opening."""
    return entry_close_due()
