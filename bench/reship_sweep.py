"""How fast the reship answer clock (RS-03) sweeps a backlog: ROWS reship tickets whose 48-hour answer deadline
has passed, approved automatically by `ticket_auto_approve_due`.

Creates (or reuses) a PostgreSQL database `backoffice_bench_reship`, loads the demo, bulk-inserts ROWS
pending reship tickets over the demo orders of both shops (INSERT … SELECT generate_series), then runs the
sweep once and prints the time, rows per second, the batches and the SQL statements per batch, and checks
that every ticket moved once with one `auto_approved` timeline row.

    .venv/bin/python bench/reship_sweep.py [--rows 1000000] [--batch 5000] [--pgbench]

With --pgbench, pgbench TPC-B (8 clients, 15 s, database `bench_pgbench_reship`) runs just before and just after
the sweep, so the figure can be read against the machine's speed of the moment (PERFORMANCE.md).

Not part of the test suite. Figures drift with the machine (±40 %, PERFORMANCE.md).
"""

import argparse
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL",
                                            "postgres://postgres@127.0.0.1:5432/backoffice_bench_reship")


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                         autocommit=True) as conn:
        # A database of its own, made anew each run: a schema left by an older checkout never gets in the way.
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def populate(rows: int) -> float:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("load_scenario", str(ROOT / "demo" / "scenario.json"), verbosity=0)
    started = time.perf_counter()
    with connection.cursor() as cur:
        # A database of its own: start every run from the same backlog.
        cur.execute("TRUNCATE aftersales_ticketevent, aftersales_reshippenalty, aftersales_shippedtrackingnumber,"
                    " notifications_notification, aftersales_ticket RESTART IDENTITY CASCADE")
        cur.execute(
            """
            WITH o AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM orders_order)
            INSERT INTO aftersales_ticket (order_id, shop_id, buyer_id, type, status, reason, via_reopened_entry,
                version, courier, tracking_no, deadline, deadline_action, created_at, updated_at)
            SELECT oo.id, oo.shop_id, oo.buyer_id, 'reship', 'pending_merchant',
                   (ARRAY['not_received','missing_items','other'])[1 + g %% 3], false, 1, '', '',
                   now() - interval '1 minute' - (g %% 86400 || ' seconds')::interval, 'auto_approve',
                   now() - interval '49 hours', now() - interval '49 hours'
            FROM generate_series(1, %s) AS g, o
            JOIN LATERAL (SELECT id, shop_id, buyer_id FROM orders_order WHERE id = o.ids[1 + g %% o.n]) oo ON true
            """,
            [rows],
        )
        cur.execute("ANALYZE aftersales_ticket")
        cur.execute("ANALYZE aftersales_ticketevent")
    return time.perf_counter() - started


def pgbench_tps() -> float:
    import re
    import subprocess

    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = ["-h", db["HOST"], "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    exists = subprocess.run(["psql", *conn, "-d", "postgres", "-tAc",
                             "SELECT 1 FROM pg_database WHERE datname = 'bench_pgbench_reship'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["createdb", *conn, "bench_pgbench_reship"], check=True)
        subprocess.run(["pgbench", *conn, "-i", "-s", "10", "-q", "bench_pgbench_reship"], check=True,
                       capture_output=True)
    out = subprocess.run(["pgbench", *conn, "-c", "8", "-j", "2", "-T", "15", "bench_pgbench_reship"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out).group(1))


def sweep(batch: int) -> tuple[int, float, int, int]:
    from django.db import connection

    from aftersales.services import ticket_auto_approve_due

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        moved = ticket_auto_approve_due(batch=batch)
        elapsed = time.perf_counter() - started
    batches = moved // batch + 1  # the last batch is short (or empty): it ends the loop
    return moved, elapsed, batches, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--pgbench", action="store_true", help="pgbench TPC-B before and after, for the ratio")
    args = parser.parse_args()

    import django

    django.setup()
    ensure_database()
    from aftersales.models import Ticket, TicketEvent

    print(f"inserting {args.rows:,} due reship tickets …", flush=True)
    print(f"  inserted in {populate(args.rows):.1f} s", flush=True)
    before = pgbench_tps() if args.pgbench else None
    moved, elapsed, batches, statements = sweep(args.batch)
    after = pgbench_tps() if args.pgbench else None
    approved = Ticket.objects.filter(status="awaiting_shipment", deadline_action="ship_deadline", version=2).count()
    events = TicketEvent.objects.filter(type="auto_approved").count()
    left = Ticket.objects.filter(status="pending_merchant").count()
    print(f"swept {moved:,} tickets in {elapsed:.1f} s: {moved / elapsed:,.0f} rows/s")
    print(f"  {batches} batches of {args.batch}: {statements} SQL statements, {statements / batches:.2f} per batch")
    print(f"  check: {approved:,} awaiting shipment at version 2, {events:,} auto_approved events, {left} left pending")
    ok = moved == approved == events == args.rows and left == 0
    print("  invariants:", "OK" if ok else "FAILED")
    if before is not None:
        tps = (before + after) / 2
        print(f"  pgbench TPC-B (8 clients): {before:,.0f} tps before, {after:,.0f} after; "
              f"sweep rows/s ÷ TPS = {moved / elapsed / tps:.1f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
