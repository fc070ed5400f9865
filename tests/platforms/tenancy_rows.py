"""Rows of the platforms' models in both demo shops, for the tenancy tests (tests/core/test_tenancy.py)."""

from django.utils import timezone

from accounts.models import Shop
from platforms.models import ConnectionEvent, PlatformConnection


def add_rows(demo) -> None:
    for key in ("dy", "pdd"):
        shop = Shop.objects.select_related("profile").get(key=key)
        conn = PlatformConnection.objects.create(shop=shop, platform=shop.profile.platform, status="needs_reauth",
                                                 last_error_code="30007", last_error_message="refresh_token无效")
        ConnectionEvent.objects.create(connection=conn, type="connected", at=timezone.now())
