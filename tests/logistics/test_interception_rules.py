"""The auto-intercept rule 快递拦截自动退 (INT-06) and claims (INT-09)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import LedgerEntry
from accounts.selectors import ledger_drifts
from aftersales.models import TicketEvent, TicketStatus, TicketType
from core.errors import ApplicationError
from logistics.models import AutoInterceptRule, Claim, ClaimStatus, Interception, InterceptionStatus
from logistics.services import (
    auto_intercept_preview,
    auto_intercept_rule_set,
    claim_confirm_paid,
    claim_decide,
    claim_file,
    contract_open,
    interception_auto_on_ticket_created,
    interception_request,
    interception_return_report,
)
from orders.models import Outlet, Parcel

pytestmark = pytest.mark.django_db


def enable(user, shop_user="dy_admin"):
    return auto_intercept_rule_set(shop=user(shop_user).shop, enabled=True, actor=user(shop_user))


# --- Auto-intercept (INT-06) -------------------------------------------------------------------------


def test_int_06_rule_off_does_nothing(make_ticket):
    assert interception_auto_on_ticket_created(ticket=make_ticket("DY1027")) == []
    assert not Interception.objects.exists()


def test_int_06_only_the_main_account_sets_the_rule(demo, user):
    with pytest.raises(ApplicationError) as err:
        auto_intercept_rule_set(shop=user("dy_cs1").shop, enabled=True, actor=user("dy_cs1"))
    assert err.value.code == "main_account_only"
    assert not AutoInterceptRule.objects.exists()
    rule = enable(user)
    assert rule.enabled and rule.updated_by.username == "dy_admin"


def test_int_06_new_refund_only_ticket_intercepts_every_parcel_in_transit_and_refunds(make_ticket, user, run_clocks):
    enable(user)
    ticket = make_ticket("DY1027", amount=Decimal("99.00"))
    created = interception_auto_on_ticket_created(ticket=ticket)
    assert sorted(i.tracking_no for i in created) == ["YT7310000012507", "YT7310000013644"]
    assert all(i.auto and i.settlement == "online" and i.requested_by is None for i in created)
    run_clocks()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REFUNDED
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).count() == 2
    assert LedgerEntry.objects.filter(ref_type="ticket", ref_id=str(ticket.pk)).count() == 1
    assert ledger_drifts() == []


def test_int_06_offline_where_the_outlet_has_an_active_contract_else_online(make_ticket, user):
    enable(user)
    contract_open(shop=user("dy_admin").shop, courier="yto", outlets=list(Outlet.objects.filter(code="yto-hz-01")),
                  agreed_price=Decimal("2.20"), actor=user("dy_admin"))
    [offline] = interception_auto_on_ticket_created(ticket=make_ticket("DY1001"))
    [online] = interception_auto_on_ticket_created(ticket=make_ticket("DY1003"))  # jt-gz-01: no contract
    assert (offline.settlement, offline.agreed_price, offline.platform_fee) == ("offline", Decimal("2.20"), 0)
    assert (online.settlement, online.platform_fee) == ("online", Decimal("3.00"))


@pytest.mark.parametrize("order_no, kwargs", [
    ("DY1022", {}),  # signed
    ("DY1004", {}),  # out for delivery
    ("DY1001", {"type": TicketType.RETURN_REFUND}),
    ("DY1002", {}),  # not shipped
])
def test_int_06_rule_skips_what_cannot_be_intercepted(make_ticket, user, order_no, kwargs):
    enable(user)
    assert interception_auto_on_ticket_created(ticket=make_ticket(order_no, **kwargs)) == []
    assert not Interception.objects.exists()


def test_int_06_a_parcel_already_intercepted_is_skipped_and_noted(make_ticket, user):
    enable(user)
    first = make_ticket("DY1001")
    interception_request(ticket=first, tracking_nos=["YT7310000001137"], mode="online", actor=user("dy_cs1"))
    second = make_ticket("DY1001")
    assert interception_auto_on_ticket_created(ticket=second) == []
    assert Interception.objects.count() == 1
    event = TicketEvent.objects.get(ticket=second, type="auto_interception_skipped")
    assert event.params["code"] == "interception_already_requested"


def test_int_06_rule_of_one_shop_does_not_act_for_another(make_ticket, user):
    enable(user)  # dy only
    assert interception_auto_on_ticket_created(ticket=make_ticket("PDD2006")) == []


def test_int_06_preview_shows_what_the_rule_would_have_done_over_30_days(make_ticket, user):
    shop = user("dy_admin").shop
    make_ticket("DY1027")
    make_ticket("DY1022")
    make_ticket("DY1001", type=TicketType.EXCHANGE)  # not refund-only: not considered
    make_ticket("DY1003", created_at=timezone.now() - dt.timedelta(days=31))  # too old
    preview = auto_intercept_preview(shop=shop)
    assert preview["tickets"] == 2
    rows = {r["tracking_no"]: r for r in preview["rows"]}
    assert set(rows) == {"YT7310000012507", "YT7310000013644", "YT7310000009096"}
    assert rows["YT7310000012507"]["action"] == "intercept" and rows["YT7310000012507"]["mode"] == "online"
    assert rows["YT7310000009096"]["action"] == "skip" and rows["YT7310000009096"]["reason"] == "parcel_signed"
    assert preview["would_intercept_online"] == 2 and preview["online_fees"] == Decimal("6.00")
    assert not Interception.objects.exists()  # a dry run writes nothing


# --- Claims (INT-09) ---------------------------------------------------------------------------------


@pytest.fixture
def return_failed(make_ticket, user, run_clocks):
    """DY1001's parcel intercepted (goods worth 159.00), then reported lost by the outlet."""
    interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="online",
                         actor=user("dy_cs1"))
    run_clocks()
    interception = Interception.objects.get()
    interception_return_report(interception=interception, outcome="lost", actor=user("yto_hz_01_user"))
    interception.refresh_from_db()
    return interception


def days_after(interception, days: float):
    return time_machine.travel(interception.succeeded_at + dt.timedelta(days=days), tick=False)


def test_int_09_claim_window_opens_at_7_days_and_closes_at_30(return_failed, user):
    with days_after(return_failed, 6.99):
        with pytest.raises(ApplicationError) as err:
            claim_file(interception=return_failed, kind="lost", amount=Decimal("100"), actor=user("dy_cs1"))
        assert err.value.code == "claim_window_not_open"
    with days_after(return_failed, 30):
        with pytest.raises(ApplicationError) as err:
            claim_file(interception=return_failed, kind="lost", amount=Decimal("100"), actor=user("dy_cs1"))
        assert err.value.code == "claim_window_closed"
    assert not Claim.objects.exists()
    with days_after(return_failed, 7):
        claim = claim_file(interception=return_failed, kind="lost", amount=Decimal("100"), actor=user("dy_cs1"))
    assert claim.status == ClaimStatus.FILED


def test_int_09_claim_only_when_the_return_failed(make_ticket, user, run_clocks):
    interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="online",
                         actor=user("dy_cs1"))
    run_clocks()
    interception = Interception.objects.get()
    with days_after(interception, 8):
        with pytest.raises(ApplicationError) as err:
            claim_file(interception=interception, kind="lost", amount=Decimal("10"), actor=user("dy_cs1"))
    assert err.value.code == "claim_not_available"
    interception_return_report(interception=interception, outcome="returned", actor=user("yto_hz_01_user"))
    with days_after(interception, 8):
        with pytest.raises(ApplicationError) as err:
            claim_file(interception=interception, kind="lost", amount=Decimal("10"), actor=user("dy_cs1"))
    assert err.value.code == "claim_not_available"
    assert not Claim.objects.exists()


def test_int_09_claim_at_most_the_goods_value(return_failed, user):
    with days_after(return_failed, 8):
        with pytest.raises(ApplicationError) as err:
            claim_file(interception=return_failed, kind="lost", amount=Decimal("159.01"), actor=user("dy_cs1"))
        assert err.value.code == "claim_amount_exceeds_limit" and err.value.extra["limit"] == "159.00"
        assert claim_file(interception=return_failed, kind="lost", amount=Decimal("159.00"), actor=user("dy_cs1"))


def test_int_09_claim_at_most_1000(make_ticket, user, run_clocks):
    # DY1025: goods worth 899.00; raise the items so the 1000.00 cap binds.
    from orders.models import OrderItem

    OrderItem.objects.filter(order__order_no="DY1025").update(price=Decimal("2000.00"))
    interception_request(ticket=make_ticket("DY1025"), tracking_nos=["YT7310000011370"], mode="online",
                         actor=user("dy_cs1"))
    run_clocks()
    interception = Interception.objects.get()
    interception_return_report(interception=interception, outcome="damaged", actor=user("yto_hz_01_user"))
    with days_after(interception, 8):
        with pytest.raises(ApplicationError) as err:
            claim_file(interception=interception, kind="damaged", amount=Decimal("1000.01"), actor=user("dy_cs1"))
        assert err.value.code == "claim_amount_exceeds_limit" and err.value.extra["limit"] == "1000.00"
        claim_file(interception=interception, kind="damaged", amount=Decimal("1000.00"), actor=user("dy_cs1"))


def test_int_09_platform_decides_merchant_confirms_paid_and_no_ledger_entry(return_failed, user):
    entries = LedgerEntry.objects.count()
    with days_after(return_failed, 8):
        claim = claim_file(interception=return_failed, kind="lost", amount=Decimal("150.00"), actor=user("dy_cs1"))
        with pytest.raises(ApplicationError) as err:
            claim_decide(claim=claim, outcome="approve", compensation=Decimal("120"), note="", actor=user("dy_admin"))
        assert err.value.code == "permission_denied"
        with pytest.raises(ApplicationError) as err:
            claim_decide(claim=claim, outcome="approve", compensation=Decimal("150.01"), note="", actor=user("ops1"))
        assert err.value.code == "compensation_exceeds_claim"
        with pytest.raises(ApplicationError) as err:
            claim_confirm_paid(claim=claim, actor=user("dy_admin"))
        assert err.value.code == "claim_not_approved"
        claim = claim_decide(claim=claim, outcome="approve", compensation=Decimal("120.00"), note="按损失比例",
                             actor=user("ops1"))
        assert claim.status == ClaimStatus.APPROVED and claim.compensation == Decimal("120.00")
        claim = claim_confirm_paid(claim=claim, actor=user("dy_admin"))
    assert claim.status == ClaimStatus.PAID and claim.paid_confirmed_by.username == "dy_admin"
    assert [e.type for e in claim.events.all()] == ["created", "approved", "paid"]
    assert LedgerEntry.objects.count() == entries
    assert ledger_drifts() == []


def test_int_09_one_open_claim_per_interception_a_rejected_one_may_be_filed_again(return_failed, user):
    with days_after(return_failed, 8):
        claim = claim_file(interception=return_failed, kind="lost", amount=Decimal("100"), actor=user("dy_cs1"))
        with pytest.raises(ApplicationError) as err:
            claim_file(interception=return_failed, kind="lost", amount=Decimal("100"), actor=user("dy_cs1"))
        assert err.value.code == "claim_already_filed"
        claim_decide(claim=claim, outcome="reject", compensation=None, note="证据不足", actor=user("ops1"))
        with pytest.raises(ApplicationError) as err:
            claim_decide(claim=claim, outcome="approve", compensation=Decimal("1"), note="", actor=user("ops1"))
        assert err.value.code == "claim_not_filed"
        again = claim_file(interception=return_failed, kind="lost", amount=Decimal("80"), actor=user("dy_cs1"))
    assert again.status == ClaimStatus.FILED
    assert Claim.objects.count() == 2


def test_int_09_another_shop_cannot_file(return_failed, user):
    with days_after(return_failed, 8), pytest.raises(ApplicationError) as err:
        claim_file(interception=return_failed, kind="lost", amount=Decimal("10"), actor=user("pdd_admin"))
    assert err.value.code == "not_found"
    assert not Claim.objects.exists()
    assert Parcel.objects.get(pk=return_failed.parcel_id).status == Parcel.Status.LOST
    assert return_failed.status == InterceptionStatus.RETURN_FAILED


def test_int_06_a_buyer_filing_a_refund_only_ticket_through_the_api_triggers_the_rule(demo, user, api, run_clocks):
    """INT-06 end to end: the after-sales ticket creation calls the rule; the interception's success refunds."""
    enable(user)
    response = api("tok-buyer_ok").post("/api/v1/tickets/", {"order_no": "DY1027", "type": "refund_only",
                                                              "reason": "不想要了", "amount": "99.00"}, format="json")
    assert response.status_code == 201, response.json()
    ticket_id = response.json()["id"]
    assert Interception.objects.filter(ticket_id=ticket_id, auto=True).count() == 2
    run_clocks()
    assert api("tok-dy_admin").get(f"/api/v1/tickets/{ticket_id}/").json()["status"] == "refunded"
    assert ledger_drifts() == []


def test_int_06_rule_off_a_buyer_ticket_intercepts_nothing(demo, api):
    response = api("tok-buyer_ok").post("/api/v1/tickets/", {"order_no": "DY1027", "type": "refund_only",
                                                              "reason": "不想要了", "amount": "99.00"}, format="json")
    assert response.status_code == 201
    assert not Interception.objects.exists()
