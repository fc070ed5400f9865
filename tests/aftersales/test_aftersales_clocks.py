"""SPEC §8 / API.md Clocks: `run_clocks` alone moves every ticket and entry forward, and a rerun changes nothing."""

import pytest
from django.core.management import call_command

from accounts.models import LedgerEntry
from aftersales.models import AftersalesEntry, Ticket, TicketEvent, TicketStatus
from aftersales.services import entry_open, ticket_create, ticket_reject
from tests.aftersales.helpers import order, user

pytestmark = pytest.mark.django_db


def test_rs03_rs06_rs07_ase_r01_run_clocks_alone_moves_everything_and_a_rerun_changes_nothing(demo, clock):
    """RS-03 (auto-approve), RS-06 (refund at the shipment deadline), RS-07 (unused window closes), ASE-R01
    (entry closes after 5 days), all through `run_clocks`, each run twice."""
    not_received = ticket_create(order=order("DY1022"), buyer=user("buyer_ok"), type="reship", reason="not_received")
    rejected = ticket_reject(ticket=ticket_create(order=order("DY1023"), buyer=user("buyer_ok"), type="reship",
                                                  reason="other"), actor=user("dy_admin"), reason="x")
    entry_open(order=order("DY1016"), actor=user("dy_admin"))

    def run_twice():
        call_command("run_clocks")
        state = (list(Ticket.objects.order_by("pk").values_list("status", "version")), TicketEvent.objects.count(),
                 LedgerEntry.objects.count(), list(AftersalesEntry.objects.values_list("status", flat=True)))
        call_command("run_clocks")
        assert state == (list(Ticket.objects.order_by("pk").values_list("status", "version")),
                         TicketEvent.objects.count(), LedgerEntry.objects.count(),
                         list(AftersalesEntry.objects.values_list("status", flat=True)))

    clock.shift(hours=48)
    run_twice()
    assert Ticket.objects.get(pk=not_received.pk).status == TicketStatus.AWAITING_SHIPMENT
    assert Ticket.objects.get(pk=rejected.pk).status == TicketStatus.CLOSED
    clock.shift(hours=48)
    run_twice()
    assert Ticket.objects.get(pk=not_received.pk).status == TicketStatus.REFUNDED
    assert AftersalesEntry.objects.get().status == AftersalesEntry.Status.OPEN
    clock.shift(days=3)
    run_twice()
    assert AftersalesEntry.objects.get().status == AftersalesEntry.Status.CLOSED
