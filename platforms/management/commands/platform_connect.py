"""manage.py platform_connect SHOP_KEY --code CODE (API.md "Platform connections", CON-01)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Shop
from core.errors import ApplicationError
from platforms.services import connection_connect


class Command(BaseCommand):
    help = "Exchange a platform authorization code for tokens and store the shop's connection."

    def add_arguments(self, parser):
        parser.add_argument("shop")
        parser.add_argument("--code", required=True)

    def handle(self, *args, shop, code, **options):
        found = Shop.objects.select_related("profile").filter(key=shop).first()
        if found is None:
            raise CommandError(f"no shop {shop!r}")
        try:
            conn = connection_connect(shop=found, code=code)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{found.key}: connected to {conn.platform} (platform shop {conn.platform_shop_id or '—'}), "
                          f"access token valid until {timezone.localtime(conn.access_expires_at):%Y-%m-%d %H:%M %Z}")
