import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from accounts.models import LedgerEntry, ShopAccount
from accounts.selectors import ledger_drifts
from accounts.services import ledger_post, shop_account_sync
from core.errors import ApplicationError
from tests.factories import ShopFactory

pytestmark = pytest.mark.django_db


def test_posting_moves_cached_balances_and_appends_one_entry():
    shop = ShopFactory()
    shop_account_sync(shop=shop, balance=Decimal("100.00"), frozen=Decimal("10.00"), deposit=Decimal("50.00"))

    entry = ledger_post(
        shop_id=shop.pk, kind=LedgerEntry.Kind.PAYOUT_HOLD, balance=Decimal("-30.00"), ref_type="payout", ref_id=7
    )

    account = ShopAccount.objects.get(shop=shop)
    assert (account.balance, account.frozen, account.deposit) == (Decimal("70.00"), Decimal("10.00"), Decimal("50.00"))
    assert account.available == Decimal("60.00")
    assert (entry.balance_after, entry.ref_type, entry.ref_id) == (Decimal("70.00"), "payout", "7")
    assert LedgerEntry.objects.filter(shop=shop).count() == 2
    assert ledger_drifts() == []


def test_balance_never_goes_below_zero_and_nothing_is_written():
    shop = ShopFactory()
    shop_account_sync(shop=shop, balance=Decimal("5.00"), frozen=Decimal("0.00"), deposit=Decimal("0.00"))

    with pytest.raises(ApplicationError) as exc:
        ledger_post(shop_id=shop.pk, kind=LedgerEntry.Kind.PAYOUT_HOLD, balance=Decimal("-5.01"))

    assert exc.value.code == "insufficient_balance"
    assert ShopAccount.objects.get(shop=shop).balance == Decimal("5.00")
    assert LedgerEntry.objects.filter(shop=shop).count() == 1


def test_deposit_may_go_negative_as_a_debt_to_the_platform():
    shop = ShopFactory()
    shop_account_sync(shop=shop, balance=Decimal("0.00"), frozen=Decimal("0.00"), deposit=Decimal("10.00"))

    ledger_post(shop_id=shop.pk, kind=LedgerEntry.Kind.PLATFORM_ADVANCE, deposit=Decimal("-25.00"))

    assert ShopAccount.objects.get(shop=shop).deposit == Decimal("-15.00")
    assert ledger_drifts() == []


def test_sync_to_the_same_figures_writes_nothing():
    shop = ShopFactory()
    shop_account_sync(shop=shop, balance=Decimal("9.00"), frozen=Decimal("1.00"), deposit=Decimal("2.00"))
    assert shop_account_sync(shop=shop, balance=Decimal("9.00"), frozen=Decimal("1.00"), deposit=Decimal("2.00")) is None
    assert LedgerEntry.objects.filter(shop=shop).count() == 1


def test_verify_ledger_names_the_drifting_shop_and_exits_non_zero(capsys):
    shop = ShopFactory(name="漂移小店")
    shop_account_sync(shop=shop, balance=Decimal("100.00"), frozen=Decimal("0.00"), deposit=Decimal("0.00"))
    call_command("verify_ledger")
    # Someone writes the cached column behind the ledger's back.
    ShopAccount.objects.filter(shop=shop).update(balance=Decimal("90.00"))

    with pytest.raises(CommandError):
        call_command("verify_ledger")

    err = capsys.readouterr().err
    assert "漂移小店" in err and "balance cached 90.00 != ledger sum 100.00" in err


@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_on_one_shop_lose_no_update_and_never_overdraw():
    """32 threads each take 10.00 from a 200.00 balance at once: exactly 20 succeed (row lock)."""
    assert connection.vendor == "postgresql", "concurrency is only proven on PostgreSQL"
    shop = ShopFactory()
    shop_account_sync(shop=shop, balance=Decimal("200.00"), frozen=Decimal("0.00"), deposit=Decimal("0.00"))
    barrier = threading.Barrier(32)
    results: list[str] = []

    def take() -> None:
        try:
            barrier.wait()
            ledger_post(shop_id=shop.pk, kind=LedgerEntry.Kind.PAYOUT_HOLD, balance=Decimal("-10.00"))
            results.append("ok")
        except ApplicationError as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert results.count("ok") == 20
    assert results.count("insufficient_balance") == 12
    assert ShopAccount.objects.get(shop=shop).balance == Decimal("0.00")
    assert ledger_drifts() == []
    call_command("verify_ledger")


def test_sync_leaves_a_figure_given_as_none_as_it_is():
    shop = ShopFactory()
    shop_account_sync(shop=shop, balance=Decimal("9.00"), frozen=Decimal("1.00"), deposit=Decimal("2.00"))
    shop_account_sync(shop=shop, balance=Decimal("12.00"), frozen=None, deposit=None)
    account = ShopAccount.objects.get(shop=shop)
    assert (account.balance, account.frozen, account.deposit) == (Decimal("12.00"), Decimal("1.00"), Decimal("2.00"))
    assert ledger_drifts() == []
