from decimal import Decimal

import pytest

from accounts.models import PayoutQuota, Role, User
from accounts.services import quota_set
from core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_main_account_sets_a_sub_accounts_quota_with_history(demo):
    main, sub = User.objects.get(username="dy_admin"), User.objects.get(username="dy_cs2")

    quota = quota_set(shop=main.shop, user=sub, per_payout=Decimal("30.00"), daily=None, enabled=True, actor=main)

    assert (quota.per_payout, quota.daily, quota.enabled) == (Decimal("30.00"), None, True)
    assert quota.history.latest().history_user == main


@pytest.mark.parametrize("actor_name", ["dy_cs1", "pdd_admin", "ops1"])
def test_only_the_shops_main_account_sets_quotas(demo, actor_name):
    actor, sub = User.objects.get(username=actor_name), User.objects.get(username="dy_cs1")
    before = PayoutQuota.objects.get(user=sub)

    with pytest.raises(ApplicationError) as exc:
        quota_set(shop=sub.shop, user=sub, per_payout=Decimal("999.00"), daily=None, enabled=True, actor=actor)

    assert exc.value.code == "quota_main_account_only"
    after = PayoutQuota.objects.get(user=sub)
    assert (after.per_payout, after.daily) == (before.per_payout, before.daily)


def test_quota_is_for_the_shops_own_sub_accounts(demo):
    main = User.objects.get(username="dy_admin")
    with pytest.raises(ApplicationError) as exc:
        quota_set(shop=main.shop, user=User.objects.get(username="pdd_cs2"), per_payout=None, daily=None,
                  enabled=True, actor=main)
    assert exc.value.code == "not_found"
    with pytest.raises(ApplicationError) as exc:
        quota_set(shop=main.shop, user=main, per_payout=None, daily=None, enabled=True, actor=main)
    assert exc.value.code == "quota_not_sub_account"
    assert not PayoutQuota.objects.filter(user__role=Role.MAIN).exists()


@pytest.mark.parametrize("bad", [Decimal("0"), Decimal("-1.00"), Decimal("1.005")])
def test_quota_limits_are_positive_cents(demo, bad):
    main, sub = User.objects.get(username="dy_admin"), User.objects.get(username="dy_cs2")
    with pytest.raises(ApplicationError) as exc:
        quota_set(shop=main.shop, user=sub, per_payout=bad, daily=None, enabled=True, actor=main)
    assert exc.value.code == "invalid_amount"
    assert not PayoutQuota.objects.filter(user=sub).exists()


def test_a_new_quota_writes_one_history_row(demo):
    main, sub = User.objects.get(username="dy_admin"), User.objects.get(username="dy_cs2")
    quota = quota_set(shop=main.shop, user=sub, per_payout=Decimal("30.00"), daily=Decimal("90.00"), enabled=False,
                      actor=main)
    assert quota.history.count() == 1
    assert (quota.shop, quota.enabled) == (main.shop, False)
