"""GET /api/v1/orders/{order_no}/context/ for an order with 5 payouts, 3 tickets and 2 interceptions.

    .venv/bin/python bench/chat_context.py [--requests 200]

Drops and recreates its own database `backoffice_bench_chat` (BENCH_PG_URL overrides the server), migrates
it, loads the demo scenario, gives DY1027 its history through the services (tests/chattools/history.py),
then times the endpoint in-process through Django's whole handler (middleware, token auth, DRF,
serialisation; no network) and prints one line: the median, p95, the queries per request and the target.
Not part of the test suite; figures drift with the machine.
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB = "backoffice_bench_chat"
SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
TARGET_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": f"{SERVER}/{DB}",
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "locmemcache://"),
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "memory://"),
    })
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    from orders.scenario import load_scenario
    from tests.chattools.history import build_history

    setup_test_environment()  # the test client's host ("testserver") is allowed
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    # One persistent connection, as a production worker keeps one (CONN_MAX_AGE): no connect per request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    call_command("migrate", verbosity=0)
    load_scenario(json.loads((ROOT / "demo" / "scenario.json").read_text(encoding="utf-8")))
    build_history("DY1027", payouts=5, tickets=3, interceptions=2)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token tok-dy_admin")
    url = "/api/v1/orders/DY1027/context/"
    for _ in range(10):  # warm up: imports, connection, caches
        assert client.get(url).status_code == 200
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *a: statements.append(sql) or execute(sql, *a)):
        body = client.get(url).json()
    if os.environ.get("BENCH_SHOW_SQL"):
        print("\n".join(q[:160] for q in statements))
    assert (len(body["payouts"]), len(body["tickets"]), len(body["interceptions"])) == (5, 3, 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def pg_cpu_ms() -> float:
        """The PostgreSQL backend's CPU so far (/proc, same machine); 0 where it cannot be read."""
        try:
            fields = pathlib.Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    pg_before = pg_cpu_ms()
    times, cpu = [], []
    for _ in range(args.requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
    pg_per_request = (pg_cpu_ms() - pg_before) / args.requests
    times.sort()
    median, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    verdict = "ok" if median < TARGET_MS else "OVER TARGET"
    load = os.getloadavg()[0]
    print(f"chat context (5 payouts, 3 tickets, 2 interceptions): median {median:.1f} ms, p95 {p95:.1f} ms "
          f"(CPU per request: Django {statistics.median(cpu):.1f} ms + PostgreSQL {pg_per_request:.1f} ms), "
          f"{len(statements)} queries, "
          f"{args.requests} requests, load {load:.1f} on {os.cpu_count()} CPUs, target < {TARGET_MS:.0f} ms: {verdict}")
    connection.close()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
