"""Rail configuration (issue 15): credentials sealed at rest with Fernet keys from the environment, never
shown back, rotatable (credentials and keys); the startup check names what a configured rail lacks; the
sandbox stays the default."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Shop, User
from payouts.provider import SandboxProvider, provider_for
from payouts.rails.checks import payment_rails_check
from payouts.rails.models import ShopRail
from payouts.rails.router import ShopRailProvider

pytestmark = pytest.mark.django_db


def test_the_sandbox_stays_the_default(demo):
    shop = Shop.objects.get(key="dy")
    assert isinstance(provider_for(shop.pk), SandboxProvider)
    assert payment_rails_check() == []


def test_credentials_are_sealed_at_rest_and_the_shop_uses_its_rail(rails, merchant):
    config = ShopRail.objects.get(shop__key="dy")
    assert merchant.apiv3_key not in config.sealed and "PRIVATE KEY" not in config.sealed
    assert config.credentials()["wechat_apiv3_key"] == merchant.apiv3_key
    assert set(config.secrets_info) == {"wechat_private_key", "wechat_platform_public_key", "wechat_apiv3_key",
                                        "alipay_app_private_key", "alipay_public_key"}
    assert isinstance(provider_for(config.shop_id), ShopRailProvider)
    assert payment_rails_check() == []


def test_fernet_key_rotation_reseals_with_the_new_key(rails, settings, merchant):
    old = settings.PAYMENT_RAIL_KEYS[0]
    settings.PAYMENT_RAIL_KEYS = [Fernet.generate_key().decode(), old]
    call_command("rail_rekey")
    settings.PAYMENT_RAIL_KEYS = settings.PAYMENT_RAIL_KEYS[:1]  # the old key dropped
    assert ShopRail.objects.get(shop__key="dy").credentials()["wechat_apiv3_key"] == merchant.apiv3_key
    assert payment_rails_check() == []


def test_startup_check_names_missing_keys_and_settings(rails, settings):
    settings.PAYMENT_RAIL_KEYS = [Fernet.generate_key().decode()]  # not the key they were sealed with
    assert {e.id for e in payment_rails_check()} == {"payouts.E103"}
    settings.PAYMENT_RAIL_KEYS = []
    assert {e.id for e in payment_rails_check()} == {"payouts.E101"}


def test_startup_check_names_what_an_incomplete_rail_lacks(demo, rail_keys):
    ShopRail.objects.create(shop=Shop.objects.get(key="dy"), rail="wechat", wechat_mch_id="1900000109")
    errors = payment_rails_check()
    assert [e.id for e in errors] == ["payouts.E102"]
    assert "wechat_apiv3_key" in errors[0].msg and "notify_base_url" in errors[0].msg


def test_admin_never_shows_a_secret_back_and_a_new_value_rotates_it(rails, client, merchant):
    client.force_login(User.objects.get(username="ops1"))
    config = ShopRail.objects.get(shop__key="pdd")
    url = reverse("admin:rails_shoprail_change", args=[config.pk])
    page = client.get(url).content.decode()
    assert merchant.apiv3_key not in page and "PRIVATE KEY" not in page and "BEGIN PUBLIC KEY" not in page
    assert config.secrets_info["wechat_apiv3_key"]["fingerprint"] in page
    form = {"shop": config.shop_id, "enabled": "on", "rail": "wechat", "card_rail": "alipay",
            "notify_base_url": "https://backoffice.example.com", "wechat_base_url": config.wechat_base_url,
            "wechat_mch_id": config.wechat_mch_id, "wechat_appid": config.wechat_appid,
            "wechat_cert_serial": config.wechat_cert_serial, "wechat_public_key_id": config.wechat_public_key_id,
            "wechat_transfer_scene_id": "1000", "alipay_base_url": config.alipay_base_url,
            "alipay_app_id": config.alipay_app_id}
    assert client.post(url, {**form, "wechat_apiv3_key": "short"}).status_code == 200  # refused: 32 characters
    new_key = "N" * 32
    answer = client.post(url, {**form, "wechat_apiv3_key": new_key})
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    config.refresh_from_db()
    creds = config.credentials()
    assert creds["wechat_apiv3_key"] == new_key  # rotated
    assert creds["wechat_private_key"] == merchant.private_pem.strip()  # empty fields kept the stored values


def test_shop_people_cannot_open_the_rail_page(rails, client):
    client.force_login(User.objects.get(username="dy_admin"))
    assert client.get(reverse("admin:rails_shoprail_changelist")).status_code == 403
