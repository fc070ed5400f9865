from decimal import Decimal

import pytest

from accounts.models import PayoutQuota, Role
from accounts.services import quota_set
from core.errors import ApplicationError
from tests.factories import PlatformStaffFactory, ShopFactory, SubAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """Two shops: the first with its main account, a sub-account with a quota and one without; the other
    shop's main account and sub-account; platform staff."""
    shop, other = ShopFactory(), ShopFactory()
    return {
        "main": UserFactory(shop=shop),
        "sub_with_quota": SubAccountFactory(shop=shop, quota=True),
        "sub": SubAccountFactory(shop=shop),
        "other_main": UserFactory(shop=other),
        "other_sub": SubAccountFactory(shop=other),
        "staff": PlatformStaffFactory(),
    }


def test_main_account_sets_a_sub_accounts_quota_with_history(people):
    main, sub = people["main"], people["sub"]

    quota = quota_set(shop=main.shop, user=sub, per_payout=Decimal("30.00"), daily=None, enabled=True, actor=main)

    assert (quota.per_payout, quota.daily, quota.enabled) == (Decimal("30.00"), None, True)
    assert quota.history.latest().history_user == main


@pytest.mark.parametrize("actor", ["sub_with_quota", "other_main", "staff"])
def test_only_the_shops_main_account_sets_quotas(people, actor):
    actor, sub = people[actor], people["sub_with_quota"]
    before = PayoutQuota.objects.get(user=sub)

    with pytest.raises(ApplicationError) as exc:
        quota_set(shop=sub.shop, user=sub, per_payout=Decimal("999.00"), daily=None, enabled=True, actor=actor)

    assert exc.value.code == "quota_main_account_only"
    after = PayoutQuota.objects.get(user=sub)
    assert (after.per_payout, after.daily) == (before.per_payout, before.daily)


def test_quota_is_for_the_shops_own_sub_accounts(people):
    main = people["main"]
    with pytest.raises(ApplicationError) as exc:
        quota_set(shop=main.shop, user=people["other_sub"], per_payout=None, daily=None, enabled=True, actor=main)
    assert exc.value.code == "not_found"
    with pytest.raises(ApplicationError) as exc:
        quota_set(shop=main.shop, user=main, per_payout=None, daily=None, enabled=True, actor=main)
    assert exc.value.code == "quota_not_sub_account"
    assert not PayoutQuota.objects.filter(user__role=Role.MAIN).exists()


@pytest.mark.parametrize("bad", [Decimal("0"), Decimal("-1.00"), Decimal("1.005")])
def test_quota_limits_are_positive_cents(people, bad):
    main, sub = people["main"], people["sub"]
    with pytest.raises(ApplicationError) as exc:
        quota_set(shop=main.shop, user=sub, per_payout=bad, daily=None, enabled=True, actor=main)
    assert exc.value.code == "invalid_amount"
    assert not PayoutQuota.objects.filter(user=sub).exists()


def test_a_new_quota_writes_one_history_row(people):
    main, sub = people["main"], people["sub"]
    quota = quota_set(shop=main.shop, user=sub, per_payout=Decimal("30.00"), daily=Decimal("90.00"), enabled=False,
                      actor=main)
    assert quota.history.count() == 1
    assert (quota.shop, quota.enabled) == (main.shop, False)
