# ruff: noqa: F811  (fixtures imported from the buyer pages' and the rails' conftest)
"""The buyer's pages (SPEC §14) in Chromium at a phone's size (390 × 844): the account card (PAY-B02), an
altered link (PAY-B01), and a WeChat payout to a buyer with no openid — WeChat authorization, then the
confirm-receipt step through the (fake) JS-SDK — until the payout succeeds (PAY-B03, PAY-B04). Screenshots in
test-artifacts/buyer-*.png."""

import re

import pytest

from core.clocks import run_all
from notifications.models import Notification
from payouts.models import PayoutCard
from payouts.rails.common import bill_no
from payouts.rails.models import BuyerWechatIdentity
from payouts.services import payout_create
from tests.browser.conftest import ARTIFACTS
from tests.buyerpages.conftest import (  # noqa: F401  fixtures
    WECHAT_UA,
    deliver,
    merchant,
    orders,
    pay,
    rail_keys,
    rails,
    users,
    wechat_web,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"https?://\S+?(/b/\S+/)")


def link_path(payout, kind: str) -> str:
    return LINK.search(Notification.objects.filter(about_id=payout.pk, kind=kind).latest("id").body).group(1)


@pytest.fixture
def phone(browser):
    """A phone: WeChat's in-app browser (its user agent), 390 × 844, touch."""
    contexts = []

    def open_(*, in_wechat: bool = True):
        args = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
        if in_wechat:
            args["user_agent"] = WECHAT_UA
        context = browser.new_context(**args)
        contexts.append(context)
        page = context.new_page()
        errors = []
        # script errors only: a 400/410 page (a refusal in words) is logged as a failed resource load
        page.on("console", lambda m: errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        page.errors = errors
        return page

    yield open_
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_fits(page) -> None:
    """Nothing wider than the phone; every button and field a thumb's size (≥ 44 px high)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in page.locator(".button, input[type=text], .pill").evaluate_all(
            "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height)"):
        assert box >= 44


def test_pay_b02_account_card_page_on_a_phone(demo, live_server, phone, orders, users, pay):
    """PAY-B02 in a phone: the card's link, a card number failing the Luhn check refused in words, a valid
    bank card with holder and bank taken, shown masked, and the payout retried at once."""
    payout = payout_create(order=orders["PDD2005"], data=pay("20.00"), actor=users["pdd_admin"])
    run_all()
    payout.refresh_from_db()
    assert payout.status == "failed"
    page = phone(in_wechat=False)
    page.goto(live_server.url + link_path(payout, "account_card_link"))
    assert "填写收款账户" in page.inner_text("h1") and "¥20.00" in page.inner_text("[data-testid=summary]")
    assert_fits(page)
    shot(page, "buyer-card-zh")
    page.check("input[value=bank_card]")
    page.fill("[data-testid=account]", "6222 0200 0000 0008")
    page.fill("[data-testid=name]", "张三")
    page.fill("[data-testid=bank]", "中国工商银行")
    with page.expect_navigation():
        page.click("[data-testid=submit]")
    assert "卡号校验不通过" in page.inner_text("[data-testid=card-form]")
    assert page.input_value("[data-testid=bank]") == "中国工商银行"
    shot(page, "buyer-card-luhn-zh")
    page.fill("[data-testid=account]", "6222 0200 0000 0007")
    with page.expect_navigation():
        page.click("[data-testid=submit]")
    assert page.inner_text("[data-testid=account-masked]") == "622****0007"
    shot(page, "buyer-card-done-zh")
    card = PayoutCard.objects.get(payout=payout)
    assert (card.status, card.bank_name) == ("submitted", "中国工商银行")
    payout.refresh_from_db()
    assert payout.attempt == 2 and page.errors == []


def test_pay_b01_altered_link_shows_a_clear_page_on_a_phone(demo, live_server, phone, orders, users, pay):
    payout = payout_create(order=orders["PDD2005"], data=pay("20.00"), actor=users["pdd_admin"])
    run_all()
    path = link_path(payout, "account_card_link")
    page = phone(in_wechat=False)
    answer = page.goto(live_server.url + path[:-6] + "xxxxx/")
    assert answer.status == 400 and "链接无效" in page.inner_text("h1")
    assert_fits(page)
    shot(page, "buyer-link-invalid-zh")


def test_pay_b03_b04_wechat_buyer_authorizes_and_confirms_receipt_on_a_phone(
        demo, live_server, phone, rails, wechat_web, deliver, orders, users, pay, settings):
    """PAY-B03 then PAY-B04 end to end: no openid → pending buyer_identity_needed and the link; the buyer
    authorizes in WeChat (snsapi_base, silent), the payout goes to the rail, which waits for the buyer
    (WAIT_USER_CONFIRM); the confirm page signs the JS-SDK, requestMerchantTransfer confirms with the package,
    the rail's callback reports success: paid exactly once."""
    settings.BUYER_PAGES_BASE_URL = live_server.url
    rails.wechat.confirm_required = True
    BuyerWechatIdentity.objects.filter(buyer=orders["DY1001"].buyer).delete()
    payout = payout_create(order=orders["DY1001"], data=pay("12.34"), actor=users["dy_admin"])
    payout.refresh_from_db()
    assert (payout.status, payout.pending_reason) == ("pending", "buyer_identity_needed")
    identity = live_server.url + link_path(payout, "buyer_identity_link")

    outside = phone(in_wechat=False)
    outside.goto(identity)
    assert "请在微信中打开此链接" in outside.inner_text("[data-testid=open-in-wechat]")
    shot(outside, "buyer-wechat-outside-zh")

    page = phone()
    page.goto(identity)
    assert "微信授权并继续" in page.inner_text("[data-testid=authorize]")
    assert_fits(page)
    shot(page, "buyer-wechat-identity-zh")
    with page.expect_navigation(url=re.compile(r"/b/wechat/callback/")):
        page.click("[data-testid=authorize]")
    assert "微信身份已确认" in page.inner_text("h1")
    assert "待买家确认收款" in page.inner_text("[data-testid=payout-status]")
    shot(page, "buyer-wechat-identity-done-zh")
    payout.refresh_from_db()
    assert payout.waiting_for_buyer and payout.package_info

    with page.expect_navigation():
        page.click("[data-testid=notice-action]")  # 确认收款
    page.wait_for_selector("[data-testid=confirm-button]:not([disabled])")
    assert payout.confirm_deadline.astimezone().strftime("%H:%M") in page.inner_text("[data-testid=deadline]") or \
        page.inner_text("[data-testid=deadline]")
    assert_fits(page)
    shot(page, "buyer-confirm-zh")
    with page.expect_navigation(url=re.compile(r"confirmed=1")):
        page.click("[data-testid=confirm-button]")
    assert "您已在微信中确认收款" in page.inner_text("[data-testid=confirmed]")
    shot(page, "buyer-confirm-confirmed-zh")
    number = bill_no(f"PO{payout.pk}-{payout.attempt}")
    assert wechat_web.confirmations == [payout.package_info] and rails.wechat.payments == [(number, 1234)]

    headers, body = rails.wechat.callback(number)
    assert deliver.wechat(payout.shop_id, headers, body).status_code == 204
    page.reload()
    assert "已到账" in page.inner_text("h1")
    shot(page, "buyer-confirm-received-zh")
    payout.refresh_from_db()
    assert payout.status == "succeeded" and page.errors == []
    assert rails.wechat.payments == [(number, 1234)]
