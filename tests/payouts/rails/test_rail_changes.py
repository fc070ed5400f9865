"""Rail credentials never change without a trace (issue 22 item 10): `rail_config_set` records who changed
what — each setting from → to, a credential only by its fingerprint, never the secret — in the same
transaction, and the rail's admin history shows it."""

import json

import pytest
from django.urls import reverse

from accounts.models import Shop, User
from core.errors import ApplicationError
from payouts.rails.models import Rail, ShopRail, ShopRailChange, fingerprint
from payouts.rails.services import rail_config_set

pytestmark = pytest.mark.django_db

APIV3 = "K" * 32


def wechat_values() -> dict:
    return {"enabled": True, "rail": Rail.WECHAT, "notify_base_url": "https://bo.example.com",
            "wechat_base_url": "https://api.mch.weixin.qq.com", "wechat_mch_id": "1900000109",
            "wechat_appid": "wx8888888888888888", "wechat_cert_serial": "ABC123", "wechat_public_key_id": "PUB_KEY_1",
            "wechat_transfer_scene_id": "1000"}


def wechat_secrets(merchant) -> dict:
    return {"wechat_private_key": merchant.private_pem, "wechat_platform_public_key": merchant.public_pem,
            "wechat_apiv3_key": APIV3}


def everything_recorded() -> str:
    return json.dumps(list(ShopRailChange.objects.values()), default=str)


def test_setting_a_rail_records_who_and_what_but_never_a_secret(demo, rail_keys, merchant):
    ops = User.objects.get(username="ops1")
    shop = Shop.objects.get(key="dy")
    config = rail_config_set(shop=shop, actor=ops, values=wechat_values(), secrets=wechat_secrets(merchant))
    change = ShopRailChange.objects.get()
    assert (change.shop, change.config, change.actor, change.created) == (shop, config, ops, True)
    assert {"field": "rail", "from": "sandbox", "to": "wechat"} in change.changes
    assert {"field": "wechat_mch_id", "from": "", "to": "1900000109"} in change.changes
    assert sorted(c["field"] for c in change.secrets) == ["wechat_apiv3_key", "wechat_platform_public_key",
                                                          "wechat_private_key"]
    assert {"field": "wechat_apiv3_key", "fingerprint": fingerprint(APIV3)} in change.secrets
    recorded = everything_recorded()
    assert APIV3 not in recorded and "PRIVATE KEY" not in recorded and "PUBLIC KEY" not in recorded

    rotated = "R" * 32
    rail_config_set(shop=shop, actor=ops, values={"card_rail": Rail.SANDBOX}, secrets={"wechat_apiv3_key": rotated})
    latest = ShopRailChange.objects.order_by("-id").first()
    assert latest.created is False
    assert latest.changes == [{"field": "card_rail", "from": "", "to": "sandbox"}]
    assert latest.secrets == [{"field": "wechat_apiv3_key", "fingerprint": fingerprint(rotated)}]
    assert rotated not in everything_recorded()

    rail_config_set(shop=shop, actor=ops, values={"card_rail": Rail.SANDBOX}, secrets={"wechat_apiv3_key": ""})
    assert ShopRailChange.objects.count() == 2  # nothing changed: nothing recorded


def test_the_change_and_its_record_are_one_transaction(demo, rail_keys, merchant, monkeypatch):
    ops = User.objects.get(username="ops1")
    shop = Shop.objects.get(key="dy")

    def broken(*args, **kwargs):
        raise RuntimeError("the record could not be written")

    monkeypatch.setattr(ShopRailChange.objects, "create", broken)
    with pytest.raises(RuntimeError):
        rail_config_set(shop=shop, actor=ops, values=wechat_values(), secrets=wechat_secrets(merchant))
    assert not ShopRail.objects.filter(shop=shop).exists()


def test_only_platform_staff_and_only_a_complete_rail(demo, rail_keys, merchant):
    shop = Shop.objects.get(key="dy")
    with pytest.raises(ApplicationError) as refused:
        rail_config_set(shop=shop, actor=User.objects.get(username="dy_admin"), values=wechat_values(),
                        secrets=wechat_secrets(merchant))
    assert refused.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as incomplete:
        rail_config_set(shop=shop, actor=User.objects.get(username="ops1"), values=wechat_values())
    assert incomplete.value.code == "rail_config_incomplete" and "wechat_apiv3_key" in incomplete.value.message
    assert not ShopRail.objects.exists() and not ShopRailChange.objects.exists()


def test_admin_saves_through_the_service_and_the_history_shows_the_change(rails, client, merchant):
    ops = User.objects.get(username="ops1")
    client.force_login(ops)
    config = ShopRail.objects.get(shop__key="pdd")
    url = reverse("admin:rails_shoprail_change", args=[config.pk])
    form = {"enabled": "on", "rail": "wechat", "card_rail": "alipay",
            "notify_base_url": "https://backoffice.example.com", "wechat_base_url": config.wechat_base_url,
            "wechat_mch_id": "1900000999", "wechat_appid": config.wechat_appid,
            "wechat_cert_serial": config.wechat_cert_serial, "wechat_public_key_id": config.wechat_public_key_id,
            "wechat_transfer_scene_id": "1000", "alipay_base_url": config.alipay_base_url,
            "alipay_app_id": config.alipay_app_id, "wechat_apiv3_key": APIV3}
    answer = client.post(url, form)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    change = ShopRailChange.objects.get(config=config)
    assert change.actor == ops
    assert {"field": "wechat_mch_id", "from": merchant.mch_id, "to": "1900000999"} in change.changes
    assert change.secrets == [{"field": "wechat_apiv3_key", "fingerprint": fingerprint(APIV3)}]
    history = client.get(reverse("admin:rails_shoprail_history", args=[config.pk]), HTTP_ACCEPT_LANGUAGE="zh-CN")
    page = history.content.decode()
    assert history.status_code == 200 and 'data-testid="rail-changes"' in page
    assert "ops1" in page and "1900000999" in page and fingerprint(APIV3) in page
    assert APIV3 not in page and "微信支付" in page
