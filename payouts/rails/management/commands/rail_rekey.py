from django.core.management.base import BaseCommand

from payouts.rails.crypto import reseal
from payouts.rails.models import ShopRail


class Command(BaseCommand):
    help = ("Re-seal every shop's rail credentials with the first key of PAYMENT_RAIL_KEYS (key rotation: put the "
            "new key first, run this, then drop the old key).")

    def handle(self, *args, **options):
        count = 0
        for config in ShopRail.objects.exclude(sealed=""):
            config.sealed = reseal(config.sealed)
            config.save(update_fields=["sealed"])
            count += 1
        self.stdout.write(f"re-sealed {count} rail configuration(s)")
