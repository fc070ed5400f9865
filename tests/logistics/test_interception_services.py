"""Parcel interception services (SPEC §7): contracts, requests, courier results, fees, refunds, returns."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import LedgerEntry, ShopAccount
from accounts.selectors import ledger_drifts
from aftersales.models import TicketEvent, TicketStatus, TicketType
from core.errors import ApplicationError
from logistics.models import (
    ContractStatus,
    Interception,
    InterceptionContract,
    InterceptionStatus,
    Settlement,
)
from logistics.selectors import interception_available
from logistics.services import (
    contract_approve,
    contract_open,
    contract_reject,
    interception_request,
    interception_return_report,
)
from orders.models import OrderEvent, Outlet, Parcel

pytestmark = pytest.mark.django_db


def outlets(*codes):
    return list(Outlet.objects.filter(code__in=codes))


def balance(shop_key="dy") -> Decimal:
    return ShopAccount.objects.get(shop__key=shop_key).balance


# --- Contracts ---------------------------------------------------------------------------------------


def test_int_03_int_04_yto_contract_is_active_at_once_with_the_agreed_price(demo, user):
    [contract] = contract_open(shop=user("dy_admin").shop, courier="yto", outlets=outlets("yto-hz-01"),
                               agreed_price=Decimal("2.50"), actor=user("dy_admin"))
    assert contract.status == ContractStatus.ACTIVE
    assert contract.agreed_price == Decimal("2.50")
    assert [e.type for e in contract.events.all()] == ["created"]


def test_int_04_jt_contract_waits_for_the_outlet_which_approves(demo, user):
    [contract] = contract_open(shop=user("dy_admin").shop, courier="jt", outlets=outlets("jt-gz-01"),
                               agreed_price=Decimal("2.00"), actor=user("dy_admin"))
    assert contract.status == ContractStatus.PENDING_REVIEW
    contract = contract_approve(contract=contract, actor=user("jt_gz_01_user"))
    assert contract.status == ContractStatus.ACTIVE and contract.reviewed_by.username == "jt_gz_01_user"
    assert [e.type for e in contract.events.all()] == ["created", "approved"]


def test_int_04_outlet_rejects_with_a_reason_and_the_shop_may_open_again(demo, user):
    shop, admin = user("dy_admin").shop, user("dy_admin")
    [contract] = contract_open(shop=shop, courier="jt", outlets=outlets("jt-gz-01"), agreed_price=Decimal("2.00"),
                               actor=admin)
    with pytest.raises(ApplicationError) as err:
        contract_reject(contract=contract, reason="  ", actor=user("jt_gz_01_user"))
    assert err.value.code == "invalid"
    contract = contract_reject(contract=contract, reason="价格未谈妥", actor=user("jt_gz_01_user"))
    assert contract.status == ContractStatus.REJECTED and contract.reject_reason == "价格未谈妥"
    with pytest.raises(ApplicationError) as err:
        contract_approve(contract=contract, actor=user("jt_gz_01_user"))
    assert err.value.code == "contract_not_pending"
    [again] = contract_open(shop=shop, courier="jt", outlets=outlets("jt-gz-01"), agreed_price=Decimal("2.20"),
                            actor=admin)
    assert again.status == ContractStatus.PENDING_REVIEW


def test_int_04_only_the_contracts_outlet_reviews_it(demo, user):
    [contract] = contract_open(shop=user("dy_admin").shop, courier="jt", outlets=outlets("jt-gz-01"),
                               agreed_price=Decimal("2.00"), actor=user("dy_admin"))
    for other in ("jt_sz_02_user", "dy_admin"):
        with pytest.raises(ApplicationError) as err:
            contract_approve(contract=contract, actor=user(other))
        assert err.value.code == "not_found"
    contract.refresh_from_db()
    assert contract.status == ContractStatus.PENDING_REVIEW and contract.version == 1


def test_int_05_outlet_without_e_waybill_cannot_be_contracted_and_nothing_is_opened(demo, user):
    with pytest.raises(ApplicationError) as err:
        contract_open(shop=user("dy_admin").shop, courier="yto", outlets=outlets("yto-hz-01", "yto-sh-02"),
                      agreed_price=Decimal("2.00"), actor=user("dy_admin"))
    assert err.value.code == "outlet_without_e_waybill" and err.value.error.rule == "INT-05"
    assert not InterceptionContract.objects.exists()


def test_int_03_only_the_main_account_opens_the_service(demo, user):
    with pytest.raises(ApplicationError) as err:
        contract_open(shop=user("dy_cs1").shop, courier="yto", outlets=outlets("yto-hz-01"),
                      agreed_price=Decimal("2.00"), actor=user("dy_cs1"))
    assert err.value.code == "main_account_only" and err.value.error.status == 403
    assert not InterceptionContract.objects.exists()


def test_int_03_a_second_open_with_the_same_outlet_is_refused(demo, user):
    admin = user("dy_admin")
    contract_open(shop=admin.shop, courier="yto", outlets=outlets("yto-hz-01"), agreed_price=Decimal("2"), actor=admin)
    with pytest.raises(ApplicationError) as err:
        contract_open(shop=admin.shop, courier="yto", outlets=outlets("yto-hz-01"), agreed_price=Decimal("3"),
                      actor=admin)
    assert err.value.code == "interception_contract_exists"
    assert InterceptionContract.objects.count() == 1


def test_int_03_outlets_must_belong_to_the_chosen_courier(demo, user):
    with pytest.raises(ApplicationError) as err:
        contract_open(shop=user("dy_admin").shop, courier="yto", outlets=outlets("jt-gz-01"),
                      agreed_price=Decimal("2"), actor=user("dy_admin"))
    assert err.value.code == "invalid"
    assert not InterceptionContract.objects.exists()


# --- Availability and requests (INT-01, INT-07) ------------------------------------------------------


def test_int_01_available_only_for_unfinished_refund_only_tickets_with_a_parcel_in_transit(make_ticket):
    assert interception_available(ticket=make_ticket("DY1001"))
    assert not interception_available(ticket=make_ticket("DY1001", type=TicketType.RETURN_REFUND))
    assert not interception_available(ticket=make_ticket("DY1001", status=TicketStatus.REFUNDED))
    assert not interception_available(ticket=make_ticket("DY1004"))  # out for delivery
    assert not interception_available(ticket=make_ticket("DY1022"))  # signed
    assert not interception_available(ticket=make_ticket("DY1002"))  # not shipped: no parcel


@pytest.mark.parametrize("order_no, kwargs", [
    ("DY1004", {}),  # out for delivery (派件中)
    ("DY1022", {}),  # signed
    ("DY1001", {"type": TicketType.EXCHANGE}),
    ("DY1001", {"status": TicketStatus.CLOSED}),
])
def test_int_01_request_refused_and_nothing_written(make_ticket, user, order_no, kwargs):
    ticket = make_ticket(order_no, **kwargs)
    tracking = list(Parcel.objects.filter(order__order_no=order_no).values_list("tracking_no", flat=True))
    with pytest.raises(ApplicationError) as err:
        interception_request(ticket=ticket, tracking_nos=tracking, mode="online", actor=user("dy_cs1"))
    assert err.value.code == "interception_not_available" and err.value.error.rule == "INT-01"
    assert not Interception.objects.exists() and not TicketEvent.objects.filter(ticket=ticket).exists()


def test_int_01_a_parcel_of_another_order_cannot_be_intercepted(make_ticket, user):
    ticket = make_ticket("DY1001")
    with pytest.raises(ApplicationError) as err:
        interception_request(ticket=ticket, tracking_nos=["YT7310000010233"], mode="online", actor=user("dy_cs1"))
    assert err.value.code == "interception_not_available"
    assert not Interception.objects.exists()


def test_int_01_another_shops_member_cannot_intercept(make_ticket, user):
    with pytest.raises(ApplicationError) as err:
        interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="online",
                             actor=user("pdd_admin"))
    assert err.value.code == "not_found"
    assert not Interception.objects.exists()


def test_int_07_one_interception_per_chosen_parcel_requested_and_logged(make_ticket, user):
    ticket = make_ticket("DY1027")
    created = interception_request(ticket=ticket, tracking_nos=["YT7310000012507", "YT7310000013644"],
                                   mode="online", actor=user("dy_cs1"))
    assert [i.status for i in created] == ["requested", "requested"]
    assert {i.platform_fee for i in created} == {Decimal("3.00")}
    assert TicketEvent.objects.filter(ticket=ticket, type="interception_requested").count() == 2
    assert OrderEvent.objects.filter(order=ticket.order, type="interception_requested").count() == 2


def test_int_07_picking_one_parcel_leaves_the_other(make_ticket, user):
    ticket = make_ticket("DY1027")
    interception_request(ticket=ticket, tracking_nos=["YT7310000013644"], mode="online", actor=user("dy_cs1"))
    assert list(Interception.objects.values_list("tracking_no", flat=True)) == ["YT7310000013644"]


def test_int_07_double_request_answers_already_requested_and_charges_once(make_ticket, user, run_clocks, fees):
    """A double click: the second request is refused (409), and the fee is charged once on success."""
    ticket = make_ticket("DY1001")
    before = balance()
    interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online", actor=user("dy_cs1"))
    with pytest.raises(ApplicationError) as err:
        interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online", actor=user("dy_cs1"))
    assert err.value.code == "interception_already_requested" and err.value.error.status == 409
    run_clocks()
    run_clocks()
    assert Interception.objects.count() == 1
    assert [e.balance_delta for e in fees()] == [Decimal("-3.00")]
    ticket.refresh_from_db()
    assert balance() == before - Decimal("3.00") - ticket.order.paid_amount
    assert ledger_drifts() == []


def test_int_07_the_unique_index_holds_without_the_service_check(make_ticket, user):
    """The database itself refuses a second active interception of a parcel."""
    from django.db import IntegrityError, transaction

    ticket = make_ticket("DY1001")
    [first] = interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online",
                                   actor=user("dy_cs1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Interception.objects.create(shop=first.shop, ticket=ticket, parcel=first.parcel, tracking_no=first.tracking_no,
                                    courier="yto", settlement="online", platform_fee=Decimal("3.00"),
                                    created_at=timezone.now())


# --- Online (INT-02) and offline (INT-03) settlement, courier results, refunds -------------------------


def test_int_02_int_07_online_success_charges_3_00_once_and_refunds_the_ticket(make_ticket, user, run_clocks, fees):
    ticket = make_ticket("DY1001", amount=Decimal("159.00"))
    before = balance()
    [interception] = interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online",
                                          actor=user("dy_cs1"))
    assert fees() == [] and balance() == before  # nothing before the courier answers
    run_clocks()
    interception.refresh_from_db()
    ticket.refresh_from_db()
    assert interception.status == InterceptionStatus.SUCCEEDED and interception.succeeded_at is not None
    assert interception.fee_source == "balance"
    [fee] = fees()
    assert fee.kind == LedgerEntry.Kind.INTERCEPTION_FEE and fee.balance_delta == Decimal("-3.00")
    assert ticket.status == TicketStatus.REFUNDED
    assert TicketEvent.objects.filter(ticket=ticket, type="refunded", params__cause="interception_succeeded").exists()
    assert balance() == before - Decimal("3.00") - Decimal("159.00")
    assert Parcel.objects.get(tracking_no="YT7310000001137").status == Parcel.Status.RETURNING
    assert [e.type for e in interception.events.all()] == ["created", "submitted", "intercepted"]
    run_clocks()
    assert len(fees()) == 1
    assert ledger_drifts() == []


def test_int_02_fee_follows_the_profile(make_ticket, user, run_clocks, fees):
    profile = user("dy_admin").shop.profile
    profile.interception_fee = Decimal("4.50")
    profile.save()
    [interception] = interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"],
                                          mode="online", actor=user("dy_cs1"))
    assert interception.platform_fee == Decimal("4.50")
    run_clocks()
    assert [e.balance_delta for e in fees()] == [Decimal("-4.50")]
    assert ledger_drifts() == []


def test_int_02_failed_interception_costs_nothing_parcel_already_signed(make_ticket, user, run_clocks, fees):
    ticket = make_ticket("DY1001")
    before = balance()
    [interception] = interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online",
                                          actor=user("dy_cs1"))
    Parcel.objects.filter(tracking_no="YT7310000001137").update(status=Parcel.Status.SIGNED)  # signed meanwhile
    run_clocks()
    interception.refresh_from_db()
    ticket.refresh_from_db()
    assert interception.status == InterceptionStatus.FAILED
    assert interception.failure_reason == "parcel_already_signed"
    assert fees() == [] and balance() == before
    assert ticket.status == TicketStatus.PENDING_MERCHANT
    assert TicketEvent.objects.filter(ticket=ticket, type="interception_failed").exists()
    assert ledger_drifts() == []


def test_int_07_after_a_failure_the_parcel_may_be_intercepted_again(make_ticket, user, run_clocks):
    ticket = make_ticket("DY1001")
    interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online", actor=user("dy_cs1"))
    Parcel.objects.filter(tracking_no="YT7310000001137").update(status=Parcel.Status.OUT_FOR_DELIVERY)
    run_clocks()
    Parcel.objects.filter(tracking_no="YT7310000001137").update(status=Parcel.Status.IN_TRANSIT)
    [again] = interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online",
                                   actor=user("dy_cs1"))
    assert again.status == "requested"
    assert list(Interception.objects.order_by("id").values_list("status", "failure_reason")) == [
        ("failed", "parcel_out_for_delivery"), ("requested", "")]


def test_int_03_offline_needs_an_active_contract(make_ticket, user):
    ticket = make_ticket("DY1003")
    with pytest.raises(ApplicationError) as err:
        interception_request(ticket=ticket, tracking_nos=["JT5280000002053"], mode="offline", actor=user("dy_cs1"))
    assert err.value.code == "no_active_contract" and err.value.error.rule == "INT-03"
    contract_open(shop=ticket.shop, courier="jt", outlets=outlets("jt-gz-01"), agreed_price=Decimal("2.00"),
                  actor=user("dy_admin"))  # pending review: not active yet
    with pytest.raises(ApplicationError) as err:
        interception_request(ticket=ticket, tracking_nos=["JT5280000002053"], mode="offline", actor=user("dy_cs1"))
    assert err.value.code == "no_active_contract"
    assert not Interception.objects.exists()


def test_int_03_offline_success_records_the_agreed_price_and_deducts_nothing(make_ticket, user, run_clocks):
    ticket = make_ticket("DY1001", amount=Decimal("50.00"))
    contract_open(shop=ticket.shop, courier="yto", outlets=outlets("yto-hz-01"), agreed_price=Decimal("2.80"),
                  actor=user("dy_admin"))
    before = balance()
    [interception] = interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="offline",
                                          actor=user("dy_cs1"))
    assert interception.platform_fee == Decimal("0.00") and interception.agreed_price == Decimal("2.80")
    run_clocks()
    interception.refresh_from_db()
    assert interception.status == InterceptionStatus.SUCCEEDED
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).exists()
    assert balance() == before - Decimal("50.00")  # only the refund
    assert ledger_drifts() == []


def test_int_02_fee_from_the_deposit_when_the_balance_is_short(make_ticket, user, run_clocks):
    from accounts.services import shop_account_sync

    ticket = make_ticket("DY1001", amount=Decimal("1.00"))
    shop_account_sync(shop=ticket.shop, balance=Decimal("2.00"), frozen=Decimal("0.00"), deposit=None)
    interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online", actor=user("dy_cs1"))
    run_clocks()
    interception = Interception.objects.get()
    assert interception.fee_source == "deposit"
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.DEPOSIT_DEDUCTION, ref_type="interception").count() == 1
    assert ledger_drifts() == []


def test_int_07_results_arrive_asynchronously_not_at_request_time(make_ticket, user):
    [interception] = interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"],
                                          mode="online", actor=user("dy_cs1"))
    interception.refresh_from_db()
    assert interception.status == InterceptionStatus.REQUESTED and interception.check_at is not None


def test_int_07_a_ticket_refunded_meanwhile_is_not_refunded_twice(make_ticket, user, run_clocks, fees):
    from aftersales.services import ticket_refund

    ticket = make_ticket("DY1001", amount=Decimal("20.00"))
    interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online", actor=user("dy_cs1"))
    ticket_refund(ticket=ticket, actor=user("dy_admin"), cause="merchant_approved")
    run_clocks()
    assert LedgerEntry.objects.filter(ref_type="ticket", ref_id=str(ticket.pk)).count() == 1
    assert len(fees()) == 1  # the courier did intercept: its fee is due
    assert ledger_drifts() == []


def test_int_06_int_07_a_rejected_refund_only_ticket_is_never_refunded_by_an_interception(make_ticket, user, run_clocks,
                                                                                        fees):
    """INT-06, INT-07 and the ticket table (aftersales.models.ALLOWED_TRANSITIONS): rejected → refunded is no edge.

    A rejected refund-only ticket is not finished, yet it is offered no interception (the success would refund
    it); one requested before the rejection still intercepts (the courier's fee is due) but does not refund;
    ticket_refund itself refuses the move with ticket_not_actionable, before any money moves."""
    from aftersales.services import ticket_refund, ticket_reject
    from orders.models import Refund

    ticket = make_ticket("DY1001", amount=Decimal("20.00"))
    interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online", actor=user("dy_cs1"))
    ticket_reject(ticket=ticket, actor=user("dy_admin"), reason="已发货")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REJECTED and not ticket.is_finished

    assert not interception_available(ticket=ticket)
    with pytest.raises(ApplicationError) as refused:
        interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online", actor=user("dy_cs1"))
    assert refused.value.code == "interception_not_available"

    run_clocks()  # the courier reports the earlier request's success
    ticket.refresh_from_db()
    assert Interception.objects.get(ticket=ticket).status == InterceptionStatus.SUCCEEDED
    assert ticket.status == TicketStatus.REJECTED
    assert not Refund.objects.filter(order_id=ticket.order_id, reason="interception_succeeded").exists()
    assert not LedgerEntry.objects.filter(ref_type="ticket", ref_id=str(ticket.pk)).exists()
    assert TicketEvent.objects.filter(ticket=ticket, type="intercepted_not_refunded").exists()
    assert len(fees()) == 1  # the courier did intercept: its fee is due

    with pytest.raises(ApplicationError) as refused:
        ticket_refund(ticket=ticket, actor=user("dy_admin"), cause="merchant_approved")
    assert refused.value.code == "ticket_not_actionable"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REJECTED
    assert not LedgerEntry.objects.filter(ref_type="ticket", ref_id=str(ticket.pk)).exists()
    assert ledger_drifts() == []


# --- Return leg --------------------------------------------------------------------------------------


def _succeeded(make_ticket, user, run_clocks, order_no="DY1001", tracking="YT7310000001137"):
    interception_request(ticket=make_ticket(order_no), tracking_nos=[tracking], mode="online", actor=user("dy_cs1"))
    run_clocks()
    interception = Interception.objects.get(tracking_no=tracking)
    assert interception.status == InterceptionStatus.SUCCEEDED
    return interception


def test_int_07_sandbox_reports_returned_after_three_days(make_ticket, user, run_clocks):
    interception = _succeeded(make_ticket, user, run_clocks)
    with time_machine.travel(timezone.now() + dt.timedelta(days=2, hours=23), tick=False):
        run_clocks()
    interception.refresh_from_db()
    assert interception.status == InterceptionStatus.SUCCEEDED
    with time_machine.travel(timezone.now() + dt.timedelta(days=4), tick=False):
        run_clocks()
    interception.refresh_from_db()
    assert interception.status == InterceptionStatus.RETURNED and interception.return_outcome == "returned"
    assert Parcel.objects.get(pk=interception.parcel_id).status == Parcel.Status.RETURNED
    assert ledger_drifts() == []


def test_int_07_outlet_reports_lost_first_and_the_sandbox_does_not_override(make_ticket, user, run_clocks):
    interception = _succeeded(make_ticket, user, run_clocks)
    with pytest.raises(ApplicationError) as err:
        interception_return_report(interception=interception, outcome="lost", actor=user("jt_gz_01_user"))
    assert err.value.code == "outlet_user_only"
    interception_return_report(interception=interception, outcome="lost", actor=user("yto_hz_01_user"))
    with time_machine.travel(timezone.now() + dt.timedelta(days=4), tick=False):
        run_clocks()
    interception.refresh_from_db()
    assert interception.status == InterceptionStatus.RETURN_FAILED and interception.return_outcome == "lost"
    assert Parcel.objects.get(pk=interception.parcel_id).status == Parcel.Status.LOST
    with pytest.raises(ApplicationError) as err:
        interception_return_report(interception=interception, outcome="returned", actor=user("yto_hz_01_user"))
    assert err.value.code == "interception_not_returning"


def test_int_07_return_cannot_be_reported_before_the_interception_succeeded(make_ticket, user):
    [interception] = interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"],
                                          mode="online", actor=user("dy_cs1"))
    with pytest.raises(ApplicationError) as err:
        interception_return_report(interception=interception, outcome="returned", actor=user("yto_hz_01_user"))
    assert err.value.code == "interception_not_returning"
    interception.refresh_from_db()
    assert interception.status == "requested" and interception.version == 1


def test_int_08_settlement_is_recorded_per_interception(make_ticket, user):
    ticket = make_ticket("DY1027")
    contract_open(shop=ticket.shop, courier="yto", outlets=outlets("yto-hz-01"), agreed_price=Decimal("2.00"),
                  actor=user("dy_admin"))
    interception_request(ticket=ticket, tracking_nos=["YT7310000012507"], mode="offline", actor=user("dy_cs1"))
    interception_request(ticket=ticket, tracking_nos=["YT7310000013644"], mode="online", actor=user("dy_cs1"))
    assert dict(Interception.objects.values_list("tracking_no", "settlement")) == {
        "YT7310000012507": Settlement.OFFLINE, "YT7310000013644": Settlement.ONLINE}


def test_int_07_a_courier_error_on_one_row_leaves_it_for_later_and_the_others_go_on(make_ticket, user, monkeypatch):
    from core import clocks
    from logistics.adapters import SandboxCourier

    interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="online",
                         actor=user("dy_cs1"))
    interception_request(ticket=make_ticket("DY1003"), tracking_nos=["JT5280000002053"], mode="online",
                         actor=user("dy_cs1"))
    real_poll = SandboxCourier.poll

    def flaky(self, *, interception):
        if interception.courier == "yto":
            raise ConnectionError("courier API down")
        return real_poll(self, interception=interception)

    monkeypatch.setattr(SandboxCourier, "poll", flaky)
    assert clocks.run_sweep("interception_results") == 1  # J&T intercepted; YTO submitted, then the poll failed
    yto = Interception.objects.get(courier="yto")
    assert yto.status == InterceptionStatus.INTERCEPTING and yto.check_at > timezone.now()
    assert Interception.objects.get(courier="jt").status == InterceptionStatus.SUCCEEDED
    monkeypatch.setattr(SandboxCourier, "poll", real_poll)
    assert clocks.run_sweep("interception_results") == 0  # still leased
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3), tick=False):
        assert clocks.run_sweep("interception_results") == 1
    yto.refresh_from_db()
    assert yto.status == InterceptionStatus.SUCCEEDED
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).count() == 2
    assert ledger_drifts() == []
