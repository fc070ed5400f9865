"""Lists at 1,000,000 payouts: admin changelists and REST pages, warm medians (issue 14, item 3).

    .venv/bin/python bench/lists.py            # about 5–10 minutes on a 2-core machine; --payouts to scale

1. drops and recreates its own database `backoffice_bench_lists` (migrated), seeds with set-based SQL: one
   large shop ("big": 40 % of the payouts) and 49 others, one order per two payouts, each payout with its
   `payout_hold` ledger entry and its `created` event, each shop's balance the opening balance minus what
   it holds (`ledger_drifts()` is checked and printed), a main account, a sub-account with a quota, and a
   platform staff user;
2. times in-process (Django's handler, DEBUG off, the cache of this run's Redis db), warm, the median of
   `--repeat` (10) runs: the payouts admin changelist for the big shop's main account, its sub-account and
   platform staff — first page, `status=failed`, a search by order number, page 500 — the orders
   changelist (big shop, staff: first page, a status filter), and the REST lists: first page, a deep page
   by cursor (25,000 rows in) and, for comparison, `?page=500`;
3. prints each figure against its target (first pages and filters ≤ 100 ms, REST pages ≤ 50 ms), the
   statements of the slowest page with EXPLAIN ANALYZE of its slowest statement, then drops the database
   (`--keep` keeps it).
Not part of the test suite.
"""

import argparse
import os
import pathlib
import statistics
import sys
import time
import uuid
from urllib.parse import urlsplit

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = "backoffice_bench_lists"
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "rediscache://127.0.0.1:6379/14")
OPENING = 100_000_000
SHOPS = 50
_pg = urlsplit(PG_URL)
PG = {"host": _pg.hostname or "127.0.0.1", "port": _pg.port or 5432, "user": _pg.username or "postgres",
      "password": _pg.password}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {msg}", flush=True)


def recreate(name: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(host=PG["host"], port=PG["port"], user=PG["user"], password=PG["password"],
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(payouts: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from accounts.models import PlatformProfile

    started = time.perf_counter()
    profile = PlatformProfile.objects.get(code="douyin")
    orders = payouts // 2
    big_orders = orders * 2 // 5
    pw = make_password("bench1234")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO orders_category (code, name, reship_enabled) VALUES ('blist', '列表压测', false) "
                    "RETURNING id")
        category = cur.fetchone()[0]
        cur.execute("""INSERT INTO accounts_shop (key, name, status, qualification, aggregated_account, withdrawal_frozen,
                           unpaid_bill, zero_fee_entry, deposit_paid, e_waybill, created_at, profile_id,
                           chat_auto_reply)
                       SELECT CASE WHEN g = 0 THEN 'big' ELSE 'shop' || g END, '列表店铺' || g, 'normal', 'enterprise',
                              true, false, false, false, true, true, now(), %s, '' FROM generate_series(0, %s) g""",
                    [profile.pk, SHOPS - 1])
        cols = ("password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, "
                "date_joined, role, sandbox_wallet, shop_id")
        cur.execute(f"""INSERT INTO accounts_user ({cols})
                        SELECT %s, NULL, false, u.name, '', '', '', u.staff, true, now(), u.role, '', u.shop
                        FROM (VALUES ('big_main', true, 'main', (SELECT id FROM accounts_shop WHERE key = 'big')),
                                     ('big_sub', true, 'sub', (SELECT id FROM accounts_shop WHERE key = 'big')),
                                     ('list_ops', true, 'platform', NULL::bigint),
                                     ('list_buyer', false, 'buyer', NULL::bigint)) u(name, staff, role, shop)""",
                    [pw])
        cur.execute("""INSERT INTO accounts_payoutquota (shop_id, user_id, per_payout, daily, enabled, updated_at)
                       SELECT shop_id, id, 500, 5000, true, now() FROM accounts_user WHERE username = 'big_sub'""")
        cur.execute("SELECT id FROM accounts_user WHERE username = 'list_buyer'")
        buyer = cur.fetchone()[0]
        cur.execute("SELECT id FROM accounts_user WHERE username = 'big_main'")
        applicant = cur.fetchone()[0]
        cur.execute("SELECT array_agg(id ORDER BY id) FROM accounts_shop WHERE key <> 'big'")
        others = cur.fetchone()[0]
        cur.execute("SELECT id FROM accounts_shop WHERE key = 'big'")
        big = cur.fetchone()[0]
        # Orders: the big shop's first, then the others round-robin; created over the last 300 days.
        cur.execute("""INSERT INTO orders_order (order_no, shop_id, buyer_id, category_id, source_app, payment, status,
                           deposit_presale, goods_kind, local_life, cross_border, created_at, paid_at, paid_amount,
                           refund_state)
                       SELECT 'L' || lpad(g::text, 8, '0'),
                              CASE WHEN g < %(big_orders)s THEN %(big)s
                                   ELSE (%(others)s::bigint[])[1 + g %% %(n_others)s] END,
                              %(buyer)s, %(category)s, 'douyin', 'online',
                              (ARRAY['shipped', 'completed', 'stocking'])[1 + g %% 3], false, 'physical', false, false,
                              now() - (g %% 300) * interval '1 day' - (g %% 86400) * interval '1 second',
                              now() - (g %% 300) * interval '1 day' - (g %% 86400) * interval '1 second', 1000.00, 'none'
                       FROM generate_series(0, %(last)s) g""",
                    {"big_orders": big_orders, "big": big, "others": others, "n_others": len(others), "buyer": buyer,
                     "category": category, "last": orders - 1})
        log(f"{orders} orders")
        # Two payouts per order; the second one a day later; product IDs on one payout in ten.
        cur.execute("""INSERT INTO payouts_payout (shop_id, order_id, type, amount, status, failure_reason, reason,
                           buyer_message, product_id, pay_method, scan_channel, applicant_id, approved_by_id,
                           quota_user_id, counted, day, held, attempt, created_at, submitted_at, auto_submit_at,
                           top_up_deadline, succeeded_at, failed_at, close_at, closed_at, return_due_at, returned_at,
                           flagged)
                       SELECT o.shop_id, o.id, 'shipping_fee', 1 + (o.id + k) %% 9, s.status, '', '运费补偿', '补偿',
                              CASE WHEN (o.id + k) %% 10 = 0 THEN 'P' || (o.id %% 5000) ELSE '' END,
                              'balance', '', %(applicant)s, NULL, NULL, s.status <> 'failed',
                              (o.created_at + k * interval '1 day')::date, 1 + (o.id + k) %% 9, 1,
                              o.created_at + k * interval '1 day', NULL, o.created_at + k * interval '1 day', NULL,
                              NULL, NULL, o.created_at + (k + 7) * interval '1 day', NULL, NULL, NULL, false
                       FROM orders_order o CROSS JOIN generate_series(0, 1) k
                       CROSS JOIN LATERAL (SELECT (ARRAY['succeeded', 'succeeded', 'succeeded', 'succeeded',
                           'succeeded', 'succeeded', 'processing', 'pending', 'closed', 'failed'])
                           [1 + ((o.id * 7 + k) %% 10)] AS status) s
                       WHERE o.order_no LIKE 'L%%'""", {"applicant": applicant})
        log("payouts")
        cur.execute("""INSERT INTO payouts_payoutevent (type, actor_id, at, params, payout_id)
                       SELECT 'created', applicant_id, created_at,
                              jsonb_build_object('amount', amount::text, 'pay_method', 'balance'), id
                       FROM payouts_payout""")
        # The ledger: an opening balance per shop, one hold per payout, the balance what is left.
        cur.execute("""INSERT INTO accounts_shopaccount (balance, frozen, deposit, updated_at, shop_id)
                       SELECT %s - coalesce((SELECT sum(held) FROM payouts_payout p WHERE p.shop_id = s.id), 0),
                              0, 0, now(), s.id
                       FROM accounts_shop s WHERE s.key = 'big' OR s.key LIKE 'shop%%'""", [OPENING])
        cur.execute("""INSERT INTO accounts_ledgerentry (kind, balance_delta, frozen_delta, deposit_delta, balance_after,
                           frozen_after, deposit_after, ref_type, ref_id, memo, created_at, actor_id, shop_id)
                       SELECT 'sync', %s, 0, 0, %s, 0, 0, '', '', 'opening', now() - interval '400 days', NULL, id
                       FROM accounts_shop WHERE key = 'big' OR key LIKE 'shop%%'""", [OPENING, OPENING])
        cur.execute("""INSERT INTO accounts_ledgerentry (kind, balance_delta, frozen_delta, deposit_delta, balance_after,
                           frozen_after, deposit_after, ref_type, ref_id, memo, created_at, actor_id, shop_id)
                       SELECT 'payout_hold', -held, 0, 0,
                              %s - sum(held) OVER (PARTITION BY shop_id ORDER BY created_at, id), 0, 0,
                              'payout', id::text, '', created_at, applicant_id, shop_id
                       FROM payouts_payout""", [OPENING])
        log("events and ledger")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    log(f"seeded {payouts:,} payouts in {time.perf_counter() - started:.0f} s")


def timed(client, url: str, repeat: int) -> tuple[float, int]:
    response = client.get(url)  # warm
    status = response.status_code
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        status = response.status_code
    return statistics.median(samples), status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payouts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse, if seeded) the database")
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=f"{PG_URL}/{DB_NAME}", CACHE_URL=CACHE_URL,
        API_FAILED_AUTH_RATE="none",
    )
    import django

    reuse = False
    if args.keep:
        import psycopg

        with psycopg.connect(host=PG["host"], port=PG["port"], user=PG["user"], password=PG["password"],
                             dbname="postgres", autocommit=True) as conn:
            reuse = bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone())
    if not reuse:
        log(f"database {DB_NAME}: drop, create, migrate …")
        recreate(DB_NAME)
    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    if not reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        seed(args.payouts)
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate(DB_NAME, drop_only=True)
            log(f"database {DB_NAME} dropped")


def run(args) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.models import ApiToken, User
    from accounts.selectors import ledger_drifts
    from accounts.tokens import token_digest
    from core import pagination
    from core.clock import now
    from payouts.models import Payout

    drifts = ledger_drifts()
    log(f"ledger_drifts(): {len(drifts)} {'(consistent)' if not drifts else drifts[:3]}")
    users = {name: User.objects.get(username=name) for name in ("big_main", "big_sub", "list_ops")}
    big = users["big_main"].shop_id
    order_no = Payout.objects.filter(shop_id=big).select_related("order").order_by("-created_at")[7000].order.order_no
    results = []
    admin_url = "/admin/payouts/payout/"
    orders_url = "/admin/orders/order/"
    for who in ("big_main", "big_sub", "list_ops"):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(users[who])
        pages = [("first page", admin_url), ("status=failed", f"{admin_url}?status__exact=failed"),
                 ("search order no.", f"{admin_url}?q={order_no}"), ("page 500", f"{admin_url}?p=500")]
        if who != "big_sub":
            pages += [("orders first page", orders_url), ("orders status=completed", f"{orders_url}?status__exact=completed")]
        for label, url in pages:
            ms, status = timed(client, url, args.repeat)
            target = 100 if label != "page 500" else None
            results.append((f"admin {who}", label, url, ms, status, target, client))
    # REST: the big shop's main account and platform staff do not share one API (staff read tickets, not
    # payouts); the payouts list is the shop's.
    key = f"bench-lists-{uuid.uuid4().hex}"
    ApiToken.objects.create(user=users["big_main"], name="bench", digest=token_digest(key), prefix=key[:8],
                            created_at=now())
    api = APIClient(HTTP_HOST="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    deep = Payout.objects.filter(shop_id=big).order_by("-created_at", "-id").values("created_at", "id")[25_000]
    cursor = pagination._encode([">", deep["created_at"], deep["id"]])
    for label, url in [("first page", "/api/v1/payouts/"), ("status=failed", "/api/v1/payouts/?status=failed"),
                       ("cursor 25,000 rows in", f"/api/v1/payouts/?cursor={cursor}"),
                       ("order_no filter", f"/api/v1/payouts/?order_no={order_no}"),
                       ("?page=500 (OFFSET, for comparison)", "/api/v1/payouts/?page=500"),
                       ("orders first page", "/api/v1/orders/")]:
        ms, status = timed(api, url, args.repeat)
        results.append(("REST big_main", label, url, ms, status, None if "OFFSET" in label else 50, api))

    print(f"\n{'list':16} {'page':36} {'median ms':>9}  status  target")
    missed = 0
    for who, label, _url, ms, status, target, _client in results:
        ok = target is None or ms <= target
        missed += not ok
        verdict = f"≤ {target} ms {'OK' if ok else 'MISSED'}" if target else "-"
        print(f"{who:16} {label:36} {ms:9.1f}  {status:6}  {verdict}")
    slowest = max((r for r in results if r[5] is not None), key=lambda r: r[3])
    who, label, url, ms, _status, _target, client = slowest
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    print(f"\nslowest within a target: {who} {label} ({ms:.1f} ms), {len(queries)} statements:")
    timed_sql = []
    for q in queries:
        print(f"  {q['time']}s  {q['sql'][:160]}")
        timed_sql.append((float(q["time"]), q["sql"]))
    worst = max((t for t in timed_sql if t[1].lstrip().upper().startswith("SELECT")), key=lambda t: t[0],
                default=None)
    if worst:
        with connection.cursor() as cur:
            cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {worst[1]}")
            print("\nEXPLAIN ANALYZE of its slowest statement:\n" + "\n".join("  " + r[0] for r in cur.fetchall()))
    print(f"\n{len(results) - missed} of {len(results)} figures within their target; load average "
          f"{pathlib.Path('/proc/loadavg').read_text().split()[0]}")
    return 1 if missed or drifts else 0


if __name__ == "__main__":
    sys.exit(main())
