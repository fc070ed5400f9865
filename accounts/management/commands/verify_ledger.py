from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import ledger_drifts


class Command(BaseCommand):
    help = "Check that every shop's balance, frozen amount and deposit equal the sum of its ledger entries."

    def handle(self, *args, **options) -> None:
        drifts = ledger_drifts()
        for d in drifts:
            self.stderr.write(
                f"shop {d.shop_id} {d.shop_name}: {d.column} cached {d.cached} != ledger sum {d.summed}"
            )
        if drifts:
            raise CommandError(f"ledger drift in {len({d.shop_id for d in drifts})} shop(s)")
        self.stdout.write("ledger ok")
