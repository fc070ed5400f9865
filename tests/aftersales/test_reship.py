"""Reship requests (SPEC §6: RS-01..RS-10) with their 48-hour clocks, and merchant decisions' versions."""

import datetime as dt
import os
import pathlib
import subprocess
import sys
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from accounts.models import LedgerEntry, PlatformProfile
from accounts.selectors import ledger_drifts
from accounts.services import ledger_post
from aftersales.models import ReshipPenalty, Ticket, TicketEvent, TicketStatus
from aftersales.services import (
    entry_open,
    ticket_approve,
    ticket_arbitrate,
    ticket_auto_approve_due,
    ticket_create,
    ticket_intervene,
    ticket_modify,
    ticket_reject,
    ticket_ship,
    ticket_withdraw,
)
from aftersales.sweeps import reship_ship_deadline_sweep, reship_window_close_sweep
from notifications.selectors import notification_list_about
from orders.models import Category, Order
from tests.aftersales.helpers import NOW, funds, order, refused, user

pytestmark = pytest.mark.django_db


def reship(order_no: str = "DY1022", reason: str = "missing_items", buyer: str = "buyer_ok") -> Ticket:
    return ticket_create(order=order(order_no), buyer=user(buyer), type="reship", reason=reason)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# RS-01, RS-02, RS-10: applying


def test_rs01_reship_after_shipment_in_an_enabled_category(demo, clock):
    """RS-01, RS-02: a shipped order of a reship category may apply; the answer clock starts (RS-03)."""
    ticket = reship()
    assert ticket.status == TicketStatus.PENDING_MERCHANT and ticket.reason == "missing_items"
    assert ticket.deadline == NOW + dt.timedelta(hours=48) and ticket.deadline_action == "auto_approve"
    assert [e.type for e in ticket.events.all()] == ["created"]


@pytest.mark.parametrize("order_no, buyer", [
    ("DY1002", "buyer_ok"),  # stocking: not shipped yet
    ("DY1024", "buyer_ok"),  # snacks: reship not rolled out in this category
    ("DY1016", "buyer_ok"),  # receipt 2026-11-05: more than 15 days ago
])
def test_rs01_reship_outside_its_window_or_category_is_refused(demo, clock, order_no, buyer):
    """RS-01: before shipment, after receipt + 15 days, or in a category without reship → `reship_not_available`."""
    refused("reship_not_available", ticket_create, order=order(order_no), buyer=user(buyer), type="reship",
            reason="other")
    assert not Ticket.objects.exists()


def test_rs01_the_window_is_15_days_after_receipt_and_the_category_rollout_is_editable(demo, clock):
    """RS-01: receipt + 15 days is the last moment (profile reship_apply_days_after_receipt); enabling the
    category (Category.reship_enabled) rolls reship out."""
    Order.objects.filter(order_no="DY1017").update(confirmed_receipt_at=NOW - dt.timedelta(days=15))
    ticket = reship("DY1017", buyer="buyer_ok2")
    ticket_withdraw(ticket=ticket, actor=user("buyer_ok2"))
    clock.shift(seconds=1)
    refused("reship_not_available", ticket_create, order=order("DY1017"), buyer=user("buyer_ok2"), type="reship",
            reason="other")
    PlatformProfile.objects.filter(code="douyin").update(reship_apply_days_after_receipt=16)
    assert reship("DY1017", buyer="buyer_ok2").status == TicketStatus.PENDING_MERCHANT
    Category.objects.filter(code="snacks").update(reship_enabled=True)
    assert reship("DY1024").type == "reship"


def test_rs10_reship_needs_no_reopened_entry_and_counts_toward_the_five(demo, clock):
    """RS-10: past the 7-day period but within 15 days a reship is accepted without an entry, not labelled,
    and counted toward ASE-R02's 5 applications."""
    Order.objects.filter(order_no="DY1017").update(confirmed_receipt_at=NOW - dt.timedelta(days=10))
    for _ in range(5):
        ticket_withdraw(ticket=reship("DY1017", buyer="buyer_ok2"), actor=user("buyer_ok2"))
    assert not Ticket.objects.filter(via_reopened_entry=True).exists()
    refused("aftersales_application_limit_reached", ticket_create, order=order("DY1017"), buyer=user("buyer_ok2"),
            type="reship", reason="other")


def test_rs10_reship_applications_count_even_with_an_open_entry(demo, clock):
    """RS-10, ASE-R02: a reship is never filed "through" the re-opened entry: it stays counted."""
    Order.objects.filter(order_no="DY1017").update(confirmed_receipt_at=NOW - dt.timedelta(days=10))
    entry_open(order=order("DY1017"), actor=user("dy_admin"))
    ticket = reship("DY1017", buyer="buyer_ok2")
    assert not ticket.via_reopened_entry and ticket.labels == []


def test_rs08_withdraw_then_apply_for_another_type(demo, clock):
    """RS-08: the buyer withdraws the reship and applies for a refund instead."""
    ticket = reship()
    refused("ticket_already_open", ticket_create, order=order("DY1022"), buyer=user("buyer_ok"), type="refund_only",
            reason="x", amount=Decimal("10.00"))
    ticket = ticket_withdraw(ticket=ticket, actor=user("buyer_ok"))
    assert ticket.status == TicketStatus.WITHDRAWN and ticket.deadline is None
    refund = ticket_create(order=order("DY1022"), buyer=user("buyer_ok"), type="refund_only", reason="x",
                           amount=Decimal("10.00"))
    assert refund.status == TicketStatus.PENDING_MERCHANT


def test_rs08_only_the_ticket_buyer_withdraws(demo, clock):
    """RS-08: another buyer's withdrawal answers as if the ticket did not exist."""
    ticket = reship()
    refused("not_found", ticket_withdraw, ticket=ticket, actor=user("buyer_ok2"))
    assert fresh(ticket).status == TicketStatus.PENDING_MERCHANT


# RS-03: the answer clock


def test_rs03_no_answer_within_48_hours_approves_automatically(demo, clock):
    """RS-03: at the 48-hour deadline (now ≥ deadline) the clock approves; the shipment clock starts (RS-04)."""
    ticket = reship()
    clock.shift(hours=48, seconds=-1)
    assert ticket_auto_approve_due() == 0
    assert fresh(ticket).status == TicketStatus.PENDING_MERCHANT
    clock.shift(seconds=1)
    assert ticket_auto_approve_due() == 1
    ticket = fresh(ticket)
    assert ticket.status == TicketStatus.AWAITING_SHIPMENT and ticket.version == 2
    assert ticket.deadline == NOW + dt.timedelta(hours=96) and ticket.deadline_action == "ship_deadline"
    assert [e.type for e in ticket.events.all()] == ["created", "auto_approved"]
    assert ticket_auto_approve_due() == 0


def test_rs03_the_merchant_answers_in_time(demo, clock):
    """RS-03, RS-04: a merchant approval within 48 h starts the 48-hour shipment clock; the answer clock stops."""
    ticket = reship()
    clock.shift(hours=10)
    ticket = ticket_approve(ticket=ticket, actor=user("dy_cs1"), version=1)
    assert ticket.status == TicketStatus.AWAITING_SHIPMENT
    assert ticket.deadline == NOW + dt.timedelta(hours=58)
    clock.shift(hours=48)
    assert ticket_auto_approve_due() == 0


def test_a_stale_version_is_refused_and_changes_nothing(demo, clock):
    """Merchant decisions carry the ticket's version (Douyin afterSale/operate): a stale one → 409
    `ticket_version_stale`, nothing changes."""
    ticket = reship()
    ticket_approve(ticket=ticket, actor=user("dy_cs1"), version=1)
    error = refused("ticket_version_stale", ticket_reject, ticket=ticket, actor=user("dy_cs2"), reason="x", version=1)
    assert error.error.status == 409 and error.extra == {"version": 2}
    ticket = fresh(ticket)
    assert ticket.status == TicketStatus.AWAITING_SHIPMENT and ticket.version == 2
    assert ticket.events.count() == 2


def test_another_shop_cannot_decide(demo, clock):
    """SPEC §1: tickets are decided by members of their shop only."""
    ticket = reship()
    refused("permission_denied", ticket_approve, ticket=ticket, actor=user("pdd_admin"))
    assert fresh(ticket).version == 1


# RS-04: shipping


def approved(order_no: str = "DY1022", reason: str = "missing_items") -> Ticket:
    return ticket_approve(ticket=reship(order_no, reason), actor=user("dy_admin"))


def test_rs04_ship_in_time_with_a_real_tracking_number(demo, clock):
    """RS-04: a number of the courier's format, uploaded within 48 h, ships the reship; no penalty."""
    ticket = approved()
    clock.shift(hours=47)
    ticket = ticket_ship(ticket=ticket, actor=user("dy_cs1"), courier="yto", tracking_no="YT8800000000001",
                         version=ticket.version)
    assert ticket.status == TicketStatus.SHIPPED and ticket.tracking_no == "YT8800000000001"
    assert ticket.deadline is None and ticket.events.last().params["late"] is False
    clock.shift(hours=2)
    assert reship_ship_deadline_sweep() == 0
    assert not ReshipPenalty.objects.exists()


@pytest.mark.parametrize("courier, tracking_no", [
    ("yto", "YT123"), ("yto", "JT8800000000001"), ("jt", "YT8800000000001"), ("sf", "SF8800000000001"),
])
def test_rs04_a_tracking_number_not_of_the_couriers_format_is_refused(demo, clock, courier, tracking_no):
    """RS-04: `tracking_no_invalid`; the ticket stays awaiting shipment."""
    ticket = approved()
    refused("tracking_no_invalid", ticket_ship, ticket=ticket, actor=user("dy_cs1"), courier=courier,
            tracking_no=tracking_no)
    assert fresh(ticket).status == TicketStatus.AWAITING_SHIPMENT


def test_rs04_a_tracking_number_is_never_reused_across_orders(demo, clock):
    """RS-04: another order's reship number, or any order's parcel number, is refused (`tracking_no_used`)."""
    first = approved("DY1022")
    ticket_ship(ticket=first, actor=user("dy_cs1"), courier="yto", tracking_no="YT8800000000001")
    second = approved("DY1023")
    refused("tracking_no_used", ticket_ship, ticket=second, actor=user("dy_cs1"), courier="yto",
            tracking_no="YT8800000000001")
    refused("tracking_no_used", ticket_ship, ticket=second, actor=user("dy_cs1"), courier="yto",
            tracking_no="YT7310000009096")  # DY1022's parcel
    assert fresh(second).status == TicketStatus.AWAITING_SHIPMENT and fresh(second).tracking_no == ""


# RS-05, RS-06, RS-07: missed deadlines


def test_rs05_late_shipment_records_the_penalty_and_a_coupon_from_the_balance(demo, clock):
    """RS-05: at the missed shipment deadline the penalty is recorded, the buyer gets a 3.00 cash coupon taken
    from the shop's balance (ledger `reship_coupon`) and a message; the merchant may still ship late (RS-07)."""
    ticket = approved()
    before = funds()
    clock.shift(hours=48)
    assert reship_ship_deadline_sweep() == 1
    penalty = ReshipPenalty.objects.get(ticket=ticket)
    assert penalty.coupon_amount == Decimal("3.00") and penalty.charged_from == "balance"
    assert funds() == (before[0] - Decimal("3.00"), before[1], before[2])
    assert LedgerEntry.objects.get(ref_type="ticket", ref_id=str(ticket.pk)).kind == "reship_coupon"
    assert notification_list_about(about=ticket).filter(kind="reship_coupon").count() == 2
    ticket = fresh(ticket)
    assert ticket.status == TicketStatus.AWAITING_SHIPMENT
    assert ticket.intervention_until == NOW + dt.timedelta(hours=96) and ticket.deadline_action == "close_window"
    assert reship_ship_deadline_sweep() == 0  # a second run charges nothing
    assert LedgerEntry.objects.filter(kind="reship_coupon").count() == 1
    clock.shift(hours=5)
    ticket = ticket_ship(ticket=ticket, actor=user("dy_cs1"), courier="jt", tracking_no="JT8800000000002")
    assert ticket.status == TicketStatus.SHIPPED and ticket.events.last().params["late"] is True
    assert ledger_drifts() == []


def test_rs05_the_coupon_comes_from_the_deposit_when_the_balance_is_short(demo, clock):
    """RS-05: balance short → the deposit; the coupon amount is the profile's reship_late_coupon."""
    PlatformProfile.objects.filter(code="douyin").update(reship_late_coupon=Decimal("5.00"))
    ledger_post(shop_id=order("DY1022").shop_id, kind="sync", balance=Decimal("-19498.00"))  # 2.00 available
    ticket = approved()
    clock.shift(hours=48)
    reship_ship_deadline_sweep()
    assert ReshipPenalty.objects.get(ticket=ticket).charged_from == "deposit"
    assert funds()[2] == Decimal("1995.00")
    assert ledger_drifts() == []


def test_rs06_not_received_is_refunded_in_full_at_the_shipment_deadline(demo, clock):
    """RS-06: approved but not shipped by the deadline → coupon (RS-05) and full refund, no window."""
    ticket = approved(reason="not_received")
    paid = order("DY1022").paid_amount
    before = funds()
    clock.shift(hours=48)
    assert reship_ship_deadline_sweep() == 1
    ticket = fresh(ticket)
    assert ticket.status == TicketStatus.REFUNDED and ticket.amount == paid
    assert ticket.intervention_until is None
    assert funds()[0] == before[0] - Decimal("3.00") - paid
    assert order("DY1022").refund_state == Order.RefundState.FULL
    assert [e.type for e in ticket.events.all()][-2:] == ["shipment_overdue", "refunded"]
    assert ledger_drifts() == []


def test_rs06_not_received_rejected_goes_straight_to_arbitration(demo, clock):
    """RS-06: a rejection of `not_received` opens no buyer window: the ticket is in arbitration."""
    ticket = ticket_reject(ticket=reship(reason="not_received"), actor=user("dy_admin"), reason="物流显示已签收")
    assert ticket.status == TicketStatus.IN_ARBITRATION and ticket.intervention_until is None
    refused("ticket_not_actionable", ticket_intervene, ticket=ticket, actor=user("buyer_ok"))


def test_rs07_rejected_missing_items_buyer_may_intervene_within_48_hours(demo, clock):
    """RS-07: after a rejection the buyer has 48 h to ask for platform intervention."""
    ticket = ticket_reject(ticket=reship(), actor=user("dy_admin"), reason="已核实未少发")
    assert ticket.status == TicketStatus.REJECTED and ticket.deadline == NOW + dt.timedelta(hours=48)
    clock.shift(hours=47)
    ticket = ticket_intervene(ticket=ticket, actor=user("buyer_ok"), note="确实少了一件")
    assert ticket.status == TicketStatus.IN_INTERVENTION and ticket.deadline is None


def test_rs07_the_buyer_may_modify_the_request_within_the_window(demo, clock):
    """RS-07: a modified request goes back to the merchant with a new 48-hour answer clock."""
    ticket = ticket_reject(ticket=reship(reason="other"), actor=user("dy_admin"), reason="x")
    clock.shift(hours=20)
    ticket = ticket_modify(ticket=ticket, actor=user("buyer_ok"), reason="missing_items")
    assert ticket.status == TicketStatus.PENDING_MERCHANT and ticket.reason == "missing_items"
    assert ticket.deadline == NOW + dt.timedelta(hours=68) and ticket.deadline_action == "auto_approve"


def test_rs07_after_48_hours_the_window_is_closed(demo, clock):
    """RS-07: at 48 h `intervention_window_closed` (409); nothing changes."""
    ticket = ticket_reject(ticket=reship(), actor=user("dy_admin"), reason="x")
    clock.shift(hours=48)
    error = refused("intervention_window_closed", ticket_intervene, ticket=ticket, actor=user("buyer_ok"))
    assert error.error.status == 409
    refused("intervention_window_closed", ticket_modify, ticket=ticket, actor=user("buyer_ok"), reason="other")
    assert fresh(ticket).status == TicketStatus.REJECTED and fresh(ticket).version == ticket.version


def test_rs07_an_unused_window_closes_the_ticket(demo, clock):
    """RS-07: if the buyer does neither within 48 h the clock closes the ticket (after a rejection, and after a
    missed shipment deadline — where the merchant could still ship until then)."""
    rejected = ticket_reject(ticket=reship("DY1022"), actor=user("dy_admin"), reason="x")
    late = approved("DY1023")
    clock.shift(hours=48)
    assert reship_ship_deadline_sweep() == 1
    assert reship_window_close_sweep() == 1
    assert fresh(rejected).status == TicketStatus.CLOSED
    assert fresh(late).status == TicketStatus.AWAITING_SHIPMENT
    clock.shift(hours=48)
    assert reship_window_close_sweep() == 1
    assert fresh(late).status == TicketStatus.CLOSED
    assert fresh(late).events.last().params["cause"] == "intervention_window_unused"
    assert reship_window_close_sweep() == 0
    refused("ticket_not_actionable", ticket_ship, ticket=late, actor=user("dy_cs1"), courier="yto",
            tracking_no="YT8800000000009")


def test_rs07_a_buyer_after_the_window_closed_the_ticket_gets_intervention_window_closed(demo, clock):
    """RS-07 (API.md): once the window's clock closed the ticket, intervening or modifying answers
    `intervention_window_closed` (409), not `ticket_not_actionable`."""
    rejected = ticket_reject(ticket=reship("DY1022"), actor=user("dy_admin"), reason="x")
    clock.shift(hours=48)
    assert reship_window_close_sweep() == 1
    error = refused("intervention_window_closed", ticket_intervene, ticket=rejected, actor=user("buyer_ok"))
    assert error.error.status == 409
    refused("intervention_window_closed", ticket_modify, ticket=rejected, actor=user("buyer_ok"), reason="other")
    assert fresh(rejected).status == TicketStatus.CLOSED


def test_rs07_after_a_missed_shipment_the_buyer_may_intervene(demo, clock):
    """RS-07: missing_items approved and not shipped → the buyer may ask for intervention within 48 h of the
    missed deadline."""
    ticket = approved()
    clock.shift(hours=49)
    reship_ship_deadline_sweep()
    ticket = ticket_intervene(ticket=fresh(ticket), actor=user("buyer_ok"))
    assert ticket.status == TicketStatus.IN_INTERVENTION


# RS-09: platform staff


def test_rs09_arbitration_for_the_buyer_refunds_not_received_in_full(demo, clock):
    """RS-09: for the buyer → `not_received` refunded in full through the ledger."""
    ticket = ticket_reject(ticket=reship(reason="not_received"), actor=user("dy_admin"), reason="x")
    refused("permission_denied", ticket_arbitrate, ticket=ticket, actor=user("dy_admin"), outcome="buyer")
    ticket = ticket_arbitrate(ticket=ticket, actor=user("ops1"), outcome="buyer", note="物流停滞七天")
    assert ticket.status == TicketStatus.REFUNDED and ticket.amount == order("DY1022").paid_amount
    assert ticket.events.filter(type="arbitrated").get().params["outcome"] == "buyer"
    assert ledger_drifts() == []


def test_rs09_arbitration_for_the_merchant_closes_the_ticket(demo, clock):
    """RS-09: for the merchant → closed; no money moves."""
    ticket = ticket_reject(ticket=reship(reason="not_received"), actor=user("dy_admin"), reason="x")
    entries = LedgerEntry.objects.count()
    ticket = ticket_arbitrate(ticket=ticket, actor=user("ops1"), outcome="merchant", note="已签收")
    assert ticket.status == TicketStatus.CLOSED and LedgerEntry.objects.count() == entries
    refused("ticket_not_in_arbitration", ticket_arbitrate, ticket=ticket, actor=user("ops1"), outcome="buyer")


def test_rs09_intervention_for_the_buyer_obliges_a_shipment_within_48_hours_again(demo, clock):
    """RS-09: an intervention decided for the buyer starts a new 48-hour shipment clock; missing it again
    records a second penalty and coupon (RS-04, RS-05 again)."""
    ticket = ticket_intervene(ticket=ticket_reject(ticket=reship(), actor=user("dy_admin"), reason="x"),
                              actor=user("buyer_ok"))
    clock.shift(hours=10)
    ticket = ticket_arbitrate(ticket=ticket, actor=user("ops1"), outcome="buyer")
    assert ticket.status == TicketStatus.AWAITING_SHIPMENT
    assert ticket.deadline == NOW + dt.timedelta(hours=58) and ticket.deadline_action == "ship_deadline"
    clock.shift(hours=48)
    assert reship_ship_deadline_sweep() == 1
    assert ReshipPenalty.objects.filter(ticket=ticket).count() == 1
    ticket = ticket_intervene(ticket=fresh(ticket), actor=user("buyer_ok"))
    ticket = ticket_arbitrate(ticket=ticket, actor=user("ops1"), outcome="buyer", remedy="refund")
    assert ticket.status == TicketStatus.REFUNDED
    assert ledger_drifts() == []


def test_rs09_rs10_out_of_stock_rejected_with_the_buyers_agreement(demo, clock):
    """RS-10: out of stock, the merchant rejects with the buyer's agreement (the reason says so); the buyer
    withdraws and applies for a refund (RS-08)."""
    ticket = ticket_reject(ticket=reship(), actor=user("dy_admin"), reason="缺货,已与买家协商一致")
    ticket_withdraw(ticket=ticket, actor=user("buyer_ok"))
    refund = ticket_create(order=order("DY1022"), buyer=user("buyer_ok"), type="refund_only", reason="缺货",
                           amount=Decimal("50.00"))
    refund = ticket_approve(ticket=refund, actor=user("dy_admin"), version=refund.version)
    assert refund.status == TicketStatus.REFUNDED
    assert ledger_drifts() == []


# SPEC §8: clocks run twice at once


def _in_thread(func, results: list, barrier: threading.Barrier) -> None:
    try:
        barrier.wait()
        results.append(func())
    finally:
        connection.close()


def run_twice_at_once(func) -> list:
    results: list = []
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=_in_thread, args=(func, results, barrier)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_rs03_two_auto_approve_sweeps_at_once_approve_each_ticket_once(demo):
    """RS-03, SPEC §8: two concurrent runs (PostgreSQL, SKIP LOCKED) approve each ticket once, one event each."""
    with time_machine.travel(NOW, tick=False) as traveller:
        tickets = [reship(no) for no in ("DY1022", "DY1023", "DY1025", "DY1027", "DY1001")]
        traveller.shift(dt.timedelta(hours=49))
        results = run_twice_at_once(lambda: ticket_auto_approve_due(batch=2))
    assert sum(results) == 5
    assert TicketEvent.objects.filter(type="auto_approved").count() == 5
    assert {fresh(t).version for t in tickets} == {2}


@pytest.mark.django_db(transaction=True)
def test_rs05_two_shipment_deadline_sweeps_at_once_charge_once(demo):
    """RS-05, SPEC §8: two concurrent runs record one penalty and one coupon per ticket."""
    with time_machine.travel(NOW, tick=False) as traveller:
        for no in ("DY1022", "DY1023", "DY1025"):
            approved(no, reason="not_received" if no == "DY1025" else "missing_items")
        before, paid = funds(), order("DY1025").paid_amount
        traveller.shift(dt.timedelta(hours=49))
        results = run_twice_at_once(reship_ship_deadline_sweep)
        assert sum(results) == 3
        assert ReshipPenalty.objects.count() == 3
        assert LedgerEntry.objects.filter(kind="reship_coupon").count() == 3
        assert LedgerEntry.objects.filter(kind="merchant_refund").count() == 1
        assert funds()[0] == before[0] - Decimal("9.00") - paid
    assert ledger_drifts() == []


@pytest.mark.django_db(transaction=True)
def test_rs07_two_window_close_sweeps_at_once_close_once(demo):
    """RS-07, SPEC §8: two concurrent runs close each unused window once."""
    with time_machine.travel(NOW, tick=False) as traveller:
        for no in ("DY1022", "DY1023"):
            ticket_reject(ticket=reship(no), actor=user("dy_admin"), reason="x")
        traveller.shift(dt.timedelta(hours=48))
        results = run_twice_at_once(reship_window_close_sweep)
    assert sum(results) == 2
    assert TicketEvent.objects.filter(type="closed").count() == 2


@pytest.mark.parametrize("order_no, type", [("DY1009", "refund_only"), ("DY1002", "return_refund"),
                                            ("DY1002", "exchange")])
def test_ase_r06_closed_orders_and_unshipped_returns_are_refused(demo, clock, order_no, type):
    """ASE-R06 (the normal flow): no ticket on a closed order; no return or exchange before shipment."""
    refused("order_status_not_allowed", ticket_create, order=order(order_no), buyer=user("buyer_ok"), type=type,
            reason="x", amount=Decimal("1.00"))
    assert not Ticket.objects.exists()


def test_ase_r02_refund_amount_is_positive_and_within_what_is_refundable(demo, clock):
    """ASE-R02 (applying): the amount is positive with two decimals and at most the refundable amount."""
    for amount in (Decimal("0"), Decimal("-1.00"), Decimal("1.001")):
        refused("invalid", ticket_create, order=order("DY1022"), buyer=user("buyer_ok"), type="refund_only",
                reason="x", amount=amount)
    refused("ticket_amount_exceeds_refundable", ticket_create, order=order("DY1022"), buyer=user("buyer_ok"),
            type="refund_only", reason="x", amount=order("DY1022").paid_amount + Decimal("0.01"))
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ase_r03_two_approvals_of_one_refund_at_once_refund_once(demo):
    """ASE-R03 under concurrency: two operators approving the same refund at the same moment move the money once;
    the other gets a 409 and changes nothing."""
    from core.errors import ApplicationError

    with time_machine.travel(NOW, tick=False):
        ticket = ticket_create(order=order("DY1022"), buyer=user("buyer_ok"), type="refund_only", reason="x",
                               amount=Decimal("30.00"))
        before = funds()

        def approve(username):
            def run():
                try:
                    return ticket_approve(ticket=ticket, actor=user(username), version=1).status
                except ApplicationError as error:
                    return error.code
            return run

        results: list = []
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=_in_thread, args=(approve(u), results, barrier))
                   for u in ("dy_cs1", "dy_cs2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outcomes = sorted(results)
    assert outcomes == ["refunded", "ticket_version_stale"]
    assert LedgerEntry.objects.filter(ref_type="ticket", ref_id=str(ticket.pk)).count() == 1
    assert funds()[0] == before[0] - Decimal("30.00")
    assert ledger_drifts() == []


@pytest.mark.django_db(transaction=True)
def test_rs04_one_tracking_number_uploaded_for_two_orders_at_once_is_accepted_once(demo):
    """RS-04 under concurrency: the same number shipped on two orders at the same moment serves one of them."""
    from core.errors import ApplicationError

    with time_machine.travel(NOW, tick=False):
        tickets = [approved(no) for no in ("DY1022", "DY1023")]

        def ship(ticket):
            def run():
                try:
                    return ticket_ship(ticket=ticket, actor=user("dy_cs1"), courier="yto",
                                       tracking_no="YT8800000000077").status
                except ApplicationError as error:
                    return error.code
            return run

        results: list = []
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=_in_thread, args=(ship(t), results, barrier)) for t in tickets]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == ["shipped", "tracking_no_used"]
    assert Ticket.objects.filter(tracking_no="YT8800000000077").count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="on SQLite test_reship_sqlite.py runs directly")
def test_rs03_the_embedded_sqlite_path_moves_tickets_like_the_set_based_sweep(tmp_path):
    """RS-03: the per-row fallback (SQLite, bin/run) gives the same status, version, deadline and event — run
    on a real SQLite database (a child pytest of test_reship_sqlite.py with an SQLite DATABASE_URL), not on
    PostgreSQL with its vendor renamed (issue 22, item 18)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'reship.sqlite3'}"}
    env.pop("PYTEST_XDIST_WORKER", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "-p", "no:randomly",
         str(pathlib.Path(__file__).with_name("test_reship_sqlite.py"))],
        cwd=pathlib.Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout[-3000:] + run.stderr[-2000:]


@pytest.mark.django_db(transaction=True)
def test_rs03_tickets_of_one_shop_are_decided_in_parallel(demo):
    """RS-03 (answering in time): locking a ticket locks its order and itself, never the shop row, so one
    operator's decision does not hold up another's on another order of the same shop."""
    from django.db import transaction

    from aftersales.services import ticket_lock

    with time_machine.travel(NOW, tick=False):
        first, second = reship("DY1022"), reship("DY1023")
    held, release = threading.Event(), threading.Event()

    def hold_first():
        try:
            with transaction.atomic():
                ticket_lock(ticket_id=first.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_first)
    thread.start()
    try:
        assert held.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            assert ticket_lock(ticket_id=second.pk).pk == second.pk
    finally:
        release.set()
        thread.join()
