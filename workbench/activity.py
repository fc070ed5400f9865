"""The scenario loader's `activity` (API.md): each item is done by the user `as`, through the same service as
the API action `do` names, at load time, in the loader's transaction; a key applied by an earlier load is
skipped; a refusal stops the load with the item's path and the refusal's code, and nothing of the file is
written. Registered with the loader (orders.scenario.activity_runner) when this app is ready."""

from decimal import Decimal

from accounts.models import User
from aftersales.models import Ticket
from aftersales.services import entry_open, entry_request, ticket_create, ticket_ship
from core.clock import now
from core.errors import ApplicationError
from core.money import parse_money
from logistics.services import contract_open, interception_request
from orders.models import Order, Outlet, Parcel
from orders.scenario import ScenarioError, activity_runner
from payouts.models import PayoutRequest
from payouts.services import (
    PayoutInput,
    payout_create,
    payout_request_approve,
    payout_request_create,
    payout_request_reject,
)

from .models import ScenarioActivity


class _Refused(Exception):
    pass


def _money(item: dict, name: str, required: bool = True) -> Decimal | None:
    value = item.get(name)
    if value is None and not required:
        return None
    try:
        return parse_money(value)  # the loader's and the API's strict amounts (SEC-05)
    except ValueError as exc:
        raise _Refused(f"{name}: {exc}") from None


def _order(item: dict) -> Order:
    order = Order.objects.select_related("shop__profile", "buyer").filter(order_no=item.get("order_no")).first()
    if order is None:
        raise _Refused(f"order_no: no order {item.get('order_no')!r}")
    return order


def _made(item: dict, name: str) -> int:
    row = ScenarioActivity.objects.filter(key=item.get(name)).first()
    if row is None or row.object_id is None:
        raise _Refused(f"{name}: no earlier item with key {item.get(name)!r}")
    return row.object_id


def _payout_input(item: dict) -> PayoutInput:
    return PayoutInput(type=item.get("type", ""), amount=_money(item, "amount"), reason=item.get("reason", ""),
                       buyer_message=item.get("buyer_message", ""), product_id=item.get("product_id", ""))


def _ticket(item: dict, actor: User) -> int:
    return ticket_create(order=_order(item), buyer=actor, type=item.get("type", ""), reason=item.get("reason", ""),
                         amount=_money(item, "amount", required=False)).pk


def _payout(item: dict, actor: User) -> int:
    return payout_create(order=_order(item), data=_payout_input(item), actor=actor).pk


def _payout_request(item: dict, actor: User) -> int:
    return payout_request_create(order=_order(item), data=_payout_input(item), actor=actor).pk


def _approve_request(item: dict, actor: User) -> int:
    request = PayoutRequest.objects.get(pk=_made(item, "request"))
    return payout_request_approve(request=request, actor=actor).pk


def _reject_request(item: dict, actor: User) -> int:
    request = PayoutRequest.objects.get(pk=_made(item, "request"))
    return payout_request_reject(request=request, actor=actor, reason=item.get("reason", "")).pk


def _contract(item: dict, actor: User) -> int:
    codes = item.get("outlets") or []
    outlets = list(Outlet.objects.filter(code__in=codes))
    if len(outlets) != len(set(codes)):
        raise _Refused(f"outlets: unknown outlet among {codes!r}")
    contracts = contract_open(shop=actor.shop, courier=item.get("courier", ""), outlets=outlets,
                              agreed_price=_money(item, "agreed_price"), actor=actor)
    return contracts[0].pk if contracts else None


def _intercept(item: dict, actor: User) -> int:
    ticket = Ticket.objects.select_related("order").get(pk=_made(item, "ticket"))
    tracking = item.get("parcels") or list(Parcel.objects.filter(order=ticket.order, status=Parcel.Status.IN_TRANSIT)
                                           .order_by("id").values_list("tracking_no", flat=True))
    made = interception_request(ticket=ticket, tracking_nos=tracking, mode=item.get("mode", ""), actor=actor)
    return made[0].pk if made else None


def _open_entry(item: dict, actor: User) -> int:
    return entry_open(order=_order(item), actor=actor).pk


def _entry_request(item: dict, actor: User) -> int:
    return entry_request(order=_order(item), buyer=actor).pk


def _ship(item: dict, actor: User) -> int:
    ticket = Ticket.objects.get(pk=_made(item, "ticket"))
    return ticket_ship(ticket=ticket, actor=actor, courier=item.get("courier", ""),
                       tracking_no=item.get("tracking_no", "")).pk


DO = {"ticket": _ticket, "payout": _payout, "payout_request": _payout_request, "approve_request": _approve_request,
      "reject_request": _reject_request, "contract": _contract, "intercept": _intercept, "open_entry": _open_entry,
      "entry_request": _entry_request, "ship": _ship}


@activity_runner
def activity_apply(items: list[dict]) -> dict[str, int]:
    """Do each item not applied before, in order; the first refusal raises ScenarioError (the loader's
    transaction then writes nothing of the file)."""
    done = set(ScenarioActivity.objects.filter(key__in=[i["key"] for i in items]).values_list("key", flat=True))
    applied = 0
    for item in items:
        if item["key"] in done:
            continue
        path = item["path"]
        actor = User.objects.select_related("shop__profile").filter(username=item["as"]).first()
        if actor is None:
            raise ScenarioError([f"{path}.as: no user {item['as']!r}"])
        try:
            object_id = DO[item["do"]](item, actor)
        except ApplicationError as exc:
            raise ScenarioError([f"{path} ({item['key']}, {item['do']}): refused: {exc.code}"]) from None
        except _Refused as exc:
            raise ScenarioError([f"{path}.{exc}"]) from None
        ScenarioActivity.objects.create(key=item["key"], do=item["do"], object_id=object_id, applied_at=now())
        applied += 1
    return {"activity": applied} if applied else {}
