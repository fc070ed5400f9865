"""Batch work in 待处理 and 打款记录 (issue 11): a confirmation page with the amounts first, each row checked
again by the service, a row-by-row result, a double submit harmless (PAY-A02, PAY-S02)."""

import re

import pytest
from django.urls import reverse

from accounts.models import LedgerEntry, Shop
from accounts.selectors import ledger_drifts
from payouts.models import Payout, PayoutRequest
from payouts.services import payout_request_create

pytestmark = pytest.mark.django_db
QUEUE = "admin:payouts_payoutrequest_changelist"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def two_requests(users, orders, pay, no_interval):
    return [payout_request_create(order=orders["PDD2001"], data=pay(amount), actor=users["pdd_cs2"])
            for amount in ("5.00", "7.00")]


def test_pay_a02_approve_several_asks_with_the_total_then_approves_each_once(client, users, two_requests):
    client.force_login(users["pdd_lead"])
    selected = {"action": "approve_selected", "_selected_action": [r.pk for r in two_requests]}
    page = client.post(reverse(QUEUE), selected)
    assert page.status_code == 200 and "12.00" in text_of(page)  # the total, before anything happens
    assert not Payout.objects.exists()
    confirm = {**selected, "batch_confirmed": "yes", "batch_token": page.context["token"]}
    result = client.post(reverse(QUEUE), confirm)
    assert result.context["done"] == 2 and Payout.objects.count() == 2
    assert set(PayoutRequest.objects.values_list("status", flat=True)) == {"approved"}
    entries = LedgerEntry.objects.count()
    again = client.post(reverse(QUEUE), confirm)  # a double submit: the first run's results, nothing twice
    assert again.context["done"] == 2 and Payout.objects.count() == 2 and LedgerEntry.objects.count() == entries
    assert ledger_drifts() == []


def test_pay_a02_approve_several_rechecks_each_and_lists_the_refusals(client, users, two_requests):
    Shop.objects.filter(key="pdd").update(withdrawal_frozen=True)
    client.force_login(users["pdd_admin"])
    selected = {"action": "approve_selected", "_selected_action": [r.pk for r in two_requests]}
    token = client.post(reverse(QUEUE), selected).context["token"]
    result = client.post(reverse(QUEUE), {**selected, "batch_confirmed": "yes", "batch_token": token})
    assert (result.context["done"], result.context["refused"]) == (0, 2)
    assert "货款提现被冻结" in text_of(result) and "PAY-E08" not in text_of(result)  # SEC-06
    assert set(PayoutRequest.objects.values_list("status", flat=True)) == {"pending"} and not Payout.objects.exists()


def test_pay_a02_reject_several_needs_a_reason(client, users, two_requests):
    client.force_login(users["pdd_admin"])
    selected = {"action": "reject_selected", "_selected_action": [r.pk for r in two_requests]}
    token = client.post(reverse(QUEUE), selected).context["token"]
    client.post(reverse(QUEUE), {**selected, "batch_confirmed": "yes", "batch_token": token, "reason": " "})
    assert set(PayoutRequest.objects.values_list("status", flat=True)) == {"pending"}
    result = client.post(reverse(QUEUE), {**selected, "batch_confirmed": "yes", "batch_token": token,
                                          "reason": "运费已由平台退还"})
    assert result.context["done"] == 2
    assert set(PayoutRequest.objects.values_list("reject_reason", flat=True)) == {"运费已由平台退还"}


def test_pay_a03_requesters_are_not_offered_the_batch_decisions(client, users, two_requests):
    client.force_login(users["pdd_cs2"])
    page = client.get(reverse(QUEUE))
    assert "approve_selected" not in page.content.decode()
    client.post(reverse(QUEUE), {"action": "approve_selected", "_selected_action": [two_requests[0].pk],
                                 "batch_confirmed": "yes", "batch_token": "x"})
    assert not Payout.objects.exists()
