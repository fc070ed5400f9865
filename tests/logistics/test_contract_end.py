"""INT-10: the main account ends an offline contract or changes its agreed price."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import ApplicationError
from logistics.models import ContractStatus, Interception, InterceptionContract
from logistics.services import contract_end, contract_open, contract_price_change, interception_request
from orders.models import Outlet

pytestmark = pytest.mark.django_db


def _contract(user) -> InterceptionContract:
    [contract] = contract_open(shop=user("dy_admin").shop, courier="yto", outlets=[Outlet.objects.get(code="yto-hz-01")],
                               agreed_price=Decimal("2.00"), actor=user("dy_admin"))
    return contract


def _offline(make_ticket, user, order_no, tracking_no) -> Interception:
    [made] = interception_request(ticket=make_ticket(order_no), tracking_nos=[tracking_no], mode="offline",
                                  actor=user("dy_admin"))
    return made


def test_int_10_price_change_applies_to_later_interceptions_and_ending_refuses_new_ones(make_ticket, user,
                                                                                       run_clocks):
    """INT-10: a new price applies to interceptions requested afterwards, earlier ones keep theirs; an ended
    contract refuses new offline interceptions (`no_active_contract`) while running ones finish at their
    price; both moves are in the contract's history."""
    contract = _contract(user)
    before = _offline(make_ticket, user, "DY1001", "YT7310000001137")
    contract_price_change(contract=contract, agreed_price=Decimal("3.50"), actor=user("dy_admin"))
    after = _offline(make_ticket, user, "DY1008", "YT7310000004548")
    assert (before.agreed_price, after.agreed_price) == (Decimal("2.00"), Decimal("3.50"))
    contract = contract_end(contract=contract, actor=user("dy_admin"))
    assert contract.status == ContractStatus.ENDED and contract.ended_by == user("dy_admin")
    with pytest.raises(ApplicationError) as err:
        _offline(make_ticket, user, "DY1024", "YT7310000010233")
    assert err.value.code == "no_active_contract"
    run_clocks()
    prices = dict(Interception.objects.values_list("tracking_no", "agreed_price"))
    assert prices == {"YT7310000001137": Decimal("2.00"), "YT7310000004548": Decimal("3.50")}
    events = list(contract.events.order_by("at", "id").values_list("type", "params"))
    assert [t for t, _ in events] == ["created", "price_changed", "ended"]
    assert events[1][1]["old_price"] == "2.00" and events[1][1]["agreed_price"] == "3.50"
    # The shop may open the outlet again later.
    assert contract_open(shop=user("dy_admin").shop, courier="yto", outlets=[Outlet.objects.get(code="yto-hz-01")],
                         agreed_price=Decimal("4.00"), actor=user("dy_admin"))


def test_int_10_only_the_main_account_and_only_an_open_contract(make_ticket, user):
    """INT-10: sub-accounts may not end or reprice (main_account_only); an ended contract cannot change."""
    contract = _contract(user)
    for act in (lambda: contract_end(contract=contract, actor=user("dy_cs1")),
                lambda: contract_price_change(contract=contract, agreed_price=Decimal("1"), actor=user("dy_cs1"))):
        with pytest.raises(ApplicationError) as err:
            act()
        assert err.value.code == "main_account_only"
    contract_end(contract=contract, actor=user("dy_admin"))
    for act in (lambda: contract_end(contract=contract, actor=user("dy_admin")),
                lambda: contract_price_change(contract=contract, agreed_price=Decimal("1"), actor=user("dy_admin"))):
        with pytest.raises(ApplicationError) as err:
            act()
        assert (err.value.code, err.value.error.status) == ("contract_not_open", 409)


def test_int_10_api_patch_price_and_end(demo, api, user):
    """INT-10 (API.md): PATCH interception-contracts/{id}/ `agreed_price`, POST …/end/; main account only;
    another shop's contract is 404."""
    contract = _contract(user)
    url = f"/api/v1/interception-contracts/{contract.pk}/"
    assert api("tok-dy_cs1").patch(url, {"agreed_price": "3.00"}, format="json").json()["code"] == "main_account_only"
    assert api("tok-pdd_admin").patch(url, {"agreed_price": "3.00"}, format="json").status_code == 404
    assert api("tok-dy_admin").patch(url, {"agreed_price": "-1"}, format="json").status_code == 400
    body = api("tok-dy_admin").patch(url, {"agreed_price": "3.00"}, format="json").json()
    assert body["agreed_price"] == "3.00" and [e["type"] for e in body["events"]] == ["created", "price_changed"]
    ended = api("tok-dy_admin").post(f"{url}end/")
    assert ended.status_code == 200 and ended.json()["status"] == "ended" and ended.json()["ended_by"] == "dy_admin"
    again = api("tok-dy_admin").post(f"{url}end/")
    assert (again.status_code, again.json()["code"], again.json()["rule"]) == (409, "contract_not_open", "INT-10")


def test_int_10_admin_contract_page_ends_and_reprices_with_history(demo, client, user):
    """INT-10: the contract page offers the main account 修改价格 and 终止签约 and shows both in its history."""
    contract = _contract(user)
    client.force_login(user("dy_admin"))
    page = client.get(reverse("admin:logistics_interceptioncontract_change", args=[contract.pk]))
    assert 'data-testid="contract-end"' in page.content.decode()
    client.post(reverse("admin:logistics_interceptioncontract_price", args=[contract.pk]), {"agreed_price": "2.80"})
    client.post(reverse("admin:logistics_interceptioncontract_end", args=[contract.pk]))
    contract.refresh_from_db()
    assert (contract.status, contract.agreed_price) == ("ended", Decimal("2.80"))
    page = client.get(reverse("admin:logistics_interceptioncontract_change", args=[contract.pk]))
    text = page.content.decode()
    assert "约定价格已修改" in text and "商家终止签约" in text and 'data-testid="contract-end"' not in text
    client.force_login(user("dy_cs1"))
    page = client.get(reverse("admin:logistics_interceptioncontract_change", args=[contract.pk]))
    assert 'data-testid="contract-manage"' not in page.content.decode()
