"""How fast a shop's orders come in from its platform (CON-03): one Douyin shop with 100,000 orders synced from the
local fake 抖店 gateway (tests/platforms/fake_platforms.py, in a process of its own, orders made on the fly).

Each size runs in a fresh process against its own PostgreSQL database (`backoffice_bench_platforms`): connect
with an authorization code, then one `connection_sync` over the orders' update-time span. Prints orders/s with
the time spent waiting on the fake taken out (its own time is not ours), SQL statements per order, the calls
made and the peak memory (max RSS) of the syncing process. The orders arrive at the same rate per hour in both
runs, so a sync whose memory is bounded by one window has the same peak at 10,000 and 100,000 orders.

    .venv/bin/python bench/platform_sync.py [--orders 100000] [--small 10000] [--port 8125]

Exits non-zero below 1,000 orders/s (by the clock; on a machine whose load average exceeds its CPUs, by the CPU
time the sync and its database backend used, both printed) or when the peak memory of the big run exceeds the
small run's by more than 25 % + 16 MB (memory not flat in the number of orders). Not part of the test suite.
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STEP = 1.728  # seconds between two orders' update times: 50,000 orders a day, ~2,080 a one-hour window
MIN_RATE = 1000


def setup_django(port: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL",
                                                "postgres://postgres@127.0.0.1:5432/backoffice_bench_platforms")
    os.environ.setdefault("TEST_NAMESPACE", "bench-platforms")
    from cryptography.fernet import Fernet

    base = f"http://127.0.0.1:{port}"
    os.environ.update(DOUYIN_APP_KEY="7152331588175513613", DOUYIN_APP_SECRET="fake-douyin-app-secret-0123456789",
                      DOUYIN_OPEN_URL=f"{base}/douyin", DOUYIN_AUTHORIZE_URL=f"{base}/douyin/authorize",
                      PAYMENT_RAIL_KEYS=Fernet.generate_key().decode())
    import django

    django.setup()


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def backend_cpu(pid: int) -> float | None:
    """CPU seconds the database backend serving us has used (it runs on this machine: /proc)."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one(count: int, port: int, platform_shop: str, start: int) -> dict:
    """Sync `count` generated orders into a fresh database; runs in a process of its own."""
    setup_django(port)
    ensure_database()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from accounts.models import PlatformProfile, Shop
    from accounts.services import profiles_ensure_defaults
    from core.clock import SHANGHAI
    from orders.models import Order
    from platforms.adapters import STATS
    from platforms.services import connection_connect, connection_sync

    profiles_ensure_defaults()
    shop = Shop.objects.create(key=f"bench{count}", name="压测小店", profile=PlatformProfile.objects.get(code="douyin"))
    redirect = "http://bench.invalid/cb"
    query = urllib.parse.urlencode({"app_key": os.environ["DOUYIN_APP_KEY"], "state": "s", "redirect_uri": redirect,
                                    "shop": platform_shop})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(f"http://127.0.0.1:{port}/douyin/authorize?{query}", timeout=5)
        raise SystemExit("the fake did not redirect")
    except urllib.error.HTTPError as exc:
        code = urllib.parse.parse_qs(urllib.parse.urlparse(exc.headers["Location"]).query)["code"][0]
    conn = connection_connect(shop=shop, code=code)

    statements = [0]

    def count_statements(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    import datetime as dt

    since = dt.datetime.fromtimestamp(start, SHANGHAI)
    until = dt.datetime.fromtimestamp(start + count * STEP + 1, SHANGHAI)
    STATS.calls, STATS.seconds = 0, 0.0
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    db_cpu_before, cpu_before = backend_cpu(backend), time.process_time()
    with connection.execute_wrapper(count_statements):
        started = time.perf_counter()
        result = connection_sync(connection_id=conn.pk, since=since, until=until)
        elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    db_cpu = backend_cpu(backend) - db_cpu_before if db_cpu_before is not None else 0.0
    stored = Order.objects.filter(shop=shop).count()
    ours = elapsed - STATS.seconds
    return {"cpu": round(cpu, 2), "db_cpu": round(db_cpu, 2), "orders_per_cpu_s": round(stored / (cpu + db_cpu), 1),
            "load": round(os.getloadavg()[0], 1),
            "orders": count, "stored": stored, "created": result.created, "windows": result.windows,
            "seconds": round(elapsed, 2), "waiting_on_fake": round(STATS.seconds, 2), "ours": round(ours, 2),
            "orders_per_s": round(stored / ours, 1), "statements": statements[0],
            "statements_per_order": round(statements[0] / max(stored, 1), 4), "calls": STATS.calls,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_FAKE_PORT", 8125)))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--shop", default="1001", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.port, args.shop, args.start)))
        return 0
    start = int(time.time()) - int(args.orders * STEP) - 7200
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "platforms" / "fake_platforms.py"), "--port", str(args.port),
         "--generate", f"1001:{args.small}:{start}:{STEP}", "--generate", f"1002:{args.orders}:{start}:{STEP}"],
        stdout=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        runs = []
        for count, shop in ((args.small, "1001"), (args.orders, "1002")):
            out = subprocess.run([sys.executable, __file__, "--one", str(count), "--shop", shop, "--start", str(start),
                                  "--port", str(args.port)], check=True, capture_output=True, text=True)
            run = json.loads(out.stdout.strip().splitlines()[-1])
            runs.append(run)
            print(f"{count:>7} orders: {run['orders_per_s']:>8} orders/s by the clock (fake's time excluded: "
                  f"{run['seconds']} s in all, {run['waiting_on_fake']} s waiting on the fake; load average "
                  f"{run['load']} on {os.cpu_count()} CPUs), {run['orders_per_cpu_s']} orders/s by CPU time used "
                  f"(ours {run['cpu']} s + the database backend's {run['db_cpu']} s), {run['statements_per_order']} "
                  f"statements per order, {run['calls']} calls, {run['windows']} windows, peak RSS "
                  f"{run['peak_rss_mb']} MB")
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    small, big = runs
    failures = []
    if big["stored"] != args.orders:
        failures.append(f"stored {big['stored']} of {args.orders} orders")
    # The rate is judged by the clock on a quiet machine; on a machine busier than its CPUs (other processes take
    # the cores) by the CPU time the sync and its database backend used — the clock then measures the queue.
    busy = big["load"] > (os.cpu_count() or 1)
    rate = big["orders_per_cpu_s"] if busy else big["orders_per_s"]
    if rate < MIN_RATE:
        failures.append(f"{rate} orders/s ({'by CPU time, the machine busy' if busy else 'by the clock'}) "
                        f"is below {MIN_RATE}")
    if big["peak_rss_mb"] > small["peak_rss_mb"] * 1.25 + 16:
        failures.append(f"memory not flat: {big['peak_rss_mb']} MB at {args.orders} orders against "
                        f"{small['peak_rss_mb']} MB at {args.small}")
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print(f"OK: ≥ {MIN_RATE} orders/s and memory flat in the number of orders")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
