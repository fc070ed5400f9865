"""manage.py platform_sync SHOP_KEY [--since ISO-8601] [--until ISO-8601] (API.md, CON-03)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from core.errors import ApplicationError
from platforms.adapters import PlatformError
from platforms.models import PlatformConnection
from platforms.services import connection_sync


def _time(value: str | None, name: str):
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise CommandError(f"--{name}: not an ISO 8601 time with an offset: {value!r}")
    return parsed


class Command(BaseCommand):
    help = "Sync one connected shop's orders now, as the 5-minute clock does."

    def add_arguments(self, parser):
        parser.add_argument("shop")
        parser.add_argument("--since")
        parser.add_argument("--until")

    def handle(self, *args, shop, since, until, **options):
        since, until = _time(since, "since"), _time(until, "until")
        if since and until and since >= until:
            raise CommandError("--since must be before --until")
        conn = PlatformConnection.objects.filter(shop__key=shop).first()
        if conn is None or conn.status != PlatformConnection.State.CONNECTED:
            state = "not connected" if conn is None else conn.get_status_display()
            raise CommandError(f"{shop}: the shop is not connected to its platform ({state}); connect it first")
        try:
            result = connection_sync(connection_id=conn.pk, since=since, until=until)
        except PlatformError as exc:
            raise CommandError(f"{shop}: the platform answered {exc.code}: {exc.message}") from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if result.busy:
            raise CommandError(f"{shop}: another sync of this shop is running")
        self.stdout.write(f"{shop}: {result}")
