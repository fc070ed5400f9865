"""Small payouts under load: POST /api/v1/payouts/ served as production would, beside pgbench TPC-B.

One command, from a fresh clone with the virtualenv in .venv and PostgreSQL + Redis on 127.0.0.1:

    .venv/bin/python bench/payouts_api.py

(about 5½ minutes; `--help` for the knobs, e.g. `--rounds 1 --seconds 8 --profile 0` for a quick look,
`--keep` to reuse the seeded databases). Results: docs/bench-payouts.md. What it does:

1. drops and recreates its own databases `backoffice_bench_payouts` (migrated) and `bench_pgbench`
   (`pgbench -i -s 10`), and uses its own Redis dbs (cache 13, broker 14; BENCH_CACHE_URL /
   BENCH_BROKER_URL override, BENCH_PG_URL the server);
2. bulk-inserts with SQL (no scenario loader): 100 Douyin shops × 2,000 orders ("spread") and one hot
   shop with 24,000 orders ("hot"), one item per order, each shop's main account with a DRF token and an
   opening balance of 2,000,000.00 posted through a `sync` ledger entry. The Douyin profile keeps every
   rule at its default (5 payouts and 500.00 per order, one payout per order per 60 s) except the shop
   daily cap, raised from 15,000.00 to 1,000,000.00 so a hot-shop round is not mostly refused;
3. serves the product with gunicorn (config.settings.production, DEBUG off, 127.0.0.1, a free port,
   `--no-control-socket`; default 3 sync workers, persistent DB connections);
4. alternates `pgbench -c N -j min(N,2) -T 15` and 15 s of POST /api/v1/payouts/ at N = 1 and 8 clients
   (processes with one keep-alive http.client connection each, every request with its own
   Idempotency-Key, on an order not used in the last 70 s), over the spread shops and the hot shop,
   `--rounds` times; prints requests/s, p50/p99 latency, the ratio to pgbench TPS of the same pair, the
   201/4xx counts by code, and after every round the invariants (ledger_drifts, per-order count and sum,
   the 60 s interval, shop daily caps, balances, one hold entry + one event + one order log per payout,
   no idempotency key left in progress, replays answer the first response and create nothing), with
   the CPU each request cost gunicorn and PostgreSQL (from /proc) beside PostgreSQL's CPU per pgbench
   transaction: on a machine shared with other work these hold better than requests/s;
5. after the rounds: the cost of the hot shop's daily sum (EXPLAIN ANALYZE), then `--profile` N requests
   in-process (Django's handler without gunicorn): each statement's round trip, how long the shop account
   row stays locked, and a cProfile of the project's functions.

Exit status 1 if an invariant broke. Not part of the test suite. Figures drift with the machine (±40 %,
/work/shared/PERFORMANCE.md): read the ratios, not the absolute numbers.
"""

import argparse
import cProfile
import http.client
import io
import json
import multiprocessing
import os
import pathlib
import pstats
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = "backoffice_bench_payouts"
PGBENCH_DB = "bench_pgbench"
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "rediscache://127.0.0.1:6379/13")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")

SPREAD_SHOPS = 100
SPREAD_ORDERS_PER_SHOP = 2_000
HOT_ORDERS = 24_000
OPENING_BALANCE = "2000000.00"
SHOP_DAILY_CAP = "1000000.00"
REUSE_AFTER_S = 70  # PAY-L03 is 60 s between payouts of one order; keep a margin
PATH = "/api/v1/payouts/"

_pg = urlsplit(PG_URL)
PG = {"host": _pg.hostname or "127.0.0.1", "port": _pg.port or 5432, "user": _pg.username or "postgres",
      "password": _pg.password}


def child_env(conn_max_age: int) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=os.environ.get("BENCH_SETTINGS_MODULE", "config.settings.production"),
        DJANGO_SECRET_KEY="bench-" + uuid.uuid4().hex,
        DATABASE_URL=f"{PG_URL}/{DB_NAME}" + (f"?conn_max_age={conn_max_age}" if conn_max_age else ""),
        CACHE_URL=CACHE_URL,
        CELERY_BROKER_URL=BROKER_URL,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_COOKIES="false",
        PYTHONUNBUFFERED="1",
    )
    # Every secret production.py requires (DJANGO_SECRET_KEY, PAYOUT_CALLBACK_SECRET, …): a random one each.
    production = (ROOT / "config" / "settings" / "production.py").read_text()
    for name in re.findall(r'env\("([A-Z0-9_]+)"\)', production):
        env.setdefault(name, f"bench-{name.lower()}-{uuid.uuid4().hex}")
    if PG["password"]:
        env["PGPASSWORD"] = PG["password"]
    return env


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------- setup


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(host=PG["host"], port=PG["port"], user=PG["user"], password=PG["password"],
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pgbench_args(*args: str) -> list[str]:
    return ["pgbench", "-h", PG["host"], "-p", str(PG["port"]), "-U", PG["user"], *args]


def seed() -> None:
    """Shops, main accounts with tokens, balances through the ledger, orders and items: set-based SQL."""
    from django.db import connection, transaction

    from accounts.models import PlatformProfile

    started = time.perf_counter()
    profile = PlatformProfile.objects.get(code="douyin")
    PlatformProfile.objects.filter(pk=profile.pk).update(shop_daily_cap=SHOP_DAILY_CAP)
    spread_total = SPREAD_SHOPS * SPREAD_ORDERS_PER_SHOP
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO orders_category (code, name, reship_enabled) VALUES ('bench', '压测类目', false)"
                    " RETURNING id", [])
        category_id = cur.fetchone()[0]
        user_cols = ("password, last_login, is_superuser, username, first_name, last_name, email, is_staff, "
                     "is_active, date_joined, role, sandbox_wallet, shop_id")
        cur.execute(f"INSERT INTO accounts_user ({user_cols}) VALUES ('!', NULL, false, 'bench_buyer', '', '', '',"
                    " false, true, now(), 'buyer', 'ok', NULL) RETURNING id", [])
        buyer_id = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO accounts_shop (key, name, status, qualification, aggregated_account, withdrawal_frozen,
                   unpaid_bill, zero_fee_entry, deposit_paid, e_waybill, created_at, profile_id)
               SELECT CASE WHEN g < %s THEN 'bench' || lpad(g::text, 3, '0') ELSE 'benchhot' END,
                      CASE WHEN g < %s THEN '压测店铺' || g ELSE '压测热店' END,
                      'normal', 'enterprise', true, false, false, false, true, true, now(), %s
               FROM generate_series(0, %s) AS g""",
            [SPREAD_SHOPS, SPREAD_SHOPS, profile.pk, SPREAD_SHOPS],
        )
        cur.execute(
            f"""INSERT INTO accounts_user ({user_cols})
                SELECT '!', NULL, false, 'main_' || key, '', '', '', true, true, now(), 'main', '', id
                FROM accounts_shop WHERE key LIKE 'bench%%'""", []
        )
        cur.execute("""INSERT INTO authtoken_token (key, created, user_id)
                       SELECT md5('bench-token-' || u.username), now(), u.id
                       FROM accounts_user u JOIN accounts_shop s ON s.id = u.shop_id WHERE s.key LIKE 'bench%%'""", [])
        cur.execute("""INSERT INTO accounts_shopaccount (balance, frozen, deposit, updated_at, shop_id)
                       SELECT %s, 0, 0, now(), id FROM accounts_shop WHERE key LIKE 'bench%%'""", [OPENING_BALANCE])
        cur.execute(
            """INSERT INTO accounts_ledgerentry (kind, balance_delta, frozen_delta, deposit_delta, balance_after,
                   frozen_after, deposit_after, ref_type, ref_id, memo, created_at, actor_id, shop_id)
               SELECT 'sync', %s, 0, 0, %s, 0, 0, '', '', 'bench opening balance', now(), NULL, id
               FROM accounts_shop WHERE key LIKE 'bench%%'""",
            [OPENING_BALANCE, OPENING_BALANCE],
        )
        order_cols = ("order_no, shop_id, buyer_id, category_id, source_app, payment, status, deposit_presale, "
                      "goods_kind, local_life, cross_border, created_at, paid_at, paid_amount, refund_state")
        common = ("%s, %s, 'douyin', 'online', 'shipped', false, 'physical', false, false, "
                  "now() - interval '3 days' - (g %% 86400) * interval '1 second', "
                  "now() - interval '3 days' - (g %% 86400) * interval '1 second', 1000.00, 'none'")
        cur.execute(
            f"""WITH shops AS (SELECT array_agg(id ORDER BY key) AS ids FROM accounts_shop
                               WHERE key LIKE 'bench%%' AND key <> 'benchhot')
                INSERT INTO orders_order ({order_cols})
                SELECT 'BSP' || lpad(g::text, 7, '0'), (SELECT ids[1 + g %% {SPREAD_SHOPS}] FROM shops), {common}
                FROM generate_series(0, %s) AS g""",
            [buyer_id, category_id, spread_total - 1],
        )
        cur.execute(
            f"""INSERT INTO orders_order ({order_cols})
                SELECT 'BHOT' || lpad(g::text, 6, '0'), (SELECT id FROM accounts_shop WHERE key = 'benchhot'),
                       {common}
                FROM generate_series(0, %s) AS g""",
            [buyer_id, category_id, HOT_ORDERS - 1],
        )
        cur.execute("""INSERT INTO orders_orderitem (order_id, product_id, name, price, quantity, promo)
                       SELECT id, 'BPROD' || (id %% 500), '压测商品', 500.00, 2, false FROM orders_order
                       WHERE order_no LIKE 'B%%'""", [])
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    log(f"seeded {SPREAD_SHOPS} shops × {SPREAD_ORDERS_PER_SHOP} orders + 1 hot shop × {HOT_ORDERS} orders "
        f"in {time.perf_counter() - started:.1f} s")


def orders_load() -> dict:
    """(order number, its shop's token) per case, shuffled; orders already paid (--keep) left out."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT o.order_no, t.key, s.key = 'benchhot' FROM orders_order o
                       JOIN accounts_shop s ON s.id = o.shop_id
                       JOIN accounts_user u ON u.shop_id = s.id AND u.role = 'main'
                       JOIN authtoken_token t ON t.user_id = u.id
                       WHERE s.key LIKE 'bench%%'
                         AND NOT EXISTS (SELECT 1 FROM payouts_payout p WHERE p.order_id = o.id)
                       ORDER BY o.id""", [])
        rows = cur.fetchall()
    spread = [(no, tok) for no, tok, hot in rows if not hot]
    hot = [(no, tok) for no, tok, hot in rows if hot]
    random.Random(7).shuffle(spread)  # consecutive requests land on random shops
    random.Random(8).shuffle(hot)
    return {"spread": spread, "hot": hot}


# ---------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(args, env: dict, logdir: pathlib.Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", str(args.workers), "--worker-class", args.worker_class, "--no-control-socket",
           "--timeout", "60", "--keep-alive", "30", "--log-level", "warning"]
    if args.worker_class == "gthread":
        cmd += ["--threads", str(args.threads)]
    logfile = open(logdir / "gunicorn.log", "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {logdir / 'gunicorn.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/schema/")
            conn.getresponse().read()
            conn.close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.terminate()
        raise SystemExit("gunicorn did not answer within 30 s")
    desc = f"{args.workers} {args.worker_class} workers" + (
        f" × {args.threads} threads" if args.worker_class == "gthread" else "")
    log(f"gunicorn on 127.0.0.1:{port}: {desc}, DEBUG off, config.settings.production")
    return proc, port



def tree_cpu_by_pid(pid: int) -> dict[int, float]:
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    pids = [pid]
    try:
        pids += [int(c) for c in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = pathlib.Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p] = (int(fields[11]) + int(fields[12])) / tick
    return out


def pg_backend_cpu(db: str = DB_NAME) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the database `db`, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f" {db} ".encode() not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(proc.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def loadavg() -> float:
    return float(pathlib.Path("/proc/loadavg").read_text().split()[0])


# ---------------------------------------------------------------------------------------------- load


def body_for(order_no: str, n: int) -> bytes:
    amount = f"{1 + n % 9}.{n % 100:02d}"
    return json.dumps({"order_no": order_no, "type": "shipping_fee", "amount": amount,
                       "reason": "压测:补运费", "buyer_message": "运费补偿,谢谢支持"}, ensure_ascii=False).encode()


def client_loop(port: int, plan: list, start_at: float, deadline: float, out) -> None:
    """One client: one keep-alive connection, requests one after another until the deadline or the plan ends.
    Sends back (plan index, status, code, latency ms, completion time)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results = []
    while time.time() < start_at:
        time.sleep(0.001)
    for idx, order_no, token, key, n in plan:
        if time.time() >= deadline:
            break
        body = body_for(order_no, n)
        headers = {"Authorization": f"Token {token}", "Idempotency-Key": key, "Content-Type": "application/json",
                   "Accept": "application/json"}
        t0 = time.perf_counter()
        try:
            conn.request("POST", PATH, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            results.append((idx, 0, type(exc).__name__, (time.perf_counter() - t0) * 1000, time.time()))
            continue
        latency = (time.perf_counter() - t0) * 1000
        code = ""
        if status != 201:
            try:
                code = json.loads(data).get("code", "")
            except ValueError:
                code = data[:60].decode(errors="replace")
        results.append((idx, status, code, latency, time.time()))
    conn.close()
    out.send(results)
    out.close()


class Load:
    """Hands out orders so that no order is paid twice within REUSE_AFTER_S nor more than 5 times."""

    def __init__(self, orders: dict):
        self.orders = orders
        self.cursor = dict.fromkeys(orders, 0)
        self.last_used = {case: [0.0] * len(rows) for case, rows in orders.items()}
        self.uses = {case: [0] * len(rows) for case, rows in orders.items()}
        self.sent: dict[str, tuple] = {}  # idempotency key → (order_no, token, n), for the replay check

    def plan(self, case: str, count: int) -> list:
        rows, last, uses = self.orders[case], self.last_used[case], self.uses[case]
        now, picked, i = time.time(), [], self.cursor[case]
        for _ in range(len(rows)):
            if len(picked) == count:
                break
            if uses[i] < 5 and now - last[i] >= REUSE_AFTER_S:
                picked.append(i)
            i = (i + 1) % len(rows)
        self.cursor[case] = i
        out = []
        for i in picked:
            key = f"bench-{uuid.uuid4().hex}"
            n = random.randrange(10_000)
            out.append((i, rows[i][0], rows[i][1], key, n))
        return out

    def record(self, case: str, plan: list, results: list) -> None:
        by_idx = {p[0]: p for p in plan}
        for idx, status, _code, _lat, t_done in results:
            self.uses[case][idx] += 1
            self.last_used[case][idx] = t_done
            if status == 201:
                p = by_idx[idx]
                self.sent[p[3]] = (p[1], p[2], p[4])


def run_load(server: subprocess.Popen, port: int, load: Load, case: str, clients: int, seconds: float,
             max_requests: int) -> dict:
    plan = load.plan(case, max_requests)
    cpu0, pg0 = tree_cpu_by_pid(server.pid), pg_backend_cpu()
    parts = [plan[i::clients] for i in range(clients)]
    ctx = multiprocessing.get_context("fork")
    start_at = time.time() + 0.5
    deadline = start_at + seconds
    procs, pipes = [], []
    for part in parts:
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=client_loop, args=(port, part, start_at, deadline, send), daemon=True)
        p.start()
        send.close()
        procs.append(p)
        pipes.append(recv)
    results = []
    for recv in pipes:
        results += recv.recv()
    cpu1 = tree_cpu_by_pid(server.pid)
    per_process = sorted((v - cpu0.get(pid, 0.0) for pid, v in cpu1.items()), reverse=True)
    cpu = sum(per_process)
    pg_cpu = sum(v - pg0.get(pid, 0.0) for pid, v in pg_backend_cpu().items())
    load_now = loadavg()
    for p in procs:
        p.join(10)
    load.record(case, plan, results)
    elapsed = max((r[4] for r in results), default=start_at) - start_at
    latencies = sorted(r[3] for r in results)
    statuses = Counter(r[1] for r in results)
    refused = Counter(f"{r[1]} {r[2]}" for r in results if r[1] != 201)
    return {
        "requests": len(results),
        "planned": len(plan),
        "rps": len(results) / elapsed if elapsed > 0 else 0.0,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "accepted": statuses.get(201, 0),
        "refused": refused,
        "elapsed": elapsed,
        "app_cpu_ms": cpu * 1000 / len(results) if results else float("nan"),
        "pg_cpu_ms": pg_cpu * 1000 / len(results) if results else float("nan"),
        "loadavg": load_now,
        # Share of the round each gunicorn process was on a CPU: one worker at ~100 % and the other idle
        # means the keep-alive connections landed unevenly on the workers.
        "busy": [round(c / elapsed * 100) for c in per_process if c > 0.05] if elapsed > 0 else [],
    }


def percentile(sorted_values: list, p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def run_pgbench(clients: int, seconds: int) -> tuple[float, float]:
    """TPC-B at `clients`: (TPS without initial connection time, PostgreSQL CPU ms per transaction). The
    backends' CPU is sampled every 0.2 s while pgbench runs (they exit with it)."""
    proc = subprocess.Popen(
        pgbench_args("-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds), PGBENCH_DB),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    last: dict[int, float] = {}  # the backends are pgbench's own: they start with it at 0
    while proc.poll() is None:
        last.update(pg_backend_cpu(PGBENCH_DB))
        time.sleep(0.2)
    out, err = proc.communicate()
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if proc.returncode or not m:
        raise SystemExit(f"pgbench failed or printed no tps line:\n{out}\n{err}")
    tps = float(m.group(1))
    txns = re.search(r"number of transactions actually processed: (\d+)", out)
    cpu_ms = sum(last.values()) * 1000 / int(txns.group(1)) if txns else float("nan")
    return tps, cpu_ms


# ---------------------------------------------------------------------------------------------- invariants


def invariants(load: Load, port: int, max_payout_id: int, accepted: int) -> tuple[list[str], int]:
    """Every rule the load could have broken, checked on the committed data. Returns (failures, max id)."""
    from django.db import connection

    from accounts.selectors import ledger_drifts

    failures = []
    drifts = ledger_drifts()
    if drifts:
        failures.append(f"verify_ledger: {len(drifts)} drift(s), e.g. {drifts[0]}")

    def scalar(sql: str, params=()) -> int:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    checks = {
        "orders over 5 counted payouts or over the per-order cap / paid amount": """
            SELECT count(*) FROM (
              SELECT p.order_id FROM payouts_payout p JOIN orders_order o ON o.id = p.order_id
              JOIN accounts_shop s ON s.id = o.shop_id JOIN accounts_platformprofile pp ON pp.id = s.profile_id
              WHERE p.counted GROUP BY p.order_id
              HAVING count(*) > max(pp.payouts_per_order)
                  OR sum(p.amount) > least(max(pp.order_cap), max(o.paid_amount))) x""",
        "payouts of one order less than the profile interval apart (PAY-L03)": """
            SELECT count(*) FROM (
              SELECT p.created_at - lag(p.created_at) OVER (PARTITION BY p.order_id ORDER BY p.created_at) AS gap,
                     pp.payout_interval_seconds AS secs
              FROM payouts_payout p JOIN accounts_shop s ON s.id = p.shop_id
              JOIN accounts_platformprofile pp ON pp.id = s.profile_id) x
            WHERE gap < secs * interval '1 second'""",
        "shop days over the shop daily cap": """
            SELECT count(*) FROM (
              SELECT p.shop_id FROM payouts_payout p JOIN accounts_shop s ON s.id = p.shop_id
              JOIN accounts_platformprofile pp ON pp.id = s.profile_id
              WHERE p.counted GROUP BY p.shop_id, p.day HAVING sum(p.amount) > max(pp.shop_daily_cap)) x""",
        "accounts with a negative balance, frozen or available amount": """
            SELECT count(*) FROM accounts_shopaccount WHERE balance < 0 OR frozen < 0 OR balance - frozen < 0""",
        "payouts without exactly one payout_hold entry of -amount": """
            SELECT count(*) FROM payouts_payout p LEFT JOIN (
              SELECT ref_id, count(*) AS n, sum(balance_delta) AS delta FROM accounts_ledgerentry
              WHERE ref_type = 'payout' AND kind = 'payout_hold' GROUP BY ref_id) l ON l.ref_id = p.id::text
            WHERE p.pay_method = 'balance' AND (l.n IS DISTINCT FROM 1 OR l.delta <> -p.amount)""",
        "hold entries without a payout": """
            SELECT count(*) FROM accounts_ledgerentry l WHERE l.kind = 'payout_hold'
              AND NOT EXISTS (SELECT 1 FROM payouts_payout p WHERE p.id::text = l.ref_id)""",
        "payouts without exactly one 'created' event": """
            SELECT count(*) FROM payouts_payout p WHERE (SELECT count(*) FROM payouts_payoutevent e
              WHERE e.payout_id = p.id AND e.type = 'created') <> 1""",
        "payouts without their order-log entry": """
            SELECT (SELECT count(*) FROM payouts_payout)
                 - (SELECT count(*) FROM orders_orderevent WHERE type = 'payout_created')""",
        "shops whose balance is not the opening balance minus what they hold": f"""
            SELECT count(*) FROM accounts_shopaccount a WHERE a.balance <> {OPENING_BALANCE}
              - coalesce((SELECT sum(held) FROM payouts_payout p WHERE p.shop_id = a.shop_id), 0)""",
        "idempotency keys left in progress": """
            SELECT count(*) FROM core_idempotencykey WHERE state <> 'done'""",
    }
    for label, sql in checks.items():
        n = scalar(sql)
        if n:
            failures.append(f"{label}: {n}")
    new_max = scalar("SELECT coalesce(max(id), 0) FROM payouts_payout")
    created = scalar("SELECT count(*) FROM payouts_payout WHERE id > %s", [max_payout_id])
    if created != accepted:
        failures.append(f"201 answers ({accepted}) != payouts created in the round ({created})")
    # Replays: the same key and body answer the first response again and move nothing.
    sample = random.sample(sorted(load.sent), min(10, len(load.sent)))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for key in sample:
        order_no, token, n = load.sent[key]
        conn.request("POST", PATH, body=body_for(order_no, n), headers={
            "Authorization": f"Token {token}", "Idempotency-Key": key, "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 201 or resp.getheader("Idempotent-Replayed") != "true":
            failures.append(f"replay of {key} answered {resp.status} replayed={resp.getheader('Idempotent-Replayed')}")
    conn.close()
    if scalar("SELECT count(*) FROM payouts_payout WHERE id > %s", [new_max]):
        failures.append("a replay created a payout")
    return failures, new_max


# ---------------------------------------------------------------------------------------------- profile


def shop_day_sum_cost() -> None:
    """PAY-L05 sums the shop's counted payouts of the day on every request: its cost grows with the shop's
    payouts of the day. EXPLAIN ANALYZE of the hot shop's sum, as payout_sums runs it, after the rounds."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT p.shop_id, p.day, count(*) FROM payouts_payout p JOIN accounts_shop s ON s.id = p.shop_id
                       WHERE s.key = 'benchhot' AND p.counted GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1""")
        row = cur.fetchone()
        if not row:
            return
        shop_id, day, n = row
        cur.execute("""EXPLAIN (ANALYZE, BUFFERS) SELECT COALESCE(SUM(amount), 0),
                              COALESCE(SUM(amount) FILTER (WHERE pay_method = 'balance'), 0)
                       FROM payouts_payout WHERE shop_id = %s AND day = %s AND counted""", [shop_id, day])
        plan = [r[0] for r in cur.fetchall()]
    exec_ms = next((ln.split(":")[1].strip() for ln in plan if ln.startswith("Execution Time")), "?")
    scan = next((ln.strip() for ln in plan if "Scan" in ln), "?")
    print(f"\nhot shop's daily sum (PAY-L05) over its {n} payouts of the day: {exec_ms}; {scan[:110]}")


def statement_kind(sql: str) -> str:
    """A statement reduced to what it does and to which table: `SELECT orders_order FOR UPDATE`."""
    sql = sql.strip()
    verb = sql.split(None, 1)[0].upper()
    if verb in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"):
        return verb
    m = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
    kind = f"{verb} {m.group(1) if m else '?'}"
    if "FOR UPDATE" in sql:
        kind += " FOR UPDATE"
    for marker in ("COUNT(", "SUM(", "SELECT 1 AS"):
        if marker in sql.upper():
            kind += f" [{marker.rstrip('(').replace('SELECT 1 AS', 'EXISTS')}]"
            break
    return kind


def profile_in_process(load: Load, count: int) -> None:
    """Where the time of one request goes, without gunicorn: Django's WSGI handler in-process. First the
    requests with every statement timed (wall time of the round trip, by statement kind), then the same
    number under cProfile (the Python side, by function)."""
    from django.db import connection, transaction
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    plan = load.plan("spread", 2 * count + 20)

    def post(p):
        _, order_no, token, key, n = p
        return client.post(PATH, data=body_for(order_no, n), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {token}", HTTP_IDEMPOTENCY_KEY=key)

    for p in plan[:20]:  # warm
        post(p)
    timings: dict[str, list[float]] = {}

    holds: list[float] = []

    def timer(execute, sql, params, many, context):
        t0 = time.perf_counter()
        kind = statement_kind(sql)
        if kind == "SELECT accounts_shopaccount FOR UPDATE":
            # How long the shop's account row stays locked: what bounds one hot shop's throughput.
            transaction.on_commit(lambda: holds.append((time.perf_counter() - t0) * 1000))
        try:
            return execute(sql, params, many, context)
        finally:
            timings.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)

    statuses = Counter()
    t0, c0, pg0 = time.perf_counter(), time.process_time(), pg_backend_cpu()
    with connection.execute_wrapper(timer):
        for p in plan[20:20 + count]:
            statuses[post(p).status_code] += 1
    wall = (time.perf_counter() - t0) * 1000 / count
    cpu = (time.process_time() - c0) * 1000 / count
    pg_cpu = sum(v - pg0.get(pid, 0.0) for pid, v in pg_backend_cpu().items()) * 1000 / count
    sql = sum(sum(v) for v in timings.values()) / count
    print(f"\nin-process, {count} requests {dict(statuses)}: {wall:.2f} ms each, of which {sql:.2f} ms in "
          f"{sum(len(v) for v in timings.values()) / count:.1f} statements (round trips, psycopg included), "
          f"{wall - sql:.2f} ms Python; CPU per request: this process {cpu:.2f} ms, PostgreSQL {pg_cpu:.2f} ms")
    if holds:
        print(f"  the shop account row stays locked {statistics.median(holds):.2f} ms (median) per request, from its "
              f"SELECT … FOR UPDATE to COMMIT: one shop cannot take more than ~{1000 / statistics.median(holds):.0f} "
              f"payouts/s however many cores")
    print(f"  {'per request':>11} {'ms each':>8}  statement")
    for kind, values in sorted(timings.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {len(values) / count:11.1f} {statistics.mean(values):8.3f}  {kind}")
    prof = cProfile.Profile()
    prof.enable()
    for p in plan[20 + count:]:
        post(p)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(r"(payouts|core|accounts|orders)/|"
                                                                         r"rest_framework/(views|authentication)|"
                                                                         r"handlers/base|middleware", 40)
    print(f"\ncProfile of {count} more requests (cumulative; the project's functions and the framework's layers):")
    print(buf.getvalue())


# ---------------------------------------------------------------------------------------------- main


def fmt_refused(refused: Counter) -> str:
    return ", ".join(f"{k}: {v}" for k, v in refused.most_common()) or "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="seconds of load per round (and pgbench -T)")
    parser.add_argument("--max-requests", type=int, default=8000, help="request bound per round")
    parser.add_argument("--clients", default="1,8", help="concurrency levels, comma-separated")
    parser.add_argument("--cases", default="spread,hot")
    parser.add_argument("--rounds", type=int, default=2, help="pgbench/product pairs per case and concurrency")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--conn-max-age", type=int, default=600, help="0: a new DB connection per request")
    parser.add_argument("--profile", type=int, default=200,
                        help="after the rounds, time N requests in-process by statement, then N under cProfile (0: skip)")
    parser.add_argument("--keep", action="store_true", help="reuse the seeded database (skip drop/seed)")
    args = parser.parse_args()
    clients_levels = [int(c) for c in args.clients.split(",")]
    cases = args.cases.split(",")
    t_start = time.time()

    env = child_env(args.conn_max_age)
    os.environ.update({k: v for k, v in env.items() if k != "DATABASE_URL"})
    os.environ["DATABASE_URL"] = f"{PG_URL}/{DB_NAME}"
    logdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-payouts-"))

    import django

    if not args.keep:
        log(f"pgbench -i -s 10 {PGBENCH_DB} (in the background) …")
        recreate_database(PGBENCH_DB)
        pgbench_init = subprocess.Popen(pgbench_args("-i", "-s", "10", "-q", PGBENCH_DB), env=env,
                                        stdout=subprocess.DEVNULL, stderr=open(logdir / "pgbench-init.log", "w"))
        log(f"database {DB_NAME}: drop, create, migrate …")
        recreate_database(DB_NAME)
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        seed()
        if pgbench_init.wait() != 0:
            raise SystemExit(f"pgbench -i failed: see {logdir / 'pgbench-init.log'}")
        log("pgbench database ready")
    else:
        django.setup()
    from django.db import connection, connections

    orders = orders_load()
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM payouts_payout")
        max_id = cur.fetchone()[0]
    connections.close_all()

    server, port = start_gunicorn(args, env, logdir)
    load = Load(orders)
    failures_total = []
    rows = []
    try:
        # Warm every worker (imports, connections, first queries); checked like any round, not reported.
        warm = run_load(server, port, load, "spread", 8, 3, 400)
        fails, max_id = invariants(load, port, max_id, warm["accepted"])
        log(f"warm-up: {warm['requests']} requests, {warm['accepted']} accepted, refused {fmt_refused(warm['refused'])}"
            f"; invariants {'OK' if not fails else fails}")
        failures_total += fails
        for rnd in range(1, args.rounds + 1):
            for clients in clients_levels:
                for case in cases:
                    tps, pgbench_cpu = run_pgbench(clients, int(args.seconds))
                    res = run_load(server, port, load, case, clients, args.seconds, args.max_requests)
                    fails, max_id = invariants(load, port, max_id, res["accepted"])
                    connections.close_all()
                    failures_total += fails
                    ratio = res["rps"] / tps if tps else float("nan")
                    res["pgbench_cpu_ms"] = pgbench_cpu
                    rows.append((rnd, case, clients, tps, res, ratio, fails))
                    log(f"round {rnd} {case:6} c={clients}: pgbench {tps:7.0f} tps | product {res['rps']:6.1f} req/s "
                        f"p50 {res['p50']:5.1f} ms p99 {res['p99']:6.1f} ms | ratio {ratio:.3f} | "
                        f"201: {res['accepted']}/{res['requests']}, refused: {fmt_refused(res['refused'])} | "
                        f"CPU/request: gunicorn {res['app_cpu_ms']:.1f} ms, PostgreSQL {res['pg_cpu_ms']:.1f} ms "
                        f"(pgbench: PostgreSQL {pgbench_cpu:.2f} ms/txn) | "
                        f"gunicorn processes busy {res['busy']} % | load {res['loadavg']:.1f} | "
                        f"invariants: {'OK' if not fails else '; '.join(fails)}")
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()

    print("\nround case    clients  pgbench tps  req/s   p50 ms  p99 ms  ratio  201/requests  refused (status code: n)"
          "  invariants")
    for rnd, case, clients, tps, res, ratio, fails in rows:
        print(f"{rnd:5} {case:7} {clients:7} {tps:12.0f} {res['rps']:7.1f} {res['p50']:7.1f} {res['p99']:7.1f} "
              f"{ratio:6.3f}  {res['accepted']:5}/{res['requests']:<6}  {fmt_refused(res['refused'])}  "
              f"{'OK' if not fails else 'FAILED'}")
    print("\nmedian per case (ratio = product req/s ÷ pgbench TPS of the same pair):")
    for case in cases:
        for clients in clients_levels:
            sel = [r for r in rows if r[1] == case and r[2] == clients]
            if not sel:
                continue
            print(f"  {case:7} c={clients}: ratio {statistics.median(r[5] for r in sel):.3f}, "
                  f"req/s {statistics.median(r[4]['rps'] for r in sel):.1f}, "
                  f"p50 {statistics.median(r[4]['p50'] for r in sel):.1f} ms, "
                  f"p99 {statistics.median(r[4]['p99'] for r in sel):.1f} ms, "
                  f"pgbench {statistics.median(r[3] for r in sel):.0f} tps")
    target = [r for r in rows if r[2] == 8]
    if target:
        ok = all(statistics.median(r[5] for r in target if r[1] == c) >= 0.12 for c in cases) and all(
            statistics.median(r[4]["p99"] for r in target if r[1] == c) <= 60 for c in cases)
        print(f"\ntarget at 8 clients (ratio ≥ 0.12 and p99 ≤ 60 ms, medians): {'MET' if ok else 'MISSED'}")
    print(f"invariants: {'all held' if not failures_total else 'BROKEN: ' + '; '.join(failures_total)}")

    shop_day_sum_cost()
    if args.profile:
        profile_in_process(load, args.profile)
    log(f"done in {time.time() - t_start:.0f} s (logs in {logdir})")
    return 1 if failures_total else 0


if __name__ == "__main__":
    sys.exit(main())
