"""Re-opening the after-sales entry (SPEC §5: ASE-E01..E06, ASE-R01..R06)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import LedgerEntry, ShopAccount
from accounts.selectors import ledger_drifts
from accounts.services import ledger_post
from aftersales.models import AftersalesEntry, EntryRequest, Ticket, TicketStatus
from aftersales.selectors import entry_eligibility
from aftersales.services import (
    entry_close_due,
    entry_open,
    entry_request,
    ticket_approve,
    ticket_create,
    ticket_reject,
    ticket_withdraw,
)
from notifications.models import Notification
from orders.models import Order, OrderEvent
from tests.aftersales.helpers import NOW, funds, order, refused, user

pytestmark = pytest.mark.django_db


def open_entry(order_no: str = "DY1016", by: str = "dy_cs1") -> AftersalesEntry:
    return entry_open(order=order(order_no), actor=user(by))


@pytest.mark.parametrize("order_no, code, rule, tweak", [
    ("DY1017", "aftersales_period_not_over", "ASE-E01", {}),  # receipt 2026-11-20: period ends 11-27
    ("DY1022", "aftersales_period_not_over", "ASE-E01", {}),  # receipt not confirmed
    ("DY1019", "order_refunded_or_refunding", "ASE-E02", {}),  # refund in progress
    ("DY1020", "order_refunded_or_refunding", "ASE-E02", {}),  # fully refunded
    ("DY1016", "order_not_paid_online", "ASE-E03", {"payment": "cod"}),
    ("DY1013", "order_not_physical", "ASE-E04", {}),  # virtual goods
    ("DY1006", "order_outside_entry_window", "ASE-E05", {}),  # created 2025-10-01: over 150 days
    ("DY1016", "order_outside_entry_window", "ASE-E05",
     {"created_at": dt.datetime(2020, 6, 30, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))}),
    ("DY1014", "order_category_not_supported", "ASE-E06", {}),  # coupon/card
    ("DY1015", "order_category_not_supported", "ASE-E06", {}),  # education
])
def test_ase_e01_to_e06_each_refusal_has_its_code_and_opens_nothing(demo, clock, order_no, code, rule, tweak):
    """ASE-E01..E06: an ineligible order is refused with its rule's code; no entry, no log row, no message."""
    if tweak:
        Order.objects.filter(order_no=order_no).update(**tweak)
    error = refused(code, entry_open, order=order(order_no), actor=user("dy_admin"))
    assert error.error.rule == rule
    assert not AftersalesEntry.objects.exists()
    assert not OrderEvent.objects.filter(type__startswith="aftersales_entry").exists()
    assert not Notification.objects.exists()


def test_ase_e05_a_150_day_old_order_is_still_eligible_and_a_day_older_is_not(demo, clock):
    """ASE-E05: at most 150 days old, counted as exact days from creation."""
    from core.clock import now

    Order.objects.filter(order_no="DY1016").update(created_at=now() - dt.timedelta(days=150))
    assert all(check.ok for check in entry_eligibility(order=order("DY1016")))
    Order.objects.filter(order_no="DY1016").update(created_at=now() - dt.timedelta(days=150, seconds=1))
    verdicts = {check.rule: check.ok for check in entry_eligibility(order=order("DY1016"))}
    assert verdicts == {"ASE-E01": True, "ASE-E02": True, "ASE-E03": True, "ASE-E04": True, "ASE-E05": False,
                        "ASE-E06": True}


def test_ase_e01_eligibility_is_explained_rule_by_rule(demo, clock):
    """ASE-E01..E06: the explanation lists every rule with its verdict, not only the first failure."""
    Order.objects.filter(order_no="DY1013").update(payment="cod")
    verdicts = {check.rule: check.ok for check in entry_eligibility(order=order("DY1013"))}
    assert verdicts == {"ASE-E01": True, "ASE-E02": True, "ASE-E03": False, "ASE-E04": False, "ASE-E05": True,
                        "ASE-E06": True}


def test_ase_r01_entry_opens_for_five_days_logs_and_notifies(demo, clock):
    """ASE-R01, ASE-R04, ASE-R05: opening records the operation log and messages the buyer (station + push)."""
    entry = open_entry()
    assert entry.status == "open"
    assert entry.closes_at - entry.opened_at == dt.timedelta(days=5)
    log = OrderEvent.objects.get(order__order_no="DY1016", type="aftersales_entry_opened")
    assert log.actor.username == "dy_cs1"
    channels = sorted(Notification.objects.filter(order__order_no="DY1016").values_list("channel", flat=True))
    assert channels == ["push", "station"]
    assert Notification.objects.filter(recipient__username="buyer_ok", kind="entry_opened").count() == 2


def test_ase_r01_a_second_opening_while_open_is_refused(demo, clock):
    """ASE-R01: one open entry per order (`entry_already_open`, 409); nothing more is logged."""
    open_entry()
    error = refused("entry_already_open", entry_open, order=order("DY1016"), actor=user("dy_admin"))
    assert error.error.status == 409
    assert AftersalesEntry.objects.count() == 1
    assert OrderEvent.objects.filter(type="aftersales_entry_opened").count() == 1


def test_ase_r01_the_clock_closes_the_entry_after_five_days_whether_or_not_the_buyer_applied(demo, clock):
    """ASE-R01: the entry closes at opened + 5 days; a ticket already filed goes on."""
    open_entry("DY1016")
    open_entry("DY1018", by="dy_admin")
    ticket = ticket_create(order=order("DY1016"), buyer=user("buyer_ok"), type="refund_only", reason="质量问题",
                           amount=Decimal("20.00"))
    clock.shift(days=5, seconds=-1)
    assert entry_close_due() == 0
    clock.shift(seconds=1)
    assert entry_close_due() == 2
    assert set(AftersalesEntry.objects.values_list("status", flat=True)) == {"closed"}
    assert OrderEvent.objects.filter(type="aftersales_entry_closed").count() == 2
    assert entry_close_due() == 0
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING_MERCHANT  # the filed ticket goes on
    refused("aftersales_period_over", ticket_create, order=order("DY1018"), buyer=user("buyer_ok"),
            type="refund_only", reason="x", amount=Decimal("1.00"))


def test_ase_r01_entry_is_closed_for_the_buyer_at_closes_at_even_before_the_clock_runs(demo, clock):
    """ASE-R01: closes_at decides, not the sweep's timing."""
    open_entry("DY1018", by="dy_admin")
    clock.shift(days=5)
    refused("aftersales_period_over", ticket_create, order=order("DY1018"), buyer=user("buyer_ok"),
            type="refund_only", reason="x", amount=Decimal("1.00"))


def test_ase_r01_buyer_asks_again_after_close_and_the_merchant_reopens(demo, clock):
    """ASE-R01: after it closed the buyer may ask (shown on the order); the merchant opens it again,
    with every ASE-E rule checked again."""
    refused("entry_not_closed", entry_request, order=order("DY1016"), buyer=user("buyer_ok"))
    open_entry()
    refused("entry_already_open", entry_request, order=order("DY1016"), buyer=user("buyer_ok"))
    clock.shift(days=5)
    entry_close_due()
    request = entry_request(order=order("DY1016"), buyer=user("buyer_ok"))
    assert entry_request(order=order("DY1016"), buyer=user("buyer_ok")) == request  # asked twice: one request
    assert OrderEvent.objects.filter(type="aftersales_entry_requested").count() == 1
    second = open_entry(by="dy_admin")
    request.refresh_from_db()
    assert request.status == EntryRequest.Status.FULFILLED
    assert second.status == "open" and AftersalesEntry.objects.filter(order__order_no="DY1016").count() == 2


def test_ase_r01_rules_are_checked_again_at_a_reopening(demo, clock):
    """ASE-R01: a later opening re-checks ASE-E01..E06 (here the order has since got a refund in progress)."""
    open_entry()
    clock.shift(days=5)
    entry_close_due()
    Order.objects.filter(order_no="DY1016").update(refund_state="in_progress")
    refused("order_refunded_or_refunding", entry_open, order=order("DY1016"), actor=user("dy_admin"))
    assert AftersalesEntry.objects.filter(status="open").count() == 0


def test_ase_r01_another_shops_member_cannot_open(demo, clock):
    """ASE-R01: only the order's shop opens its entry."""
    refused("permission_denied", entry_open, order=order("DY1016"), actor=user("pdd_admin"))
    assert not AftersalesEntry.objects.exists()


def test_ase_e01_a_buyer_after_the_period_without_an_open_entry_is_refused(demo, clock):
    """ASE-E01 (buyer side): past the period with no open entry → `aftersales_period_over`."""
    refused("aftersales_period_over", ticket_create, order=order("DY1016"), buyer=user("buyer_ok"),
            type="refund_only", reason="x", amount=Decimal("10.00"))
    assert not Ticket.objects.exists()


def file_and_withdraw(order_no: str, buyer: str, times: int) -> None:
    for _ in range(times):
        ticket = ticket_create(order=order(order_no), buyer=user(buyer), type="refund_only", reason="x",
                               amount=Decimal("1.00"))
        ticket_withdraw(ticket=ticket, actor=user(buyer))


def test_ase_r02_five_applications_within_the_period_then_refused(demo, clock):
    """ASE-R02: within the after-sales period at most 5 applications per order (withdrawn ones count)."""
    file_and_withdraw("DY1017", "buyer_ok2", 5)
    refused("aftersales_application_limit_reached", ticket_create, order=order("DY1017"), buyer=user("buyer_ok2"),
            type="refund_only", reason="x", amount=Decimal("1.00"))
    assert Ticket.objects.filter(order__order_no="DY1017").count() == 5


def test_ase_r02_applications_through_a_reopened_entry_are_neither_counted_nor_limited(demo, clock):
    """ASE-R02, ASE-R04: past the period, through an open entry, a 6th and 7th application are accepted
    and labelled 超期售后."""
    file_and_withdraw("DY1017", "buyer_ok2", 5)
    clock.shift(days=4)  # receipt 2026-11-20 17:30 + 7 days is past
    entry_open(order=order("DY1017"), actor=user("dy_admin"))
    file_and_withdraw("DY1017", "buyer_ok2", 2)
    overdue = Ticket.objects.filter(order__order_no="DY1017", via_reopened_entry=True)
    assert overdue.count() == 2
    assert all(t.labels == ["overdue_aftersales"] and t.entry_id for t in overdue)
    assert OrderEvent.objects.filter(order__order_no="DY1017", type="overdue_ticket_created").count() == 2


def test_ase_r04_tickets_within_the_period_carry_no_label(demo, clock):
    """ASE-R04: only tickets filed through a re-opened entry carry 超期售后."""
    ticket = ticket_create(order=order("DY1017"), buyer=user("buyer_ok2"), type="refund_only", reason="x",
                           amount=Decimal("5.00"))
    assert ticket.labels == [] and not ticket.via_reopened_entry


def overdue_refund(amount: str) -> Ticket:
    open_entry()
    ticket = ticket_create(order=order("DY1016"), buyer=user("buyer_ok"), type="refund_only", reason="质量问题",
                           amount=Decimal(amount))
    return ticket_approve(ticket=ticket, actor=user("dy_cs1"), version=ticket.version)


def test_ase_r03_refund_through_a_reopened_entry_comes_from_the_balance(demo, clock):
    """ASE-R03: the whole refund from the available balance when it suffices."""
    before = funds()
    ticket = overdue_refund("120.00")
    assert ticket.status == TicketStatus.REFUNDED
    assert funds() == (before[0] - Decimal("120.00"), before[1], before[2])
    entry = LedgerEntry.objects.get(ref_type="ticket", ref_id=str(ticket.pk))
    assert entry.kind == "merchant_refund" and entry.balance_delta == Decimal("-120.00")
    assert order("DY1016").refund_state == Order.RefundState.PARTIAL
    assert ledger_drifts() == []


def test_ase_r03_short_balance_takes_the_whole_refund_from_the_deposit(demo, clock):
    """ASE-R03: if the available balance is short, the whole refund comes from the deposit (never split)."""
    shop_id = order("DY1016").shop_id
    ledger_post(shop_id=shop_id, kind="sync", balance=Decimal("-19400.00"))  # 600.00, 500.00 frozen: 100 available
    ticket = overdue_refund("120.00")
    assert funds() == (Decimal("600.00"), Decimal("500.00"), Decimal("1880.00"))
    assert LedgerEntry.objects.get(ref_type="ticket", ref_id=str(ticket.pk)).kind == "deposit_deduction"
    assert ledger_drifts() == []


def test_ase_r03_short_deposit_too_means_a_platform_advance_and_a_negative_deposit(demo, clock):
    """ASE-R03: the platform pays the buyer first and deducts the deposit, which goes negative (the debt)."""
    shop_id = order("DY1016").shop_id
    ledger_post(shop_id=shop_id, kind="sync", balance=Decimal("-19400.00"), deposit=Decimal("-1900.00"))
    ticket = overdue_refund("120.00")
    assert funds() == (Decimal("600.00"), Decimal("500.00"), Decimal("-20.00"))
    assert LedgerEntry.objects.get(ref_type="ticket", ref_id=str(ticket.pk)).kind == "platform_advance"
    assert ticket.events.get(type="refunded").params["source"] == "platform_advance"
    assert ledger_drifts() == []


def test_ase_r06_an_overdue_ticket_follows_the_same_flow_as_one_within_the_period(demo, clock):
    """ASE-R06: the same transitions, events and windows whether filed within the period or through an entry."""
    within = ticket_create(order=order("DY1017"), buyer=user("buyer_ok2"), type="return_refund", reason="x",
                           amount=Decimal("10.00"))
    open_entry()
    overdue = ticket_create(order=order("DY1016"), buyer=user("buyer_ok"), type="return_refund", reason="x",
                            amount=Decimal("10.00"))
    for ticket in (within, overdue):
        ticket = ticket_approve(ticket=ticket, actor=user("dy_admin"))
        assert ticket.status == TicketStatus.APPROVED
        ticket = ticket_reject(ticket=ticket, actor=user("dy_admin"), reason="退回商品有损")
        assert ticket.status == TicketStatus.REJECTED and ticket.deadline_action == "close_window"
    assert [e.type for e in within.events.all()] == [e.type for e in overdue.events.all()]


def _entry_close_in_thread(results: list, barrier: threading.Barrier) -> None:
    try:
        barrier.wait()
        results.append(entry_close_due(batch=1))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_ase_r01_two_entry_clocks_at_once_close_each_entry_once(demo):
    """ASE-R01, SPEC §8: two runs at once (threads, PostgreSQL SKIP LOCKED) close each entry once."""
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        for order_no in ("DY1016", "DY1018", "DY1007"):
            Order.objects.filter(order_no=order_no).update(created_at=NOW - dt.timedelta(days=40),
                                                           confirmed_receipt_at=NOW - dt.timedelta(days=20))
            open_entry(order_no, by="dy_admin")
        traveller.shift(dt.timedelta(days=6))
        results: list[int] = []
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=_entry_close_in_thread, args=(results, barrier)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(results) == 3
    assert OrderEvent.objects.filter(type="aftersales_entry_closed").count() == 3
    assert ShopAccount.objects.count() == 2


def test_ase_r03_a_refund_failing_on_the_buyers_account_goes_to_platform_staff_for_advance_payment(demo, clock):
    """ASE-R03: the refund fails on the buyer's account: the reason shows, no money moves, and the ticket waits
    in the platform staff's queue; their decision for the buyer is the advance payment, borne by the merchant."""
    from aftersales.services import ticket_arbitrate

    Order.objects.filter(order_no="DY1028").update(status="completed",
                                                   confirmed_receipt_at=NOW - dt.timedelta(days=10))
    entry_open(order=order("DY1028"), actor=user("dy_admin"))
    ticket = ticket_create(order=order("DY1028"), buyer=user("buyer_invalid"), type="refund_only", reason="x",
                           amount=Decimal("40.00"))
    entries, before = LedgerEntry.objects.count(), funds()
    ticket = ticket_approve(ticket=ticket, actor=user("dy_admin"))
    assert ticket.status == TicketStatus.IN_ARBITRATION
    assert ticket.events.get(type="refund_failed").params["failure_reason"] == "buyer_account_invalid"
    assert LedgerEntry.objects.count() == entries and funds() == before
    ticket = ticket_arbitrate(ticket=ticket, actor=user("ops1"), outcome="buyer", note="先行赔付")
    assert ticket.status == TicketStatus.REFUNDED
    assert ticket.events.get(type="refunded").params["cause"] == "platform_advance_payment"
    assert funds()[0] == before[0] - Decimal("40.00")
    assert ledger_drifts() == []
