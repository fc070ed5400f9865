"""Concurrency on real PostgreSQL with real threads: a double click never intercepts or charges twice (INT-07,
INT-02), and two clock runs at once change nothing twice (SPEC §8)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import LedgerEntry
from accounts.selectors import ledger_drifts
from aftersales.models import Ticket, TicketStatus
from core import clocks
from core.errors import ApplicationError
from logistics.models import Interception, InterceptionStatus
from logistics.services import interception_request

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*funcs):
    """Start every function in its own thread at the same moment; return their results or exceptions."""
    barrier = threading.Barrier(len(funcs))
    results: list = [None] * len(funcs)

    def target(i, func):
        try:
            barrier.wait()
            results[i] = func()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i, f)) for i, f in enumerate(funcs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_int_07_two_concurrent_requests_for_one_parcel_create_one_interception_and_charge_once(make_ticket, user):
    ticket = make_ticket("DY1001", amount=Decimal("30.00"))
    actors = [user("dy_cs1"), user("dy_cs2")]

    def request(actor):
        return lambda: interception_request(ticket=Ticket.objects.get(pk=ticket.pk), tracking_nos=["YT7310000001137"],
                                            mode="online", actor=actor)

    results = run_together(request(actors[0]), request(actors[1]))
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(refused) == 1 and refused[0].code == "interception_already_requested"
    assert Interception.objects.count() == 1
    run_together(lambda: clocks.run_sweep("interception_results"), lambda: clocks.run_sweep("interception_results"))
    clocks.run_sweep("interception_results")
    assert Interception.objects.get().status == InterceptionStatus.SUCCEEDED
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).count() == 1
    assert LedgerEntry.objects.filter(ref_type="ticket", ref_id=str(ticket.pk)).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.REFUNDED
    assert ledger_drifts() == []


def test_int_07_two_concurrent_clock_runs_apply_each_result_once(make_ticket, user):
    tickets = [make_ticket(no) for no in ("DY1001", "DY1003", "DY1024", "DY1025")]
    tracking = ["YT7310000001137", "JT5280000002053", "YT7310000010233", "YT7310000011370"]
    for ticket, no in zip(tickets, tracking, strict=True):
        interception_request(ticket=ticket, tracking_nos=[no], mode="online", actor=user("dy_cs1"))
    moved = run_together(lambda: clocks.run_sweep("interception_results"),
                         lambda: clocks.run_sweep("interception_results"))
    clocks.run_sweep("interception_results")
    assert not any(isinstance(m, Exception) for m in moved), moved
    assert set(Interception.objects.values_list("status", flat=True)) == {InterceptionStatus.SUCCEEDED}
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).count() == 4
    assert LedgerEntry.objects.filter(ref_type="ticket").count() == 4
    events = Interception.objects.first().events.values_list("type", flat=True)
    assert list(events) == ["created", "submitted", "intercepted"]
    assert ledger_drifts() == []


def test_int_07_two_concurrent_api_requests_one_201_one_409_and_one_fee(make_ticket, api):
    """A double click through the API, without an Idempotency-Key: the database answers for it."""
    ticket = make_ticket("DY1024", amount=Decimal("10.00"))
    url, body = f"/api/v1/tickets/{ticket.pk}/intercept/", {"parcels": ["YT7310000010233"], "mode": "online"}
    responses = run_together(lambda: api("tok-dy_cs1").post(url, body, format="json"),
                             lambda: api("tok-dy_cs1").post(url, body, format="json"))
    assert sorted(r.status_code for r in responses) == [201, 409]
    clocks.run_sweep("interception_results")
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).count() == 1
    assert ledger_drifts() == []


def test_int_07_two_concurrent_return_sweeps_report_each_return_once(make_ticket, user):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    for order_no, tracking in (("DY1001", "YT7310000001137"), ("DY1024", "YT7310000010233")):
        interception_request(ticket=make_ticket(order_no), tracking_nos=[tracking], mode="online",
                             actor=user("dy_cs1"))
    clocks.run_sweep("interception_results")
    with time_machine.travel(timezone.now() + dt.timedelta(days=3, minutes=1), tick=False):
        moved = run_together(lambda: clocks.run_sweep("interception_returns"),
                             lambda: clocks.run_sweep("interception_returns"))
    assert sum(moved) == 2
    assert set(Interception.objects.values_list("status", flat=True)) == {InterceptionStatus.RETURNED}
    for interception in Interception.objects.all():
        assert list(interception.events.values_list("type", flat=True)) == [
            "created", "submitted", "intercepted", "returned"]
