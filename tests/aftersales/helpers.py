"""Shared helpers of the after-sales tests."""

from decimal import Decimal

import pytest

from accounts.models import ShopAccount, User
from core.errors import ApplicationError
from orders.models import Order
from tests.conftest import DEMO_LOADED_AT

# The demo's "today": the tests load demo/scenario.json (relative times) at it.
NOW = DEMO_LOADED_AT


def user(username: str) -> User:
    return User.objects.get(username=username)


def order(order_no: str) -> Order:
    return Order.objects.select_related("shop__profile", "buyer", "category").get(order_no=order_no)


def funds(shop_key: str = "dy") -> tuple[Decimal, Decimal, Decimal]:
    account = ShopAccount.objects.get(shop__key=shop_key)
    return account.balance, account.frozen, account.deposit


def refused(code: str, func, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        func(**kwargs)
    assert info.value.code == code, info.value.as_dict()
    return info.value
