"""How the admin's order pages hold up on a large shop.

Creates (or reuses) a PostgreSQL database `backoffice_bench`, loads the demo, bulk-inserts ORDERS orders
(half of them in the demo Douyin shop, the rest over 50 other shops) with one item each, then times the
pages a shop manager and platform staff open most, in-process through Django's test client:
median and p95 of REPEAT runs, and the number of SQL queries per page.

    .venv/bin/python bench/admin_orders.py [--orders 300000] [--repeat 9]

Not part of the test suite. Figures drift with the machine (±40 %, PERFORMANCE.md): compare runs made
in the same hour.
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/backoffice_bench")


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                         autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def populate(total: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Shop
    from orders.models import Order

    call_command("migrate", verbosity=0)
    call_command("load_scenario", str(ROOT / "demo" / "scenario.json"), verbosity=0)
    existing = Order.objects.filter(order_no__startswith="BENCH").count()
    started = time.perf_counter()
    profile_id = Shop.objects.get(key="dy").profile_id
    with connection.cursor() as cur:
        for n in range(50):
            cur.execute(
                "INSERT INTO accounts_shop (key, name, profile_id, status, qualification, aggregated_account,"
                " withdrawal_frozen, unpaid_bill, zero_fee_entry, deposit_paid, e_waybill, created_at, chat_auto_reply)"
                " VALUES (%s, %s, %s, 'normal', 'enterprise', true, false, false, false, true, true, now(), '')"
                " ON CONFLICT (key) DO NOTHING",
                [f"bench{n}", f"压测店铺{n}", profile_id],
            )
        cur.execute(
            """
            WITH shops AS (
                SELECT array_agg(id ORDER BY id) AS ids FROM accounts_shop WHERE key LIKE 'bench%%'
            )
            INSERT INTO orders_order (order_no, shop_id, buyer_id, source_app, payment, status, deposit_presale,
                goods_kind, category_id, local_life, cross_border, created_at, paid_amount, refund_state)
            SELECT 'BENCH' || lpad(g::text, 9, '0'),
                   CASE WHEN g %% 2 = 0 THEN (SELECT id FROM accounts_shop WHERE key = 'dy')
                        ELSE (SELECT ids[1 + g %% 50] FROM shops) END,
                   (SELECT id FROM accounts_user WHERE username = 'buyer_ok'),
                   'douyin', 'online', (ARRAY['stocking','shipped','completed','closed'])[1 + (g / 2) %% 4], false,
                   'physical', (SELECT id FROM orders_category WHERE code = 'smart_home'), false, false,
                   now() - (g || ' seconds')::interval, 100.00, 'none'
            FROM generate_series(%s, %s) AS g
            ON CONFLICT (order_no) DO NOTHING
            """,
            [existing + 1, total],
        )
        cur.execute(
            """
            INSERT INTO orders_orderitem (order_id, product_id, name, price, quantity, promo)
            SELECT o.id, 'BP' || (o.id % 1000), '压测商品', 50.00, 2, false
            FROM orders_order o
            WHERE o.order_no LIKE 'BENCH%' AND NOT EXISTS (SELECT 1 FROM orders_orderitem i WHERE i.order_id = o.id)
            """
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")  # as autovacuum would have done on a live database
    print(f"inserted {max(total - existing, 0)} orders in {time.perf_counter() - started:.1f} s")


def measure(client, url: str, repeat: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1 if len(timings) > 1 else 0], len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    import django

    django.setup()
    ensure_database()
    populate(args.orders)

    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User
    from orders.models import Order

    setup_test_environment()
    dy_orders = Order.objects.filter(shop__key="dy").count()
    print(f"orders: {Order.objects.count()} in all, {dy_orders} in the demo Douyin shop")
    sample = Order.objects.filter(shop__key="dy", order_no__startswith="BENCH").order_by("pk").only("pk", "order_no")[1000]
    rows = []
    for username, label in (("dy_admin", "main account, own shop"), ("dy_cs1", "sub-account, own shop"),
                            ("ops1", "platform staff, all shops")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        pages = [
            ("order list, page 1", "/admin/orders/order/"),
            ("order list, page 200", "/admin/orders/order/?p=200"),
            ("order list, status filter", "/admin/orders/order/?status__exact=shipped"),
            ("order search by number", f"/admin/orders/order/?q={sample.order_no}"),
            ("order detail", f"/admin/orders/order/{sample.pk}/change/"),
            ("ledger", "/admin/accounts/ledgerentry/"),
        ]
        for name, url in pages:
            if username == "dy_cs1" and name == "ledger":
                continue
            median, p95, queries = measure(client, url, args.repeat)
            rows.append((label, name, median, p95, queries))
    print(f"\n{'who':28} {'page':28} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, name, median, p95, queries in rows:
        print(f"{label:28} {name:28} {median:10.1f} {p95:8.1f} {queries:8d}")
    print()
    call_command("verify_ledger")


if __name__ == "__main__":
    main()
