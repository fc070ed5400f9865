"""The buyer's signed links (PAY-B01) and the account card page (PAY-B02), through the Django test client."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing

from accounts.selectors import ledger_drifts
from buyerpages import links
from buyerpages.forms import luhn_ok
from core.clock import now
from notifications.models import Notification
from payouts.models import PayoutCard

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+?/b/\S+/")


def card_link(payout) -> str:
    """The card page's link, as the buyer's message carries it."""
    note = Notification.objects.filter(about_id=payout.pk, kind="account_card_link").latest("id")
    return LINK.search(note.body).group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_pay_b01_b02_card_link_goes_out_with_the_card_in_the_buyers_message(failed_payout):
    """PAY-B01: the card's message carries a signed link to the page of this card, valid as long as the card."""
    card = failed_payout.cards.get(status="sent")
    note = Notification.objects.get(about_id=failed_payout.pk, kind="account_card_link")
    assert note.recipient_id == failed_payout.order.buyer_id and note.channel == "app"
    assert "填写" in note.title and str(failed_payout.amount) in note.body
    token = path_of(card_link(failed_payout)).split("/")[3]
    link = links.read(links.CARD, token)
    assert (link.payout_id, link.card) == (failed_payout.pk, card.token)
    assert abs((link.expires_at - card.expires_at).total_seconds()) < 1


def test_pay_b01_altered_other_purpose_and_expired_links_show_a_clear_page_and_change_nothing(client, failed_payout):
    """PAY-B01: an altered link answers 400, a card link used as a confirmation link 400, an expired one 410 —
    each a Chinese page, never an error page — and nothing changes."""
    url = path_of(card_link(failed_payout))
    token = url.split("/")[3]
    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    answer = client.get(f"/b/card/{altered}/")
    assert answer.status_code == 400 and "链接无效" in answer.content.decode()
    answer = client.get(f"/b/confirm/{token}/")
    assert answer.status_code == 400 and "链接无效" in answer.content.decode()
    answer = client.post(f"/b/card/{altered}/", {"channel": "alipay", "account": "13800138000", "name": "张三"})
    assert answer.status_code == 400
    with time_machine.travel(now() + dt.timedelta(hours=73)):
        answer = client.get(url)
        assert answer.status_code == 410 and "链接已过期" in answer.content.decode()
        answer = client.post(url, {"channel": "alipay", "account": "13800138000", "name": "张三"})
        assert answer.status_code == 410
    failed_payout.refresh_from_db()
    assert failed_payout.status == "failed" and failed_payout.cards.get().status == "sent"


def test_pay_b01_link_past_the_max_age_is_refused_whatever_it_says(failed_payout, settings):
    token = links.sign(links.CARD, payout_id=failed_payout.pk, expires_at=now() + dt.timedelta(days=30), card="x")
    with time_machine.travel(now() + dt.timedelta(seconds=settings.BUYER_LINK_MAX_AGE + 5)):
        with pytest.raises(links.LinkExpired):
            links.read(links.CARD, token)
    with pytest.raises(links.LinkInvalid):
        links.read(links.CARD, signing.dumps({"p": failed_payout.pk, "e": 9999999999}, salt="another salt"))


def test_pay_b01_card_page_shows_this_payout_only(client, failed_payout, orders):
    page = client.get(path_of(card_link(failed_payout))).content.decode()
    assert failed_payout.order.order_no in page and "20.00" in page
    assert 'name="viewport"' in page
    others = [o for o in orders if o != failed_payout.order.order_no]
    assert not any(no in page for no in others)
    assert failed_payout.order.buyer.username not in page


def test_pay_b02_luhn_and_missing_fields_are_refused_in_words_and_change_nothing(client, failed_payout):
    url = path_of(card_link(failed_payout))
    answer = client.post(url, {"channel": "bank_card", "account": "6222 0200 0000 0008", "name": "张三",
                               "bank": "工商银行"})
    assert answer.status_code == 400 and "卡号校验不通过" in answer.content.decode()
    answer = client.post(url, {"channel": "bank_card", "account": "6222020000000000000000", "name": "张三",
                               "bank": "工商银行"})
    assert answer.status_code == 400 and "12 至 19 位" in answer.content.decode()
    answer = client.post(url, {"channel": "bank_card", "account": "6222020000000007", "name": "张三"})
    assert answer.status_code == 400 and "开户银行" in answer.content.decode()
    answer = client.post(url, {"channel": "alipay", "account": "zhang san", "name": "张三"})
    assert answer.status_code == 400 and "手机号或邮箱" in answer.content.decode()
    failed_payout.refresh_from_db()
    assert failed_payout.status == "failed" and failed_payout.cards.get().status == "sent"


def test_pay_b02_bank_card_is_stored_masked_with_its_bank_and_the_payout_retried(client, failed_payout):
    """PAY-B02: a Luhn-valid bank card with holder and bank; the page then shows it masked (PAY-C04) and the
    payout is retried at once (PAY-C02)."""
    url = path_of(card_link(failed_payout))
    answer = client.post(url, {"channel": "bank_card", "account": "6222 0200 0000 0007", "name": "张三",
                               "bank": "中国工商银行"})
    assert answer.status_code == 302 and answer["Location"] == url
    card = PayoutCard.objects.get(payout=failed_payout)
    assert (card.status, card.channel, card.bank_name, card.holder_name) == ("submitted", "bank_card", "中国工商银行", "张三")
    assert card.account_masked == "622****0007" and card.account_for_retry == "6222020000000007"
    failed_payout.refresh_from_db()
    assert failed_payout.status == "processing" and failed_payout.attempt == 2
    page = client.get(url).content.decode()
    assert "收款账户已提交" in page and "622****0007" in page and "6222020000000007" not in page
    assert "张*" in page and "中国工商银行" in page
    assert ledger_drifts() == []


def test_pay_b02_alipay_account_submitted_once_a_second_post_changes_nothing(client, failed_payout):
    url = path_of(card_link(failed_payout))
    assert client.post(url, {"channel": "alipay", "account": "13800138000", "name": "张三"}).status_code == 302
    answer = client.post(url, {"channel": "alipay", "account": "13900139000", "name": "李四"})
    assert answer.status_code == 200 and "138****8000" in answer.content.decode()
    card = PayoutCard.objects.get(payout=failed_payout)
    assert card.account_masked == "138****8000" and card.holder_name == "张三"


@pytest.mark.parametrize("number,ok", [("6222020000000007", True), ("4111111111111111", True),
                                       ("6222020000000008", False), ("79927398713", True), ("abc", False)])
def test_pay_b02_luhn(number, ok):
    assert luhn_ok(number) is ok
