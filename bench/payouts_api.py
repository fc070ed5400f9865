"""Small payouts under load: POST /api/v1/payouts/ served as production would, beside pgbench TPC-B.

One command, from a fresh clone with the virtualenv in .venv and PostgreSQL + Redis on 127.0.0.1:

    .venv/bin/python bench/payouts_api.py

(about 5 minutes after a 1-minute seed; `--help` for the knobs, e.g. `--rounds 1 --seconds 8 --profile 0`
for a quick look, `--keep` to reuse the seeded databases). Results: docs/bench-payouts.md. What it does:

0. checks, before anything is seeded, that what it needs is there and fails at once with what is missing
   (`--check-only` stops there): the reference endpoint vendored in bench/perf_reference/ (BENCH_REFERENCE
   overrides), `wrk` (Debian's package: installs it with `apt-get install -y wrk`, or says how), `pgbench`,
   gunicorn, PostgreSQL and Redis; and prints the machine's load (load average against its cores) — on a
   loaded machine every figure is low, and the bench says so;
1. drops and recreates its own databases `backoffice_bench_payouts` (migrated), `bench_pgbench`
   (`pgbench -i -s 10`) and `bench_perfref` (the reference endpoint's; BENCH_DB_SUFFIX appends to the three
   names, so two checkouts can run at once), and uses Redis db 14 for cache and broker (BENCH_CACHE_URL /
   BENCH_BROKER_URL override, BENCH_PG_URL the server; BENCH_PORTS=8171-8179 picks the servers' ports from a
   range instead of any free one);
2. bulk-inserts with SQL (no scenario loader): 100 Douyin shops × 2,000 orders ("spread") and one hot
   shop with 120,000 orders ("hot"), one item per order, each shop's main account with an API token
   (stored as its digest, SEC-02) and an opening balance of 2,000,000.00 posted through a `sync` ledger
   entry. The Douyin profile keeps every rule at its default (5 payouts and 500.00 per order, one payout per
   order per 60 s) except the shop daily cap, raised from 15,000.00 to 1,000,000.00 so a hot-shop round is
   not mostly refused;
3. serves the product with gunicorn (config.settings.production, DEBUG off, 127.0.0.1, a free port,
   `--no-control-socket`; default 3 sync workers, persistent DB connections, API_FAILED_AUTH_RATE=none)
   and the reference endpoint the same way (3 sync workers, 100 accounts);
4. runs `--rounds` interleaved rounds of: pgbench TPC-B `-c 8 -j 2 -T 15`, the reference under
   `wrk -t2 -c8 -d15s` (its own bench/post.lua), then the product under the same wrk for the spread shops and
   for the hot shop (bench/payouts_api.lua walks a pre-exported slice of orders no other run uses: no order
   repeats within 70 s; one Idempotency-Key per request); prints req/s, p50/p99, 201/4xx/other, CPU per
   request of the gunicorn tree and of PostgreSQL (from /proc), the ratios to the reference and to pgbench
   of the same round, the load average, and after every product run the invariants (ledger_drifts,
   per-order count and sum, the 60 s interval, shop daily caps, balances, one hold entry + one event + one
   order log per payout, no idempotency key left in progress, replays answer the first response and create
   nothing; the reference's own `invariants`); then the medians against the targets;
5. after the rounds: the cost of the hot shop's daily sum (EXPLAIN ANALYZE), the statements of one request
   as Django's query capture sees them, then `--profile` N requests in-process (Django's handler without
   gunicorn): each statement's round trip, how long the shop account row stays locked, and a cProfile.

Exit status 1 if an invariant broke, 2 if a target of issue 21 was missed (×reference ≥ 0.5 spread and hot,
p99 ≤ 60 ms, shop-account lock hold ≤ 3 ms, ≤ 15 statements per request including the work after the
commit), 3 if something it needs is missing. Not part of the test suite. Figures drift with the machine
(±40 %, docs/PERFORMANCE.md): read the ratios, not the absolute numbers.
"""

import argparse
import cProfile
import http.client
import io
import json
import os
import pathlib
import pstats
import random
import re
import shutil
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
DB_SUFFIX = os.environ.get("BENCH_DB_SUFFIX", "")
DB_NAME = "backoffice_bench_payouts" + DB_SUFFIX
PGBENCH_DB = "bench_pgbench" + DB_SUFFIX
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "rediscache://127.0.0.1:6379/14")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")

SPREAD_SHOPS = 100
SPREAD_ORDERS_PER_SHOP = 2_000
HOT_ORDERS = 120_000
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
        DJANGO_SSL_REDIRECT="false",  # plain HTTP on 127.0.0.1 (a proxy terminates TLS in production)
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
                   unpaid_bill, zero_fee_entry, deposit_paid, e_waybill, created_at, profile_id, chat_auto_reply)
               SELECT CASE WHEN g < %s THEN 'bench' || lpad(g::text, 3, '0') ELSE 'benchhot' END,
                      CASE WHEN g < %s THEN '压测店铺' || g ELSE '压测热店' END,
                      'normal', 'enterprise', true, false, false, false, true, true, now(), %s, ''
               FROM generate_series(0, %s) AS g""",
            [SPREAD_SHOPS, SPREAD_SHOPS, profile.pk, SPREAD_SHOPS],
        )
        cur.execute(
            f"""INSERT INTO accounts_user ({user_cols})
                SELECT '!', NULL, false, 'main_' || key, '', '', '', true, true, now(), 'main', '', id
                FROM accounts_shop WHERE key LIKE 'bench%%'""", []
        )
        # SEC-02: tokens stored as keyed digests (accounts.tokens, TOKEN_PEPPER); the key is
        # 'bench-token-<username>'; the chat-tool channel (PAY-E10 lets it start Douyin payouts).
        from accounts.tokens import token_digest, token_prefix

        cur.execute("""SELECT u.id, u.username FROM accounts_user u JOIN accounts_shop s ON s.id = u.shop_id
                       WHERE s.key LIKE 'bench%%'""", [])
        keys = [(user_id, f"bench-token-{username}") for user_id, username in cur.fetchall()]
        cur.executemany("""INSERT INTO accounts_apitoken (user_id, name, digest, prefix, channel, created_at)
                           VALUES (%s, 'bench', %s, %s, 'chat_tool', now())""",
                        [(user_id, token_digest(key), token_prefix(key)) for user_id, key in keys])
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
                      "goods_kind, local_life, cross_border, created_at, paid_at, paid_amount, refund_state, "
                      "review_flags")
        common = ("%s, %s, 'douyin', 'online', 'shipped', false, 'physical', false, false, "
                  "now() - interval '3 days' - (g %% 86400) * interval '1 second', "
                  "now() - interval '3 days' - (g %% 86400) * interval '1 second', 1000.00, 'none', '{}'::jsonb")
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
        cur.execute("""SELECT o.order_no, 'bench-token-' || u.username, s.key = 'benchhot' FROM orders_order o
                       JOIN accounts_shop s ON s.id = o.shop_id
                       JOIN accounts_user u ON u.shop_id = s.id AND u.role = 'main'
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


def _port_range() -> list[int]:
    spec = os.environ.get("BENCH_PORTS", "")
    if not spec:
        return []
    low, _, high = spec.partition("-")
    return list(range(int(low), int(high or low) + 1))


def free_port() -> int:
    """A free port on 127.0.0.1: from BENCH_PORTS (e.g. 8171-8179) when set, else any."""
    for port in _port_range() or [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            if port and port in USED_PORTS:
                continue
            USED_PORTS.add(s.getsockname()[1])
            return s.getsockname()[1]
    raise SystemExit(f"no free port in BENCH_PORTS={os.environ.get('BENCH_PORTS')}")


USED_PORTS: set[int] = set()


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


def machine_load() -> str:
    """The load this ran under, against the machine's cores: the targets are for a quiet machine."""
    one, five, _fifteen = os.getloadavg()
    cores = os.cpu_count() or 1
    verdict = ("quiet" if five < 0.5 * cores else
               "LOADED by other work: every figure below is low, the ratios less so" if five >= cores else
               "busy: figures somewhat low")
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {cores} cores: {verdict}"


def preflight(args) -> None:
    """Everything the run needs, checked before any database is dropped or seeded (exit 3 with what is
    missing): one message for all of it."""
    problems = []
    missing = [part for part in REFERENCE_FILES if not (REFERENCE / part).is_file()]
    if missing:
        problems.append(f"the reference endpoint is not complete in {REFERENCE} (missing: {', '.join(missing)}); "
                        f"it is vendored in bench/perf_reference/ — unset BENCH_REFERENCE or point it at a copy")
    for tool, package in (("pgbench", "postgresql-client (or postgresql-contrib)"),):
        if not shutil.which(tool):
            problems.append(f"`{tool}` is not on PATH: install {package}")
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        problems.append("gunicorn is not installed in this Python: pip install -r requirements.txt")
    try:
        import psycopg

        with psycopg.connect(host=PG["host"], port=PG["port"], user=PG["user"], password=PG["password"],
                             dbname="postgres", connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure is reported the same way
        problems.append(f"PostgreSQL at {PG_URL} does not answer ({str(exc).strip()[:120]}); set BENCH_PG_URL")
    redis_url = urlsplit(CACHE_URL)
    try:
        with socket.create_connection((redis_url.hostname or "127.0.0.1", redis_url.port or 6379), timeout=5) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(16).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        problems.append(f"Redis at {CACHE_URL} does not answer ({exc}); set BENCH_CACHE_URL / BENCH_BROKER_URL")
    if _port_range() and len(_port_range()) < 2:
        problems.append("BENCH_PORTS needs at least two ports (the product and the reference)")
    if problems:
        print("bench/payouts_api.py cannot run — nothing was seeded:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        sys.exit(3)
    global WRK
    WRK = wrk_ensure()
    log(f"preflight OK: reference endpoint {REFERENCE}, wrk {WRK}, PostgreSQL {PG_URL}, Redis {CACHE_URL}")
    log(f"machine: {machine_load()}")


# ---------------------------------------------------------------------------------------------- load


def body_for(order_no: str, n: int) -> bytes:
    """The body bench/payouts_api.lua sends for row n (the replay check rebuilds it)."""
    return json.dumps({"order_no": order_no, "type": "shipping_fee", "amount": f"{1 + n % 9}.{n % 100:02d}",
                       "reason": "bench", "buyer_message": "bench"}).encode()


LUA = ROOT / "bench" / "payouts_api.lua"
REFERENCE = pathlib.Path(os.environ.get("BENCH_REFERENCE", ROOT / "bench" / "perf_reference"))
REF_DB = "bench_perfref" + DB_SUFFIX
REFERENCE_FILES = ("manage.py", "perfdemo/settings.py", "perfdemo/urls.py", "perfdemo/wsgi.py", "payouts/models.py",
                   "payouts/views.py", "payouts/migrations/0001_initial.py", "payouts/management/commands/seed.py",
                   "payouts/management/commands/invariants.py", "bench/post.lua")
WRK_THREADS = 2


def wrk_ensure() -> str:
    """wrk drives both servers (the client costs the same for both): Debian's package."""
    path = shutil.which("wrk")
    if path:
        return path
    log("wrk is missing: installing Debian's package (apt-get install -y wrk) …")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    rc = subprocess.call([*sudo, "apt-get", "install", "-y", "-q", "wrk"], stdout=subprocess.DEVNULL)
    path = shutil.which("wrk")
    if rc or not path:
        print("bench/payouts_api.py cannot run — nothing was seeded:\n  - wrk is required: install it with "
              "`apt-get install -y wrk` (Debian/Ubuntu) and run again", file=sys.stderr)
        sys.exit(3)
    return path


class Load:
    """The orders of each case in a fixed shuffled order, handed out in slices that never overlap within a
    run, so no order is paid twice within REUSE_AFTER_S (PAY-L03 is 60 s) and no order more than once."""

    def __init__(self, orders: dict):
        self.orders = orders
        self.cursor = dict.fromkeys(orders, 0)
        self.sent: dict[str, list] = {case: [] for case in orders}  # rows of each slice: (n, order_no, token)

    def export(self, case: str, count: int, path: pathlib.Path) -> list:
        rows, start = self.orders[case], self.cursor[case]
        if start + count > len(rows):
            raise SystemExit(f"{case}: not enough unused orders for another round ({len(rows) - start} left)")
        picked = [(start + i, *rows[start + i]) for i in range(count)]
        self.cursor[case] = start + count
        path.write_text("".join(f"{n} {no} {tok}\n" for n, no, tok in picked))
        self.sent[case] = picked
        return picked


def run_wrk(url: str, script: pathlib.Path, clients: int, seconds: float, env: dict) -> dict:
    CLIENTS[0] = clients
    cmd = [WRK, f"-t{min(WRK_THREADS, clients)}", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", "10s",
           "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, timeout=seconds + 60)
    m = re.search(r"RESULT (.*)", out.stdout)
    if not m:
        raise SystemExit(f"wrk printed no RESULT line:\n{out.stdout}\n{out.stderr}")
    return {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def measured(run, server_pid: int, db: str) -> dict:
    """Run `run()` (a wrk) and add the CPU per request of the server's process tree and PostgreSQL."""
    cpu0, pg0 = tree_cpu_by_pid(server_pid), pg_backend_cpu(db)
    res = run()
    time.sleep(1)  # the requests wrk cut at its deadline finish on the server (their CPU counts, and no
    # payout lands after the invariants' snapshot)
    cpu1, pg1 = tree_cpu_by_pid(server_pid), pg_backend_cpu(db)
    n = res["requests"] or float("nan")
    res["app_cpu_ms"] = sum(v - cpu0.get(pid, 0.0) for pid, v in cpu1.items()) * 1000 / n
    res["pg_cpu_ms"] = sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items()) * 1000 / n
    res["loadavg"] = loadavg()
    return res


def run_product(server: subprocess.Popen, port: int, load: Load, case: str, clients: int, seconds: float,
                logdir: pathlib.Path, prefix: str) -> dict:
    rows_file = logdir / f"rows-{prefix}.txt"
    load.export(case, int(seconds * 1500) + 500, rows_file)  # beyond any rate this machine reaches
    env = {"BENCH_ROWS": str(rows_file), "BENCH_PREFIX": prefix, "BENCH_THREADS": str(min(WRK_THREADS, clients)),
           "BENCH_PATH": PATH}
    return measured(lambda: run_wrk(f"http://127.0.0.1:{port}{PATH}", LUA, clients, seconds, env), server.pid,
                    DB_NAME)


def start_reference(logdir: pathlib.Path, workers: int) -> tuple[subprocess.Popen, int]:
    """The reference endpoint vendored in bench/perf_reference/ (the bare one-rule Django write): copied to the
    run's directory, migrated into its own database, seeded with 100 accounts, served by gunicorn with as
    many sync workers as the product."""
    ref = logdir / "perf-reference"
    shutil.copytree(REFERENCE, ref)
    subprocess.call(["chmod", "-R", "u+w", str(ref)])
    env = {**os.environ, "PERFDEMO_DB": REF_DB, "PERFDEMO_PGHOST": PG["host"]}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    recreate_database(REF_DB)
    for args in (["migrate", "-v", "0"], ["seed", "--accounts", "100"]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ref, env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    logfile = open(logdir / "reference.log", "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "perfdemo.wsgi:application", "-w", str(workers),
                             "-k", "sync", "-b", f"127.0.0.1:{port}", "--no-control-socket", "--log-level", "warning"],
                            cwd=ref, env=env, stdout=logfile, stderr=subprocess.STDOUT)
    wait_http(proc, port, "POST", "/payouts/sfu/", b'{"account_id": 1, "amount": 1}')
    log(f"reference endpoint on 127.0.0.1:{port}: {workers} sync workers, database {REF_DB}")
    return proc, port


def wait_http(proc: subprocess.Popen, port: int, method: str, path: str, body: bytes | None = None) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"server on port {port} did not answer within 30 s")


def run_reference(proc: subprocess.Popen, port: int, clients: int, seconds: float) -> dict:
    return measured(lambda: run_wrk(f"http://127.0.0.1:{port}/payouts/sfu/", REFERENCE / "bench" / "post.lua",
                                    clients, seconds, {"ACCOUNTS": "100"}), proc.pid, REF_DB)


def reference_invariants() -> list[str]:
    env = {**os.environ, "PERFDEMO_DB": REF_DB, "PERFDEMO_PGHOST": PG["host"]}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "manage.py", "invariants"], cwd=REF_LOGDIR[0] / "perf-reference", env=env,
                         capture_output=True, text=True)
    text = (out.stdout + out.stderr).strip().replace("\n", " ")
    return [] if out.returncode == 0 else [f"reference invariants: {text[:200]}"]


REF_LOGDIR: list = []
CLIENTS = [8]
WRK = "wrk"


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


def invariants(load: Load, case: str, prefix: str, port: int, max_payout_id: int,
               accepted: int) -> tuple[list[str], int]:
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
    # wrk stops at its deadline with up to one request in flight per connection: the server finishes those
    # (201s wrk never counts), so up to `clients` more payouts than 201 answers, never fewer.
    if not accepted <= created <= accepted + CLIENTS[0]:
        failures.append(f"201 answers ({accepted}) vs payouts created in the round ({created})")
    # Replays: the same key and body answer the first response again and move nothing. The rows of the round
    # whose order got a payout in it were answered 201 (each order appears once in a round's slice).
    with connection.cursor() as cur:
        cur.execute("""SELECT o.order_no FROM payouts_payout p JOIN orders_order o ON o.id = p.order_id
                       WHERE p.id > %s ORDER BY random() LIMIT 10""", [max_payout_id])
        paid = {r[0] for r in cur.fetchall()}
    sample = [row for row in load.sent[case] if row[1] in paid]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n, order_no, token in sample:
        key = f"{prefix}-{n}"
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


def profile_in_process(load: Load, count: int, detail: bool = True) -> dict:
    """Where the time of one request goes, without gunicorn: Django's WSGI handler in-process. First the
    requests with every statement timed (wall time of the round trip, by statement kind), then the same
    number under cProfile (the Python side, by function)."""
    from django.db import connection, transaction
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    count = max(count, 20)
    plan = load.export("spread", 2 * count + 20, pathlib.Path(tempfile.mkstemp(prefix="bench-profile-")[1]))
    tag = uuid.uuid4().hex[:8]

    def post(p):
        n, order_no, token = p
        key = f"profile-{tag}-{n}"
        return client.post(PATH, data=body_for(order_no, n), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {token}", HTTP_IDEMPOTENCY_KEY=key)

    for p in plan[:20]:  # warm
        post(p)
    timings: dict[str, list[float]] = {}

    holds: list[float] = []

    def timer(execute, sql, params, many, context):
        t0 = time.perf_counter()
        kind = statement_kind(sql)
        if "FOR UPDATE" in sql and "accounts_shopaccount" in sql.split("FOR UPDATE", 1)[1 if " OF " in sql else 0]:
            # How long the shop's account row stays locked: what bounds one hot shop's throughput.
            transaction.on_commit(lambda: holds.append((time.perf_counter() - t0) * 1000))
        try:
            return execute(sql, params, many, context)
        finally:
            timings.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)

    from django.test.utils import CaptureQueriesContext

    statuses = Counter()
    t0, c0, pg0 = time.perf_counter(), time.process_time(), pg_backend_cpu()
    with connection.execute_wrapper(timer):
        for p in plan[20:20 + count]:
            statuses[post(p).status_code] += 1
    wall = (time.perf_counter() - t0) * 1000 / count
    with CaptureQueriesContext(connection) as captured:
        post(plan[-1])
    savepoints = sum("SAVEPOINT" in q["sql"].upper() for q in captured)
    cpu = (time.process_time() - c0) * 1000 / count
    pg_cpu = sum(v - pg0.get(pid, 0.0) for pid, v in pg_backend_cpu().items()) * 1000 / count
    result = {"statements": len(captured), "hold_ms": statistics.median(holds) if holds else float("nan"),
              "cpu_ms": cpu, "pg_cpu_ms": pg_cpu, "wall_ms": wall, "statuses": dict(statuses)}
    if not detail:
        return result
    print(f"\nstatements of one request as Django's query capture sees them (BEGIN/COMMIT included): "
          f"{len(captured)}, savepoints {savepoints}")
    listing = "\n".join(f"    {i:2}. {statement_kind(q['sql'])}" for i, q in enumerate(captured, 1))
    print(listing)
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
    for p in plan[20 + count:-1]:
        post(p)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(r"(payouts|core|accounts|orders)/|"
                                                                         r"rest_framework/(views|authentication)|"
                                                                         r"handlers/base|middleware", 40)
    print(f"\ncProfile of {count} more requests (cumulative; the project's functions and the framework's layers):")
    print(buf.getvalue())
    return result


# Issue 21's steps, measured in one process on the same data: each row switches one more change on. What a
# step switches off is put back the old way for the measurement only (the token read on every request, the
# rail read on every payout, the ORM's order lock, one statement per write under the lock).
STEPS = [
    ("before: token read per request, rail read per payout, ORM order lock, one statement per write",
     {"token", "rail", "lock", "batch"}),
    ("+ token → user from the process cache (item 3)", {"rail", "lock", "batch"}),
    ("+ the shop's rail resolved once per process (item 2)", {"lock", "batch"}),
    ("+ hand-written SELECT … FOR UPDATE OF for the order lock (item 4)", {"batch"}),
    ("+ the writes under the lock as one statement (item 4): now", set()),
]


def _orm_order_lock(*, order_id=None, shop_id=None, order_no=""):
    from orders.models import Order

    qs = (Order.objects.select_for_update(of=("self", "shop__account"))
          .select_related("shop__profile", "shop__account").filter(shop__account__isnull=False))
    qs = qs.filter(pk=order_id) if order_id is not None else qs.filter(shop_id=shop_id, order_no=order_no)
    return qs.first()


def steps_in_process(load: Load, count: int, passes: int = 2) -> list:
    """The step table of docs/bench-payouts.md: each step's requests in-process (one client, no gunicorn),
    alternating the steps `passes` times; the median of the passes per step."""
    import types

    import accounts.tokencache as tokencache
    import core.writebatch as writebatch
    import payouts.rails as rails
    import payouts.services as services
    from core.localcache import clear_all

    saved = (tokencache.tokens.ttl, rails.shop_rails.ttl, writebatch.connection, services.order_lock_for_payout)
    results: dict[str, list] = {}
    try:
        for _ in range(passes):
            for label, off in STEPS:
                clear_all()
                tokencache.tokens.ttl = 0 if "token" in off else saved[0]
                rails.shop_rails.ttl = 0 if "rail" in off else saved[1]
                writebatch.connection = types.SimpleNamespace(vendor="one-by-one") if "batch" in off else saved[2]
                services.order_lock_for_payout = _orm_order_lock if "lock" in off else saved[3]
                results.setdefault(label, []).append(profile_in_process(load, count, detail=False))
    finally:
        tokencache.tokens.ttl, rails.shop_rails.ttl, writebatch.connection, services.order_lock_for_payout = saved
        clear_all()
    print(f"\nthe steps in-process ({count} requests per step and pass, {passes} alternating passes, medians; one "
          f"client, so req/s = 1000 / wall ms):")
    print(f"  {'wall ms':>7} {'req/s':>6} {'CPU ms':>6} {'PG ms':>6} {'stmts':>5} {'hold ms':>7}  change")
    rows = []
    for label, _off in STEPS:
        runs = results[label]
        row = {k: statistics.median(r[k] for r in runs) for k in ("wall_ms", "cpu_ms", "pg_cpu_ms", "statements",
                                                                  "hold_ms")}
        rows.append((label, row))
        print(f"  {row['wall_ms']:7.2f} {1000 / row['wall_ms']:6.1f} {row['cpu_ms']:6.2f} {row['pg_cpu_ms']:6.2f} "
              f"{row['statements']:5.0f} {row['hold_ms']:7.2f}  {label}")
    return rows


# ---------------------------------------------------------------------------------------------- main


def fmt_refused(refused: Counter) -> str:
    return ", ".join(f"{k}: {v}" for k, v in refused.most_common()) or "none"


def fmt(res: dict) -> str:
    return (f"{res['rps']:6.1f} req/s p50 {res['p50_ms']:5.1f} ms p99 {res['p99_ms']:6.1f} ms "
            f"(201 {int(res.get('created201', 0))}, 4xx {int(res.get('rejected4xx', res.get('rejected409', 0)))}, "
            f"other {int(res.get('other', 0))}) CPU/request gunicorn {res['app_cpu_ms']:.2f} ms "
            f"PostgreSQL {res['pg_cpu_ms']:.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="seconds of load per run (and pgbench -T)")
    parser.add_argument("--clients", type=int, default=8, help="connections (wrk -c, pgbench -c)")
    parser.add_argument("--cases", default="spread,hot")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds: pgbench, reference, each case")
    parser.add_argument("--workers", type=int, default=3, help="sync gunicorn workers, product and reference alike")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--conn-max-age", type=int, default=600, help="0: a new DB connection per request")
    parser.add_argument("--profile", type=int, default=200,
                        help="after the rounds, time N requests in-process by statement, then N under cProfile (0: skip)")
    parser.add_argument("--keep", action="store_true", help="reuse the seeded database (skip drop/seed)")
    parser.add_argument("--check-only", action="store_true", help="check what the run needs, print the load, stop")
    parser.add_argument("--steps", type=int, default=100,
                        help="after the rounds, N requests per step of issue 21 in-process (the step table; 0: skip)")
    args = parser.parse_args()
    cases = args.cases.split(",")
    t_start = time.time()
    preflight(args)
    if args.check_only:
        return 0

    env = child_env(args.conn_max_age)
    env["API_FAILED_AUTH_RATE"] = "none"  # the failed-auth throttle (a cache round trip per request): off
    os.environ.update({k: v for k, v in env.items() if k != "DATABASE_URL"})
    os.environ["DATABASE_URL"] = f"{PG_URL}/{DB_NAME}"
    logdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-payouts-"))
    REF_LOGDIR.append(logdir)

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
    ref, ref_port = start_reference(logdir, args.workers)
    load = Load(orders)
    failures_total = []
    rows = []
    try:
        # Warm every worker of both servers (imports, connections); checked like any round, not reported.
        warm = run_product(server, port, load, "spread", args.clients, 3, logdir, "warm")
        fails, max_id = invariants(load, "spread", "warm", port, max_id, int(warm["created201"]))
        run_reference(ref, ref_port, args.clients, 3)
        log(f"warm-up: product {fmt(warm)}; invariants {'OK' if not fails else fails}")
        failures_total += fails
        for rnd in range(1, args.rounds + 1):
            tps, pgbench_cpu = run_pgbench(args.clients, int(args.seconds))
            refres = run_reference(ref, ref_port, args.clients, args.seconds)
            rfails = reference_invariants()
            failures_total += rfails
            log(f"machine: {machine_load()}")
            log(f"round {rnd}: pgbench {tps:.0f} tps (PostgreSQL {pgbench_cpu:.2f} ms/txn) | reference {fmt(refres)} | "
                f"load {refres['loadavg']:.1f} | reference invariants {'OK' if not rfails else rfails}")
            for case in cases:
                prefix = f"r{rnd}{case}-{uuid.uuid4().hex[:8]}"
                res = run_product(server, port, load, case, args.clients, args.seconds, logdir, prefix)
                fails, max_id = invariants(load, case, prefix, port, max_id, int(res["created201"]))
                if res["other"] or res["errors_connect"] or res["read"] or res["timeout"]:
                    fails.append(f"answers neither 201 nor 4xx: {int(res['other'])}, socket errors/timeouts: "
                                 f"{int(res['errors_connect'] + res['read'] + res['timeout'])}")
                connections.close_all()
                failures_total += fails
                rows.append((rnd, case, tps, refres, res, fails))
                log(f"round {rnd} {case:6}: product {fmt(res)} | ×reference {res['rps'] / refres['rps']:.2f} "
                    f"×pgbench {res['rps'] / tps:.3f} | load {res['loadavg']:.1f} | "
                    f"invariants: {'OK' if not fails else '; '.join(fails)}")
    finally:
        for proc in (server, ref):
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()

    print(f"\n{args.clients} clients (wrk -t{min(WRK_THREADS, args.clients)} -c{args.clients}), {args.seconds:.0f} s each,"
          f" {args.workers} sync gunicorn workers for both servers")
    print("round case    pgbench  reference  product  ×ref   ×pgbench  p50 ms  p99 ms  ref p99  gunicorn ms  PG ms  "
          "ref gunicorn ms  ref PG ms  load  invariants")
    for rnd, case, tps, refres, res, fails in rows:
        print(f"{rnd:5} {case:7} {tps:7.0f} {refres['rps']:9.1f} {res['rps']:8.1f} {res['rps'] / refres['rps']:5.2f} "
              f"{res['rps'] / tps:8.3f} {res['p50_ms']:7.1f} {res['p99_ms']:7.1f} {refres['p99_ms']:7.1f} "
              f"{res['app_cpu_ms']:11.2f} {res['pg_cpu_ms']:6.2f} {refres['app_cpu_ms']:15.2f} "
              f"{refres['pg_cpu_ms']:10.2f} {res['loadavg']:5.1f}  {'OK' if not fails else 'FAILED'}")
    print(f"\nmedians of {args.rounds} round(s):")
    ok = True
    for case in cases:
        sel = [r for r in rows if r[1] == case]
        if not sel:
            continue
        ratio = statistics.median(r[4]["rps"] / r[3]["rps"] for r in sel)
        p99 = statistics.median(r[4]["p99_ms"] for r in sel)
        ok = ok and ratio >= 0.5 and p99 <= 60
        print(f"  {case:7}: product {statistics.median(r[4]['rps'] for r in sel):.1f} req/s, "
              f"reference {statistics.median(r[3]['rps'] for r in sel):.1f} req/s, ×reference {ratio:.2f}, "
              f"×pgbench {statistics.median(r[4]['rps'] / r[2] for r in sel):.3f} "
              f"(pgbench {statistics.median(r[2] for r in sel):.0f} tps), p50 "
              f"{statistics.median(r[4]['p50_ms'] for r in sel):.1f} ms, p99 {p99:.1f} ms "
              f"(reference {statistics.median(r[3]['p99_ms'] for r in sel):.1f} ms), CPU/request gunicorn "
              f"{statistics.median(r[4]['app_cpu_ms'] for r in sel):.2f} + PostgreSQL "
              f"{statistics.median(r[4]['pg_cpu_ms'] for r in sel):.2f} ms (reference "
              f"{statistics.median(r[3]['app_cpu_ms'] for r in sel):.2f} + "
              f"{statistics.median(r[3]['pg_cpu_ms'] for r in sel):.2f} ms)")
    print(f"invariants: {'all held' if not failures_total else 'BROKEN: ' + '; '.join(failures_total)}")

    shop_day_sum_cost()
    django.setup()
    if args.steps:
        steps_in_process(load, args.steps)
    inproc = profile_in_process(load, args.profile)
    hold_ok = inproc["hold_ms"] <= 3.0
    statements_ok = inproc["statements"] <= 15
    print(f"\ntargets of issue 21 at {args.clients} clients, medians of {len(rows) // max(len(cases), 1)} round(s):")
    if rows:
        print(f"  ×reference ≥ 0.5 (spread and hot) and p99 ≤ 60 ms: {'met' if ok else 'MISSED'}")
    else:
        ok = False
        print("  ×reference and p99: not measured (--rounds 0): MISSED")
    print(f"  shop-account lock hold ≤ 3 ms: {inproc['hold_ms']:.2f} ms (in-process median): "
          f"{'met' if hold_ok else 'MISSED'}")
    print(f"  ≤ 15 statements per request, after-commit work included: {inproc['statements']}: "
          f"{'met' if statements_ok else 'MISSED'}")
    print(f"  machine: {machine_load()}")
    met = ok and hold_ok and statements_ok
    print(f"TARGET {'MET' if met else 'MISSED'}")
    log(f"done in {time.time() - t_start:.0f} s (logs in {logdir})")
    if failures_total:
        return 1
    return 0 if met else 2


if __name__ == "__main__":
    sys.exit(main())
