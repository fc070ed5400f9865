import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from orders.scenario import ScenarioError, load_scenario


class Command(BaseCommand):
    help = "Create or update (by key) shops, people, orders and outlets from a scenario JSON file (API.md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--now", help="the moment relative times (\"-10d\", \"-2h\") count from, ISO 8601 with "
                                          "an offset (default: now)")

    def handle(self, *args, **options) -> None:
        try:
            with open(options["file"], encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{options['file']}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
        now = None
        if options.get("now"):
            now = parse_datetime(options["now"])
            if now is None or now.tzinfo is None:
                raise CommandError("--now: an ISO 8601 time with an offset, e.g. 2026-11-24T10:00:00+08:00")
        try:
            counts = load_scenario(data, now=now)
        except ScenarioError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(f"scenario not loaded: {len(exc.errors)} error(s); nothing was written") from None
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing changed"
        self.stdout.write(f"scenario loaded: {summary}")
