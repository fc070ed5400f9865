"""Alipay's public-key certificate mode (issue 19, item 7): `app_cert_sn` and `alipay_root_cert_sn` computed as
Alipay's SDKs do, answers and notifications verified with the Alipay public-key certificate's key, the key mode
kept for the sandbox; the payee as Alipay wants it (the name with an account, `bankcard_ext_info` with a bank
card) and the query naming the product code of the transfer it asks about — against the strict fake."""

import pathlib
from decimal import Decimal

import pytest

from payouts.provider import Transfer, classify
from payouts.rails import alipay_certs
from payouts.rails.alipay import AlipayTransferRail, parse_notification
from payouts.rails.models import AlipaySignMode, Rail, RailBill, ShopRail
from payouts.services import payout_create
from tests.payouts.rails.fake_alipay import FakeAlipay, alipay_sn
from tests.payouts.rails.fake_common import serve

pytestmark = pytest.mark.django_db
CERTS = pathlib.Path(__file__).parent / "certs"


def test_root_cert_sn_of_alipays_published_root_chain_is_the_sdks():
    """The value every Alipay SDK sends for alipayRootCert.crt (RSA-signed roots only, SM2/ECDSA left out)."""
    pem = (CERTS / "alipayRootCert.crt").read_text()
    assert alipay_certs.root_cert_sn(pem) == "687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6"


def test_cert_sn_is_md5_of_the_issuer_and_decimal_serial(merchant):
    fake = FakeAlipay(app_id=merchant.app_id, app_public_key_pem=merchant.app_public_pem, cert_mode=True)
    assert alipay_certs.cert_sn(fake.ca.app_cert_pem) == alipay_sn(fake.ca.app_cert) == fake.ca.app_cert_sn
    assert alipay_certs.root_cert_sn(fake.ca.root_pem) == fake.ca.root_cert_sn  # the ECDSA root left out
    assert alipay_certs.cert_public_key(fake.ca.alipay_cert_pem).strip() == fake.public_key_pem.strip()
    with pytest.raises(alipay_certs.CertificateError):
        alipay_certs.cert_sn("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")


@pytest.fixture
def cert_rail(demo, rail_keys, merchant):
    fake = FakeAlipay(app_id=merchant.app_id, app_public_key_pem=merchant.app_public_pem, cert_mode=True,
                      auto_settle_seconds=None)
    server, url = serve(fake)
    from accounts.models import Shop

    config = ShopRail(shop=Shop.objects.get(key="pdd"), rail=Rail.ALIPAY, notify_base_url="http://testserver",
                      alipay_base_url=f"{url}/gateway.do", alipay_app_id=merchant.app_id,
                      alipay_sign_mode=AlipaySignMode.CERT, alipay_app_cert=fake.ca.app_cert_pem,
                      alipay_public_cert=fake.ca.alipay_cert_pem, alipay_root_cert=fake.ca.root_pem)
    config.set_secrets({"alipay_app_private_key": merchant.app_private_pem})
    config.save()
    yield fake, config
    server.shutdown()


@pytest.fixture
def payout(orders, users, pay):
    return payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])


def transfer(payout, attempt=9, **kw) -> Transfer:
    return Transfer(ref=f"PO{payout.pk}-{attempt}", payout_id=payout.pk, amount=Decimal("5.00"), buyer="buyer", **kw)


def test_cert_mode_transfer_carries_the_serials_and_the_answer_verifies_with_the_certificate(cert_rail, payout):
    fake, config = cert_rail
    assert config.missing() == []
    rail = AlipayTransferRail(config, config.credentials())
    rail.submit(transfer(payout, account="13800138000", account_kind="alipay", account_name="张三"))
    order = fake.orders[f"PO{payout.pk}-9"]
    assert order["payee"] == {"identity": "13800138000", "identity_type": "ALIPAY_LOGON_ID", "name": "张三"}
    assert fake.refused_certs == 0 and fake.refused_signatures == 0
    fake.advance(f"PO{payout.pk}-9")
    assert rail.query(f"PO{payout.pk}-9").status == "succeeded"
    assert fake.payments == [(f"PO{payout.pk}-9", "5.00")]


def test_cert_mode_notification_is_verified_with_the_alipay_certificate(cert_rail, payout):
    fake, config = cert_rail
    AlipayTransferRail(config, config.credentials()).submit(
        transfer(payout, account="13800138000", account_kind="alipay", account_name="张三"))
    fake.advance(f"PO{payout.pk}-9")
    ref, outcome, _ = parse_notification(config, config.credentials(), fake.notification(f"PO{payout.pk}-9"))
    assert (ref, outcome.status) == (f"PO{payout.pk}-9", "succeeded")
    from payouts.rails.alipay import CallbackRefused

    with pytest.raises(CallbackRefused):
        parse_notification(config, config.credentials(), fake.notification(f"PO{payout.pk}-9", forged=True))


def test_cert_mode_wrong_root_certificate_is_refused_and_nothing_is_paid(cert_rail, payout):
    """A request whose alipay_root_cert_sn is not Alipay's is refused (isv.invalid-alipay-root-cert-sn)."""
    fake, config = cert_rail
    config.alipay_root_cert = (CERTS / "alipayRootCert.crt").read_text()  # the real root: not this fake's
    AlipayTransferRail(config, config.credentials()).submit(
        transfer(payout, account="13800138000", account_kind="alipay", account_name="张三"))
    assert fake.refused_certs == 1 and fake.orders == {} and fake.payments == []
    assert RailBill.objects.get(ref=f"PO{payout.pk}-9").state == "REJECTED"


def test_key_mode_is_kept_for_the_sandbox(demo, rail_keys, merchant, payout):
    fake = FakeAlipay(app_id=merchant.app_id, app_public_key_pem=merchant.app_public_pem)
    server, url = serve(fake)
    try:
        config = ShopRail(shop=payout.shop, rail=Rail.ALIPAY, notify_base_url="http://testserver",
                          alipay_base_url=f"{url}/gateway.do", alipay_app_id=merchant.app_id,
                          alipay_sign_mode=AlipaySignMode.KEY)
        config.set_secrets({"alipay_app_private_key": merchant.app_private_pem,
                            "alipay_public_key": fake.public_key_pem})
        assert config.missing() == []
        AlipayTransferRail(config, config.credentials()).submit(
            transfer(payout, account="13800138000", account_kind="alipay", account_name="张三"))
        assert f"PO{payout.pk}-9" in fake.orders and "app_cert_sn" not in str(fake.requests)
    finally:
        server.shutdown()


def test_cert_mode_needs_its_three_certificates(demo):
    config = ShopRail(rail=Rail.ALIPAY, alipay_sign_mode=AlipaySignMode.CERT, notify_base_url="http://x",
                      alipay_base_url="http://x", alipay_app_id="1", secrets_info={"alipay_app_private_key": {}})
    assert config.missing() == ["alipay_app_cert", "alipay_public_cert", "alipay_root_cert"]
    config.alipay_sign_mode = AlipaySignMode.KEY
    assert config.missing() == ["alipay_public_key"]


def test_bank_card_transfer_carries_bankcard_ext_info_and_the_query_names_its_product_code(cert_rail, payout):
    fake, config = cert_rail
    rail = AlipayTransferRail(config, config.credentials())
    rail.submit(transfer(payout, account="6222020000000007", account_kind="bank_card", account_name="张三",
                         account_bank="中国工商银行"))
    ref = f"PO{payout.pk}-9"
    order = fake.orders[ref]
    assert order["product_code"] == "TRANS_BANKCARD_NO_PWD"
    assert order["payee"]["bankcard_ext_info"] == {"account_type": "2", "inst_name": "中国工商银行"}
    assert RailBill.objects.get(ref=ref).product_code == "TRANS_BANKCARD_NO_PWD"
    fake.advance(ref)
    assert rail.query(ref).status == "succeeded"  # asked with TRANS_ACCOUNT_NO_PWD it would be "not found"
    assert [r["product_code"] for r in fake.requests if r["method"] == "alipay.fund.trans.common.query"] == \
        ["TRANS_BANKCARD_NO_PWD"]


def test_logon_id_transfer_without_a_payee_name_is_not_sent_and_asks_the_buyer(cert_rail, payout):
    fake, config = cert_rail
    AlipayTransferRail(config, config.credentials()).submit(transfer(payout))  # the buyer's username, no name
    assert fake.requests == [] and fake.orders == {}
    bill = RailBill.objects.get(ref=f"PO{payout.pk}-9")
    assert (bill.state, bill.error_code) == ("REJECTED", "ALIPAY_PAYEE_NAME_MISSING")
    assert classify("ALIPAY_PAYEE_NAME_MISSING").value == "buyer_fixable"
