"""售后 › 小额打款 in the admin (SPEC §9): 发起打款, 打款记录, the payout detail and 待处理, with the Django
test client. Every page calls the services; negative tests check that nothing changed."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import LedgerEntry, PayoutQuota, Shop
from accounts.selectors import ledger_drifts
from core import labels
from core.models import IdempotencyKey
from payouts.models import Payout, PayoutCard, PayoutRequest
from payouts.provider import ProviderResult
from payouts.services import payout_apply_result, payout_continue, payout_create, payout_request_create

pytestmark = pytest.mark.django_db

INITIATE = "admin:payouts_payout_initiate"
FORM = {"type": "shipping_fee", "amount": "5.00", "product_id": "", "reason": "运费补偿", "buyer_message": "已为您补运费",
        "pay_method": "balance"}


def signed_in(client, users, username):
    client.force_login(users[username])
    return client


def initiate_url(order_no: str) -> str:
    return f"{reverse(INITIATE)}?order_no={order_no}"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def preview(client, order_no, **fields):
    data = {**FORM, **fields, "order_no": order_no, "action": "preview"}
    response = client.post(reverse(INITIATE), data)
    assert response.status_code == 200
    return response


def confirm(client, order_no, action="confirm", token=None, **fields):
    """Preview, then submit the confirm step with its one-time token (or the given one)."""
    page = preview(client, order_no, **fields)
    # "alternatives": the chosen method fails a rule, only scan-to-pay or a request is offered (issue 11)
    assert page.context["step"] in ("confirm", "alternatives"), page.context["form"].errors
    token = token or page.context["token"]
    data = {**FORM, **fields, "order_no": order_no, "action": action, "token": token}
    return client.post(reverse(INITIATE), data), token


def money_snapshot():
    return Payout.objects.count(), PayoutRequest.objects.count(), LedgerEntry.objects.count()


# ---------------------------------------------------------------------------------------------- 发起打款


def test_pay_f04_initiate_page_lists_earlier_payouts_and_the_platforms_shipping_refund(client, users, orders, pay, rail_busy):
    earlier = payout_create(order=orders["DY1022"], data=pay("3.00"), actor=users["dy_cs1"])
    html = signed_in(client, users, "dy_admin").get(initiate_url("DY1022"))
    assert html.status_code == 200
    panel = html.context["panel"]
    assert [row["payout"].pk for row in panel["previous_rows"]] == [earlier.pk]
    text = text_of(html)
    warning = text[text.index("重复打款提醒"):]
    for shown in ("补运费", "3.00", "待打款", "dy_cs1", "8.00", "平台已向买家退运费"):
        assert shown in warning, shown
    assert reverse("admin:payouts_payout_change", args=[earlier.pk]) in html.content.decode()
    assert "该订单有打款中的记录" not in text  # pending, not processing


def test_pay_f04_processing_payout_shows_do_not_pay_twice(client, users, orders, pay, rail_busy):
    payout = payout_create(order=orders["DY1022"], data=pay("3.00"), actor=users["dy_admin"])
    payout_continue(payout=payout, actor=users["dy_admin"])
    assert Payout.objects.get(pk=payout.pk).status == "processing"
    text = text_of(signed_in(client, users, "dy_admin").get(initiate_url("DY1022")))
    assert "该订单有打款中的记录,请勿重复打款" in text


def test_pay_e01_e02_eligibility_is_explained_rule_by_rule(client, users, orders):
    order = orders["DY1001"]
    order.source_app, order.payment = "toutiao", "cod"
    order.save(update_fields=["source_app", "payment"])
    response = signed_in(client, users, "dy_admin").get(initiate_url("DY1001"))
    rows = response.context["panel"]["problem_rows"]
    assert [r["rule"] for r in rows] == ["PAY-E01", "PAY-E02"]
    text = text_of(response)
    assert "仅限抖音APP和抖音火山版APP产生的订单使用小额打款" in text and "仅限在线支付订单使用小额打款" in text
    assert "PAY-E01" not in text and "PAY-E02" not in text  # SEC-06: no rule IDs on the page


def test_pay_f05_headroom_for_a_sub_account_and_unlimited_for_the_main_account(client, users, orders, pay):
    payout_create(order=orders["DY1001"], data=pay("20.00"), actor=users["dy_cs1"])
    remaining = signed_in(client, users, "dy_cs1").get(initiate_url("DY1022")).context["panel"]["remaining"]
    assert remaining["order_count"] == 5 and remaining["order_amount"] == Decimal("90.00")
    assert remaining["shop_daily"] == Decimal("14980.00")
    assert remaining["my_per_payout"] == Decimal("50.00") and remaining["my_daily"] == Decimal("180.00")
    page = signed_in(client, users, "dy_admin").get(initiate_url("DY1022"))
    assert page.context["panel"]["remaining"]["my_per_payout"] is None
    assert "我的单笔打款限额 不限" in text_of(page)


def test_pay_f05_pinduoduo_sub_without_quota_sees_why_the_balance_cannot_be_used(client, users, orders):
    page = signed_in(client, users, "pdd_cs2").get(initiate_url("PDD2001"))
    panel = page.context["panel"]
    assert panel["balance_usable"] is False and panel["balance_blocked_reasons"] == ["no_quota"]
    text = text_of(page)
    assert "可使用货款余额 否" in text and "未设置打款额度" in text
    assert "6.00" in text  # PAY-F04: the platform's shipping-fee refund on this order


@pytest.mark.smoke  # also run on SQLite by bin/test
def test_pay_s01_confirm_creates_one_payout_and_a_resubmitted_token_creates_nothing(client, users, orders, rail_busy):
    signed_in(client, users, "dy_admin")
    page = preview(client, "DY1022", amount="12.50", product_id="DY-SH-007")
    assert page.context["step"] == "confirm"
    text = text_of(page)
    assert "确认打款信息" in text and "12.50" in text and "8.00" in text  # the summary and the warning again
    data = {**FORM, "amount": "12.50", "product_id": "DY-SH-007", "order_no": "DY1022", "action": "confirm",
            "token": page.context["token"]}
    first = client.post(reverse(INITIATE), data)
    payout = Payout.objects.get()
    assert first.status_code == 302 and first["Location"] == reverse("admin:payouts_payout_change", args=[payout.pk])
    assert (payout.amount, payout.status, payout.product_id, payout.applicant.username) == (
        Decimal("12.50"), "pending", "DY-SH-007", "dy_admin")
    entries = LedgerEntry.objects.count()
    again = client.post(reverse(INITIATE), data)  # a double click, a reload of the POST
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Payout.objects.count() == 1 and LedgerEntry.objects.count() == entries
    assert ledger_drifts() == []


def test_a_reused_token_with_other_data_is_refused_and_changes_nothing(client, users, orders):
    signed_in(client, users, "dy_admin")
    _, token = confirm(client, "DY1022", amount="5.00")
    before = money_snapshot()
    response = client.post(reverse(INITIATE), {**FORM, "amount": "7.00", "order_no": "DY1022", "action": "confirm",
                                               "token": token})
    assert response.status_code == 302 and response["Location"] == reverse(INITIATE)
    assert money_snapshot() == before


@pytest.mark.parametrize(("amount", "rule", "message"), [
    ("95.00", "PAY-L04", "主订单累计打款金额(待打款+打款中+打款成功)大于订单实付金额"),
    ("0.001", "PAY-L10", "打款金额须不低于0.01元且最多两位小数"),
])
def test_pay_l04_l10_a_refusal_is_a_form_error_and_changes_nothing(client, users, orders, amount, rule, message):
    before = money_snapshot()
    response, _token = confirm(signed_in(client, users, "dy_admin"), "DY1022", amount=amount)
    assert response.status_code == 200 and response.context["step"] == "fill"
    errors = " ".join(response.context["form"].non_field_errors())
    assert message in errors and rule not in errors  # SEC-06: no rule IDs in what merchants read
    assert money_snapshot() == before
    assert not IdempotencyKey.objects.exists()  # the claim rolled back with the refusal


def test_pay_l06_douyin_sub_over_per_payout_limit_is_refused_with_its_message(client, users, orders):
    before = money_snapshot()
    response, _ = confirm(signed_in(client, users, "dy_cs1"), "DY1022", amount="60.00")
    assert "超出主账号设置的单笔限额" in " ".join(response.context["form"].non_field_errors())
    assert money_snapshot() == before


def test_pay_f02_f03_required_fields_and_products_of_the_order_only(client, users, orders):
    signed_in(client, users, "dy_admin")
    response = client.post(reverse(INITIATE), {**FORM, "reason": "", "buyer_message": "", "order_no": "DY1022",
                                               "action": "preview"})
    assert response.context["step"] == "fill"
    assert {"reason", "buyer_message"} <= set(response.context["form"].errors)
    products = dict(response.context["form"].fields["product_id"].choices)
    assert "DY-SH-007" in products and "DY-SH-001" not in products
    wrong = client.post(reverse(INITIATE), {**FORM, "product_id": "DY-SH-001", "order_no": "DY1022", "action": "preview"})
    assert "product_id" in wrong.context["form"].errors
    assert not Payout.objects.exists()


def test_initiate_finds_only_the_users_shops_orders(client, users, orders):
    response = signed_in(client, users, "dy_admin").get(initiate_url("PDD2001"))
    assert response.status_code == 200 and response.context["order"] is None
    assert "本店铺没有该订单号的订单" in text_of(response)


@pytest.mark.parametrize("disabled_quota", [False, True])
def test_pay_l08_douyin_sub_without_quota_does_not_see_the_payout_pages(client, users, orders, pay, disabled_quota):
    if disabled_quota:
        PayoutQuota.objects.create(shop=orders["DY1022"].shop, user=users["dy_cs2"], per_payout=Decimal("10.00"),
                                   enabled=False)
    payout_create(order=orders["DY1022"], data=pay("3.00"), actor=users["dy_admin"])
    signed_in(client, users, "dy_cs2")
    assert "小额打款" not in client.get(reverse("admin:index")).content.decode()
    assert client.get(initiate_url("DY1022")).status_code == 403
    assert client.get(reverse("admin:payouts_payout_changelist")).status_code == 403
    assert client.get(reverse("admin:payouts_payoutrequest_changelist")).status_code == 403
    order_page = client.get(reverse("admin:orders_order_change", args=[orders["DY1022"].pk])).content.decode()
    assert "发起打款" not in order_page and 'id="order-payouts"' not in order_page
    # Once the main account enables a quota, the pages appear.
    PayoutQuota.objects.update_or_create(user=users["dy_cs2"], defaults={
        "shop": orders["DY1022"].shop, "per_payout": Decimal("10.00"), "enabled": True})
    assert client.get(initiate_url("DY1022")).status_code == 200


def test_platform_staff_read_payouts_but_cannot_initiate(client, users, orders, pay, rail_busy):
    payout = payout_create(order=orders["DY1022"], data=pay("3.00"), actor=users["dy_admin"])
    signed_in(client, users, "ops1")
    assert client.get(initiate_url("DY1022")).status_code == 403
    assert client.get(reverse("admin:payouts_payout_change", args=[payout.pk])).status_code == 200
    client.post(reverse("admin:payouts_payout_continue", args=[payout.pk]))
    assert Payout.objects.get(pk=payout.pk).status == "pending"


# ---------------------------------------------------------------------------------------------- Pinduoduo


def test_pay_q04_pinduoduo_sub_without_quota_is_offered_scan_and_request_not_the_balance(client, users, orders):
    page = preview(signed_in(client, users, "pdd_cs2"), "PDD2001", amount="5.00")
    offered = (page.context["can_confirm"], page.context["offer_scan"], page.context["offer_request"])
    assert offered == (False, True, True)
    html = page.content.decode()
    assert 'value="scan"' in html and 'value="request"' in html and 'value="confirm"' not in html


def test_pay_a01_a_sub_account_sends_the_payout_as_a_request(client, users, orders):
    entries = LedgerEntry.objects.count()
    response, _ = confirm(signed_in(client, users, "pdd_cs2"), "PDD2001", action="request", amount="5.00")
    request = PayoutRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:payouts_payoutrequest_change", args=[request.pk])
    assert (request.requester.username, request.amount, request.status) == ("pdd_cs2", Decimal("5.00"), "pending")
    assert not Payout.objects.exists() and LedgerEntry.objects.count() == entries  # holds nothing


@pytest.mark.parametrize("amount", ["0.001", "-1.00", "0.50"])
def test_pay_l10_a_request_with_an_unacceptable_amount_is_refused_and_nothing_is_sent(client, users, orders, amount):
    before = money_snapshot()
    response, _ = confirm(signed_in(client, users, "pdd_cs2"), "PDD2001", action="request", amount=amount)
    assert response.status_code == 200
    assert "打款金额须不低于1.00元且最多两位小数" in " ".join(response.context["form"].non_field_errors())
    assert money_snapshot() == before


def test_pay_q01_scan_to_pay_from_the_confirm_step_holds_nothing_and_shows_the_qr(client, users, orders):
    signed_in(client, users, "pdd_cs2")
    page = preview(client, "PDD2001", amount="5.00")
    entries = LedgerEntry.objects.count()
    response = client.post(reverse(INITIATE), {**FORM, "amount": "5.00", "order_no": "PDD2001", "action": "scan",
                                               "switch_channel": "alipay", "token": page.context["token"]})
    payout = Payout.objects.get()
    assert response.status_code == 302
    assert (payout.status, payout.pay_method, payout.scan_channel, payout.held) == (
        "awaiting_top_up", "scan", "alipay", Decimal("0"))
    assert LedgerEntry.objects.count() == entries
    detail = client.get(response["Location"])
    assert f"sandbox://alipay/pay?payout={payout.pk}" in detail.content.decode()
    assert "继续充值" in text_of(detail)


def test_pay_q01_douyin_form_offers_no_scan_to_pay(client, users, orders):
    form = signed_in(client, users, "dy_admin").get(initiate_url("DY1022")).context["form"]
    assert [v for v, _ in form.fields["pay_method"].choices] == ["balance"] and "scan_channel" not in form.fields


# ---------------------------------------------------------------------------------------------- 打款记录


@pytest.fixture
def records(users, orders, pay, no_interval, rail_busy):
    a = payout_create(order=orders["DY1001"], data=pay("4.00"), actor=users["dy_admin"])
    b = payout_create(order=orders["DY1022"], data=pay("6.00", product_id="DY-SH-007"), actor=users["dy_cs1"])
    c = payout_create(order=orders["DY1022"], data=pay("7.00"), actor=users["dy_admin"])
    payout_continue(payout=c, actor=users["dy_admin"])
    Payout.objects.filter(pk=a.pk).update(created_at="2026-10-02T10:00:00+08:00")
    pdd = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    return {"a": a, "b": b, "c": c, "pdd": pdd}


def listed(client, **params) -> set[int]:
    response = client.get(reverse("admin:payouts_payout_changelist"), params)
    assert response.status_code == 200
    return {p.pk for p in response.context["cl"].result_list}


def test_pay_r01_records_filter_by_order_product_applicant_status_and_time(client, users, records):
    a, b, c = records["a"], records["b"], records["c"]
    signed_in(client, users, "dy_admin")
    assert listed(client) == {a.pk, b.pk, c.pk}  # the shop's records only
    assert listed(client, q="DY1022") == {b.pk, c.pk}
    assert listed(client, q="DY-SH-007") == {b.pk}
    assert listed(client, applicant="dy_cs1") == {b.pk}
    assert listed(client, status__exact="processing") == {c.pk}
    assert listed(client, created_from="2026-10-01", created_to="2026-10-31") == {a.pk}
    assert listed(client, created_from="2026-11-01") == {b.pk, c.pk}
    assert listed(client, created_from="not-a-date") == {a.pk, b.pk, c.pk}  # ignored, not a 500


def test_pay_r01_csv_and_xlsx_exports_follow_the_current_filters(client, users, records):
    from openpyxl import load_workbook

    signed_in(client, users, "dy_admin")
    csv_response = client.get(reverse("admin:payouts_payout_export", args=["csv"]), {"q": "DY1022"})
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["打款单号", "订单编号", "打款类型", "金额"]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([records["b"].pk, records["c"].pk])
    xlsx = client.get(reverse("admin:payouts_payout_export", args=["xlsx"]), {"applicant": "dy_cs1"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][0] == records["b"].pk and values[1][1] == "DY1022"
    assert client.get(reverse("admin:payouts_payout_export", args=["pdf"])).status_code == 404


def test_pay_r01_exports_quote_text_that_would_run_as_a_formula(client, users, records):
    from openpyxl import load_workbook

    Payout.objects.filter(pk=records["b"].pk).update(reason="=HYPERLINK(\"http://x\")")
    signed_in(client, users, "dy_admin")
    xlsx = client.get(reverse("admin:payouts_payout_export", args=["xlsx"]), {"applicant": "dy_cs1"})
    row = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))[1]
    assert "'=HYPERLINK(\"http://x\")" in row
    body = client.get(reverse("admin:payouts_payout_export", args=["csv"]), {"applicant": "dy_cs1"}).content
    assert "'=HYPERLINK" in body.decode("utf-8-sig")


def test_pay_r01_another_shops_payout_is_not_found(client, users, records):
    signed_in(client, users, "pdd_admin")
    assert listed(client) == {records["pdd"].pk}
    assert client.get(reverse("admin:payouts_payout_change", args=[records["a"].pk])).status_code == 404
    assert client.post(reverse("admin:payouts_payout_continue", args=[records["a"].pk])).status_code == 404
    assert Payout.objects.get(pk=records["a"].pk).status == "pending"


@pytest.mark.smoke  # also run on SQLite by bin/test
def test_pay_s02_continue_from_the_detail_page_once(client, users, records):
    payout = records["b"]
    signed_in(client, users, "dy_admin")
    detail = client.get(reverse("admin:payouts_payout_change", args=[payout.pk]))
    assert 'data-testid="continue"' in detail.content.decode()
    entries = LedgerEntry.objects.count()
    client.post(reverse("admin:payouts_payout_continue", args=[payout.pk]))
    assert Payout.objects.get(pk=payout.pk).status == "processing"
    again = client.post(reverse("admin:payouts_payout_continue", args=[payout.pk]), follow=True)
    assert "该打款不是待打款状态,无法继续打款" in text_of(again)
    assert LedgerEntry.objects.count() == entries  # never debited again
    assert client.get(reverse("admin:payouts_payout_continue", args=[payout.pk])).status_code == 405


def test_pay_s02_continue_action_on_the_records_list(client, users, records):
    signed_in(client, users, "dy_admin")
    selected = {"action": "continue_payouts", "_selected_action": [records["a"].pk, records["c"].pk]}
    page = client.post(reverse("admin:payouts_payout_changelist"), selected)
    assert page.status_code == 200 and Payout.objects.get(pk=records["a"].pk).status == "pending"  # asks first
    assert str(records["a"].amount) in text_of(page)
    response = client.post(reverse("admin:payouts_payout_changelist"), {
        **selected, "batch_confirmed": "yes", "batch_token": page.context["token"]})
    assert Payout.objects.get(pk=records["a"].pk).status == "processing"
    assert "该打款不是待打款状态" in text_of(response)  # c was already processing, listed with its refusal


def test_pay_r02_payout_detail_shows_timeline_cards_masked_and_notifications_and_is_read_only(
        client, users, orders, pay):
    payout = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    payout_apply_result(payout_id=payout.pk, result=ProviderResult("failed", "ACCOUNT_INVALID"), source="callback")
    card = PayoutCard.objects.get(payout=payout)
    PayoutCard.objects.filter(pk=card.pk).update(account_masked="622****1234", account_for_retry="6222020011111234")
    signed_in(client, users, "pdd_admin")
    page = client.get(reverse("admin:payouts_payout_change", args=[payout.pk]))
    text = text_of(page)
    for shown in ("发起打款", "打款失败", "622****1234", "小额打款失败", "站内信", "重新发送卡片"):
        assert shown in text, shown
    # The timeline is core.labels.timeline(events, "payout"); its words come from the payout labels that
    # payouts registers with core.labels (until they are, it shows the raw event codes).
    timeline = [row["label"] for row in page.context["timeline"]]
    assert timeline[0] == labels.event_label("payout", "created") and labels.event_label("payout", "failed") in timeline
    if labels.event_types("payout"):
        assert "发送账户信息填写卡片" in text
    assert "6222020011111234" not in page.content.decode()  # PAY-C04
    client.post(reverse("admin:payouts_payout_change", args=[payout.pk]), {"amount": "1.00"})
    assert Payout.objects.get(pk=payout.pk).amount == Decimal("5.00")


def test_pay_c03_resend_the_account_card_from_the_detail_page(client, users, orders, pay):
    payout = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    payout_apply_result(payout_id=payout.pk, result=ProviderResult("failed", "ACCOUNT_INVALID"), source="callback")
    first = PayoutCard.objects.get(payout=payout)
    signed_in(client, users, "pdd_lead")
    client.post(reverse("admin:payouts_payout_resend_card", args=[payout.pk]))
    first.refresh_from_db()
    assert first.status == "expired"
    assert PayoutCard.objects.filter(payout=payout, status="sent").count() == 1


def test_pay_c03_resend_is_refused_for_a_payout_that_is_not_failed(client, users, orders, pay):
    payout = payout_create(order=orders["DY1022"], data=pay("5.00"), actor=users["dy_admin"])
    response = signed_in(client, users, "dy_admin").post(
        reverse("admin:payouts_payout_resend_card", args=[payout.pk]), follow=True)
    assert "该打款当前不可发送账户信息填写卡片" in text_of(response)
    assert not PayoutCard.objects.exists()


# ---------------------------------------------------------------------------------------------- 待处理


def approve_in_admin(client, request_pk, follow=False, **data):
    """PAY-A02: choose the method, read the confirmation page, confirm."""
    url = reverse("admin:payouts_payoutrequest_approve", args=[request_pk])
    page = client.post(url, data)
    if page.status_code != 200:
        return client.get(page["Location"]) if follow else page
    token = page.context["token"]
    return client.post(url, {**data, "step": "confirm", "token": token}, follow=follow)


@pytest.fixture
def pdd_request(users, orders, pay):
    return payout_request_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_cs2"])


@pytest.mark.smoke  # also run on SQLite by bin/test
def test_pay_a02_main_account_approves_from_the_queue_with_the_duplicate_warning(client, users, pdd_request):
    signed_in(client, users, "pdd_admin")
    queue = client.get(reverse("admin:payouts_payoutrequest_changelist"), {"status__exact": "pending"})
    assert [r.pk for r in queue.context["cl"].result_list] == [pdd_request.pk]
    page = client.get(reverse("admin:payouts_payoutrequest_change", args=[pdd_request.pk]))
    text = text_of(page)
    assert "平台已向买家退运费" in text and "6.00" in text and 'data-testid="approve"' in page.content.decode()
    approve_in_admin(client, pdd_request.pk)
    pdd_request.refresh_from_db()
    payout = pdd_request.payout
    assert pdd_request.status == "approved" and pdd_request.decided_by.username == "pdd_admin"
    assert (payout.applicant.username, payout.approved_by.username, payout.quota_user) == ("pdd_cs2", "pdd_admin", None)
    assert ledger_drifts() == []


def test_pay_a02_a_failed_recheck_shows_the_rule_and_leaves_the_request_pending(client, users, pdd_request):
    Shop.objects.filter(key="pdd").update(withdrawal_frozen=True)
    before = money_snapshot()
    response = approve_in_admin(signed_in(client, users, "pdd_lead"), pdd_request.pk, follow=True)
    assert "货款提现被冻结,无法发起打款" in text_of(response) and "PAY-E08" not in text_of(response)  # SEC-06
    pdd_request.refresh_from_db()
    assert pdd_request.status == "pending" and money_snapshot() == before


def test_pay_a02_reject_needs_a_reason_and_the_requester_sees_the_outcome(client, users, pdd_request):
    signed_in(client, users, "pdd_admin")
    response = client.post(reverse("admin:payouts_payoutrequest_reject", args=[pdd_request.pk]), {"reason": " "},
                           follow=True)
    assert "驳回须填写原因" in text_of(response)
    assert PayoutRequest.objects.get(pk=pdd_request.pk).status == "pending"
    client.post(reverse("admin:payouts_payoutrequest_reject", args=[pdd_request.pk]), {"reason": "运费已由平台退还"})
    pdd_request.refresh_from_db()
    assert (pdd_request.status, pdd_request.reject_reason) == ("rejected", "运费已由平台退还")
    assert not Payout.objects.exists()
    mine = signed_in(client, users, "pdd_cs2").get(reverse("admin:payouts_payoutrequest_change", args=[pdd_request.pk]))
    assert "已驳回" in text_of(mine) and "运费已由平台退还" in text_of(mine)


def test_pay_a03_requesters_see_only_their_own_requests_and_cannot_decide(client, users, orders, pay, pdd_request):
    other = payout_request_create(order=orders["PDD2005"], data=pay("5.00"), actor=users["pdd_cs1"])
    signed_in(client, users, "pdd_cs2")
    shown = client.get(reverse("admin:payouts_payoutrequest_changelist")).context["cl"].result_list
    assert [r.pk for r in shown] == [pdd_request.pk]
    assert client.get(reverse("admin:payouts_payoutrequest_change", args=[other.pk])).status_code == 404
    page = client.get(reverse("admin:payouts_payoutrequest_change", args=[pdd_request.pk]))
    assert 'data-testid="approve"' not in page.content.decode()
    refused = client.post(reverse("admin:payouts_payoutrequest_approve", args=[pdd_request.pk]), follow=True)
    assert "仅主账号(拼多多:客服管理员)可审批打款申请" in text_of(refused)
    assert PayoutRequest.objects.get(pk=pdd_request.pk).status == "pending" and not Payout.objects.exists()
    everyone = signed_in(client, users, "pdd_admin").get(reverse("admin:payouts_payoutrequest_changelist"))
    assert {r.pk for r in everyone.context["cl"].result_list} == {pdd_request.pk, other.pk}


def test_pay_a02_douyin_customer_service_admins_do_not_exist_and_main_decides(client, users, orders, pay):
    request = payout_request_create(order=orders["DY1022"], data=pay("5.00"), actor=users["dy_cs1"])
    signed_in(client, users, "dy_admin")
    approve_in_admin(client, request.pk)
    request.refresh_from_db()
    assert request.status == "approved" and request.payout.approved_by.username == "dy_admin"


def test_pay_a02_admin_approval_by_scan_states_method_and_amount_before_money_moves(client, users, pdd_request):
    """PAY-A02 (revised): the approver chooses scan with a channel; the confirmation page states the method and
    the amount and nothing moves until it is confirmed; a second confirm under the same token pays nothing."""
    signed_in(client, users, "pdd_admin")
    page = client.get(reverse("admin:payouts_payoutrequest_change", args=[pdd_request.pk]))
    assert 'data-testid="approve-pay-method"' in page.content.decode()
    before = money_snapshot()
    url = reverse("admin:payouts_payoutrequest_approve", args=[pdd_request.pk])
    confirm = client.post(url, {"pay_method": "scan", "scan_channel": "alipay"})
    text = text_of(confirm)
    assert "5.00" in text and "扫码" in text and "支付宝" in text and "PDD2001" in text
    assert money_snapshot() == before and not Payout.objects.exists()
    data = {"pay_method": "scan", "scan_channel": "alipay", "step": "confirm", "token": confirm.context["token"]}
    client.post(url, data)
    client.post(url, data)
    pdd_request.refresh_from_db()
    assert pdd_request.status == "approved" and Payout.objects.count() == 1
    assert (pdd_request.payout.status, pdd_request.payout.scan_channel) == ("awaiting_top_up", "alipay")
    assert money_snapshot()[2] == before[2]  # the balance is not touched (no ledger entry)


# ---------------------------------------------------------------------------------------------- the order detail


def test_pay_r02_order_detail_lists_its_payouts_and_requests_with_an_initiate_link(client, users, orders, pay):
    payout = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    request = payout_request_create(order=orders["PDD2001"], data=pay("4.00"), actor=users["pdd_cs2"])
    signed_in(client, users, "pdd_admin")
    html = client.get(reverse("admin:orders_order_change", args=[orders["PDD2001"].pk])).content.decode()
    assert reverse("admin:payouts_payout_change", args=[payout.pk]) in html
    assert reverse("admin:payouts_payoutrequest_change", args=[request.pk]) in html
    assert f"{reverse(INITIATE)}?order_no=PDD2001" in html
    # PAY-A03: another sub-account does not see pdd_cs2's request on the order.
    other = signed_in(client, users, "pdd_cs1").get(reverse("admin:orders_order_change", args=[orders["PDD2001"].pk]))
    assert reverse("admin:payouts_payoutrequest_change", args=[request.pk]) not in other.content.decode()
    assert reverse("admin:payouts_payout_change", args=[payout.pk]) in other.content.decode()


def test_the_tabs_link_the_quota_page_only_for_those_who_may_see_it(client, users, orders):
    admin_page = signed_in(client, users, "dy_admin").get(reverse("admin:payouts_payout_changelist"))
    assert reverse("admin:accounts_payoutquota_changelist") in admin_page.content.decode()
    sub_page = signed_in(client, users, "dy_cs1").get(reverse("admin:payouts_payout_changelist"))
    assert "客服打款配额" not in sub_page.content.decode()


def test_pages_speak_english_on_request(client, users, orders):
    signed_in(client, users, "dy_admin")
    client.cookies["django_language"] = "en"
    order = orders["DY1001"]
    order.payment = "cod"
    order.save(update_fields=["payment"])
    text = text_of(client.get(initiate_url("DY1001")))
    assert "Initiate a payout" in text and "Only orders paid online can receive a payout." in text
    assert "发起打款" not in text


def test_order_detail_shows_the_open_aftersales_entry_button(client, users, orders):
    """ASE-R01: the order page leads to the after-sales entry page (its eligibility and confirmation)."""
    html = signed_in(client, users, "dy_cs1").get(
        reverse("admin:orders_order_change", args=[orders["DY1022"].pk])).content.decode()
    assert 'data-testid="open-aftersales-entry"' in html
    assert reverse("admin:aftersales_open_entry", args=["DY1022"]) in html
    assert "打开售后入口" in html


def test_back_to_edit_from_the_confirm_step_keeps_the_values_and_creates_nothing(client, users, orders):
    signed_in(client, users, "dy_admin")
    page = preview(client, "DY1022", amount="7.70", reason="差价补偿")
    response = client.post(reverse(INITIATE), {**FORM, "amount": "7.70", "reason": "差价补偿", "order_no": "DY1022",
                                               "action": "edit", "token": page.context["token"]})
    assert response.context["step"] == "fill"
    html = response.content.decode()
    assert 'value="7.70"' in html and 'value="差价补偿"' in html
    assert not Payout.objects.exists() and not IdempotencyKey.objects.exists()
