"""Scale-out rehearsal on one machine (issue 14 item 4): two web nodes, two workers, two beats, one database.

    .venv/bin/python bench/scaleout.py [--seconds 60] [--threads 16] [--keep-db]

What it does:

1. drops and recreates its own database `backoffice_scaleout` (BENCH_PG_URL the server), migrates it, loads the
   demo scenario (`manage.py load_scenario demo/scenario.json`), then clones the demo's orders by SQL
   (`--clones` copies of each, items included, same buyers — so the sandbox wallets ok / invalid_account /
   no_answer / rail_busy all occur) so that a 60-second storm is not only refused by the 60 s per-order
   interval; flushes Redis db 15 (cache and broker; BENCH_REDIS_DB overrides);
2. starts, each in its own process group: two gunicorn web nodes (config.settings.production, two ports,
   no proxy: the client round-robins), two Celery workers (`-n w1@…`, `-n w2@…`) and two Celery beats, each
   with its own `--schedule` file (two beats on one schedule file cannot share it);
3. runs a bounded storm (`--seconds`, loopback only, stops by itself) from a thread pool (http.client):
   payout creations (POST /api/v1/payouts/, demo main-account tokens, a unique Idempotency-Key each; some
   with the SAME key sent to both nodes at once; some aimed at a few "hot" orders so the per-order limits
   refuse), continues of pending payouts (sometimes twice at once on both nodes), payout requests by the
   sub-accounts without quota and their approval (sometimes twice at once on both nodes), and
   `manage.py run_clocks` two at a time in a loop; meanwhile it SIGKILLs and restarts one web node, one
   worker and one beat (the whole process group), and measures how long each takes to be back;
4. waits for the broker queue to drain, runs `run_clocks` once, then checks the invariants and prints them,
   the counts per operation and the throughput, and rows written per payout to the fastest-growing tables.

Exit status 1 if an invariant broke. Connection errors to a node while it is killed are counted apart; any
other 5xx or connection error is a failure. Not part of the test suite. Results: docs/DEPLOY.md.
"""

import argparse
import http.client
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import payouts_api as pa  # noqa: E402  (reuse its env, database and port helpers)

DB_NAME = "backoffice_scaleout"
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "15"))
pa.DB_NAME = DB_NAME
pa.CACHE_URL = f"rediscache://127.0.0.1:6379/{REDIS_DB}"
pa.BROKER_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
log = pa.log
MANAGE = [sys.executable, str(ROOT / "manage.py")]
ADMINS = {"dy": "tok-dy_admin", "pdd": "tok-pdd_admin"}
REQUESTERS = {"dy": "tok-dy_cs2", "pdd": "tok-pdd_cs2"}
GROWTH_TABLES = ["payouts_payout", "payouts_payoutevent", "orders_orderevent", "aftersales_ticketevent",
                 "accounts_ledgerentry", "notifications_notification", "core_idempotencykey",
                 "payouts_sandboxtransfer", "payouts_payoutrequest"]


def pg():
    import psycopg

    return psycopg.connect(host=pa.PG["host"], port=pa.PG["port"], user=pa.PG["user"], password=pa.PG["password"],
                           dbname=DB_NAME, autocommit=True)


def q(sql, params=()):
    with pg() as conn:
        return conn.execute(sql, params).fetchall()


def manage(env, *args, check=True, timeout=600):
    r = subprocess.run([*MANAGE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def clone_orders(copies: int) -> None:
    """copies × every demo order (numbers <order_no>C<n>), with their items; created now (within every age rule)."""
    with pg() as conn:
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders_order' "
            "AND column_name NOT IN ('id', 'order_no', 'created_at', 'paid_at') ORDER BY ordinal_position").fetchall()]
        icols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders_orderitem' "
            "AND column_name NOT IN ('id', 'order_id') ORDER BY ordinal_position").fetchall()]
        c = ", ".join(cols)
        conn.execute(f"""INSERT INTO orders_order (order_no, created_at, paid_at, {c})
                         SELECT o.order_no || 'C' || g, now() - interval '2 days', now() - interval '2 days', {c}
                         FROM orders_order o, generate_series(1, %s) g
                         WHERE o.status = 'shipped' AND o.order_no NOT LIKE '%%C%%'""", [copies])
        ic = ", ".join(icols)
        conn.execute(f"""INSERT INTO orders_orderitem (order_id, {ic})
                         SELECT n.id, {", ".join("i." + x for x in icols)} FROM orders_order n
                         JOIN orders_order o ON o.order_no = split_part(n.order_no, 'C', 1)
                         JOIN orders_orderitem i ON i.order_id = o.id WHERE n.order_no LIKE '%%C%%'""")
        conn.execute("VACUUM ANALYZE")


# ------------------------------------------------------------------------------------------- processes


class Proc:
    """One supervised process in its own process group (SIGKILL reaches a gunicorn's workers too)."""

    def __init__(self, name, cmd, env, logdir, port=None):
        self.name, self.cmd, self.env, self.logdir, self.port = name, cmd, env, logdir, port
        self.p = None
        self.start()

    def start(self):
        logf = open(self.logdir / f"{self.name}.log", "a")  # noqa: SIM115 - lives as long as the process
        self.p = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=logf, stderr=subprocess.STDOUT,
                                  start_new_session=True)

    def kill(self, sig=signal.SIGKILL):
        try:
            os.killpg(self.p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait(5)


def web_up(port, timeout=60.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/shop/balance/", headers={"Authorization": "Token tok-dy_admin"})
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"web node on {port} not up within {timeout} s")


def worker_up(env, name, timeout=60.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        r = subprocess.run([sys.executable, "-m", "celery", "-A", "config", "inspect", "ping", "-d", name, "-t", "1"],
                           cwd=ROOT, env=env, capture_output=True, text=True)
        if r.returncode == 0 and "pong" in r.stdout:
            return time.perf_counter() - t0
        time.sleep(0.2)
    return float("nan")


def beat_up(proc, marker="Starting...", before=None, timeout=75.0) -> float:
    """Until the restarted beat logs `marker` (its start, or its first due task) once more than `before`."""
    path = proc.logdir / f"{proc.name}.log"
    before = path.read_text().count(marker) if before is None else before
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if path.read_text().count(marker) > before:
            return time.perf_counter() - t0
        time.sleep(0.1)
    return float("nan")


# ------------------------------------------------------------------------------------------- client


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = defaultdict(Counter)  # op -> Counter(sent, 2xx, 4xx:<code>, 5xx, conn_killed, conn_other)
        self.key_payouts = defaultdict(set)  # Idempotency-Key -> payout ids answered
        self.pending = []
        self.requests = []  # (shop, request id)
        self.problems = []

    def add(self, op, what, n=1):
        with self.lock:
            self.ops[op][what] += n


class Client:
    def __init__(self, ports, stats, down):
        self.ports, self.stats, self.down = ports, stats, down
        self.local = threading.local()
        self.rr = 0

    def node(self):
        self.rr += 1
        return self.rr % len(self.ports)

    def call(self, op, node, method, path, token, body=None, key=None):
        """One request; returns (status, json) or (None, None) on a connection error."""
        port = self.ports[node]
        conns = self.local.__dict__.setdefault("conns", {})
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        data = json.dumps(body).encode() if body is not None else None
        self.stats.add(op, "sent")
        was_down = node in self.down
        for attempt in (0, 1):
            conn = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conns[port] = conn
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conns.pop(port, None)
                # A keep-alive connection the server closed while idle: retry once on a fresh one, only for
                # reads (a POST may have run; its key would answer the replay, but count what we saw).
                if attempt == 0 and method == "GET" and not (was_down or node in self.down):
                    continue
                kind = "conn_killed_node" if (was_down or node in self.down) else "conn_error_other"
                self.stats.add(op, kind)
                if kind == "conn_error_other":
                    self.stats.problems.append(f"{op} to node {node + 1}: {exc!r}")
                return None, None
        st = resp.status
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        if 200 <= st < 300:
            self.stats.add(op, "2xx")
        elif 400 <= st < 500:
            code = payload.get("code") if isinstance(payload, dict) else "?"
            self.stats.add(op, f"4xx {st} {code}")
        else:
            self.stats.add(op, f"5xx {st}")
            self.stats.problems.append(f"{op} node {node + 1}: {st} {raw[:200]!r}")
        return st, payload


def body(order_no, rnd):
    return {"order_no": order_no, "type": "shipping_fee", "amount": f"{rnd.randint(1, 30)}.{rnd.randint(0, 99):02d}",
            "reason": "scaleout", "buyer_message": "scaleout"}


def storm(client: Client, stats: Stats, orders, hot, seconds, threads, tag):
    stop_at = time.monotonic() + seconds
    two = ThreadPoolExecutor(max_workers=threads * 2)  # for the "both nodes at once" pairs

    def remember(st, payload, key):
        if st in (200, 201) and isinstance(payload, dict) and "id" in payload:
            with stats.lock:
                if key:
                    stats.key_payouts[key].add(payload["id"])
                if payload.get("status") == "pending":
                    stats.pending.append((payload["_shop"], payload["id"]) if "_shop" in payload else payload["id"])

    def create(rnd, n):
        shop, order_no = rnd.choice(hot) if rnd.random() < 0.15 else rnd.choice(orders)
        key = f"{tag}-c-{n}"
        st, p = client.call("create", client.node(), "POST", "/api/v1/payouts/", ADMINS[shop], body(order_no, rnd), key)
        if p is not None and isinstance(p, dict):
            p["_shop"] = shop
        remember(st, p, key)

    def create_twin(rnd, n):
        shop, order_no = rnd.choice(orders)
        key = f"{tag}-twin-{n}"
        b = body(order_no, rnd)
        futs = [two.submit(client.call, "create_same_key_pair", node, "POST", "/api/v1/payouts/", ADMINS[shop], b, key)
                for node in (0, 1)]
        for f in futs:
            st, p = f.result()
            if isinstance(p, dict):
                p["_shop"] = shop
            remember(st, p, key)

    def cont(rnd, n):
        with stats.lock:
            item = stats.pending.pop(rnd.randrange(len(stats.pending))) if stats.pending else None
        if item is None:
            shop = rnd.choice(list(ADMINS))
            st, p = client.call("list_pending", client.node(), "GET", "/api/v1/payouts/?status=pending", ADMINS[shop])
            if st == 200 and isinstance(p, dict):
                with stats.lock:
                    stats.pending += [(shop, r["id"]) for r in p.get("results", [])[:20]]
            return
        shop, pid = item
        path = f"/api/v1/payouts/{pid}/continue/"
        if rnd.random() < 0.3:  # the same payout continued on both nodes at once (two operators)
            futs = [two.submit(client.call, "continue_pair", node, "POST", path, ADMINS[shop], {}, f"{tag}-k-{n}-{node}")
                    for node in (0, 1)]
            [f.result() for f in futs]
        else:
            client.call("continue", client.node(), "POST", path, ADMINS[shop], {}, f"{tag}-k-{n}")

    def approve(rnd, n):
        shop, order_no = rnd.choice(orders)
        st, p = client.call("request_create", client.node(), "POST", "/api/v1/payout-requests/", REQUESTERS[shop],
                            body(order_no, rnd), f"{tag}-r-{n}")
        if st != 201 or not isinstance(p, dict):
            return
        path = f"/api/v1/payout-requests/{p['id']}/approve/"
        if rnd.random() < 0.4:  # approved on both nodes at once (two managers), different keys
            futs = [two.submit(client.call, "approve_pair", node, "POST", path, ADMINS[shop], {}, f"{tag}-a-{n}-{node}")
                    for node in (0, 1)]
            for node, f in enumerate(futs):
                st2, p2 = f.result()
                remember(st2, p2, f"{tag}-a-{n}-{node}")
        else:
            st2, p2 = client.call("approve", client.node(), "POST", path, ADMINS[shop], {}, f"{tag}-a-{n}")
            remember(st2, p2, f"{tag}-a-{n}")

    ops = [(create, 0.6), (create_twin, 0.12), (cont, 0.13), (approve, 0.15)]
    counter = iter(range(10**9))
    counter_lock = threading.Lock()

    def loop(seed):
        rnd = random.Random(seed)
        while time.monotonic() < stop_at:
            with counter_lock:
                n = next(counter)
            r, acc = rnd.random(), 0.0
            for fn, w in ops:
                acc += w
                if r < acc:
                    fn(rnd, n)
                    break

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(loop, range(threads)))
    two.shutdown()


def clocks_loop(env, stop: threading.Event, stats: Stats):
    """`manage.py run_clocks` two at a time, again and again, until the storm ends."""
    while not stop.is_set():
        procs = [subprocess.Popen([*MANAGE, "run_clocks"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for p in procs:
            _, err = p.communicate()
            stats.add("run_clocks", "sent")
            stats.add("run_clocks", "exit 0" if p.returncode == 0 else f"exit {p.returncode}")
            if p.returncode:
                stats.problems.append(f"run_clocks exited {p.returncode}: {err[-300:]}")


# ------------------------------------------------------------------------------------------- invariants


def invariants(env, stats: Stats) -> list[tuple[str, bool, str]]:
    out = []

    def chk(name, bad, detail=""):
        out.append((name, not bad, detail))

    r = manage(env, "verify_ledger", check=False)
    chk("verify_ledger clean", r.returncode != 0, (r.stdout + r.stderr).strip()[-300:])
    n = q("""SELECT count(*) FROM (SELECT ref_id FROM accounts_ledgerentry WHERE kind = 'payout_hold'
              GROUP BY ref_id HAVING count(*) > 1) x""")[0][0]
    chk("every payout holds at most once (payout_hold entries per payout ≤ 1)", n, f"{n} payouts held twice")
    n = q("""SELECT count(*) FROM payouts_payout p WHERE p.pay_method = 'balance' AND p.amount > 0 AND NOT EXISTS
              (SELECT 1 FROM accounts_ledgerentry l WHERE l.kind = 'payout_hold' AND l.ref_id = p.id::text)""")[0][0]
    chk("every balance payout holds exactly once (no balance payout without its hold)", n, f"{n} without a hold")
    multi = {k: v for k, v in stats.key_payouts.items() if len(v) > 1}
    chk("no Idempotency-Key answered two payouts (client side)", multi, str(list(multi.items())[:5]))
    n = q("""SELECT count(*) FROM (SELECT user_id, key FROM core_idempotencykey GROUP BY 1, 2 HAVING count(*) > 1) x""")[0][0]
    chk("one idempotency row per (user, key)", n, f"{n} duplicated keys")
    n = q("SELECT count(*) FROM core_idempotencykey WHERE state <> 'done'")[0][0]
    chk("no idempotency key left in progress", n, f"{n} left")
    seen = {pid for ids in stats.key_payouts.values() for pid in ids}
    created = q("SELECT count(*) FROM payouts_payout WHERE reason = 'scaleout'")[0][0]
    keys_used = sum(stats.ops[op]["sent"] for op in ("create", "approve")) + \
        stats.ops["create_same_key_pair"]["sent"] // 2 + stats.ops["approve_pair"]["sent"] // 2
    chk("payouts created ≤ distinct creating keys and requests (one payout per key)", created > keys_used,
        f"{created} payouts, {keys_used} keys; {len(seen)} seen by the client")
    n = q("""SELECT count(*) FROM (SELECT request_id FROM payouts_payout WHERE request_id IS NOT NULL
              GROUP BY 1 HAVING count(*) > 1) x""")[0][0] if q(
        "SELECT 1 FROM information_schema.columns WHERE table_name='payouts_payout' AND column_name='request_id'") \
        else q("""SELECT count(*) FROM payouts_payoutrequest r WHERE r.payout_id IS NOT NULL AND
                   (SELECT count(*) FROM payouts_payoutrequest r2 WHERE r2.payout_id = r.payout_id) > 1""")[0][0]
    chk("one payout per approved request", n, f"{n}")
    n = q("""SELECT count(*) FROM (SELECT p.order_id FROM payouts_payout p JOIN orders_order o ON o.id = p.order_id
              JOIN accounts_shop s ON s.id = p.shop_id JOIN accounts_platformprofile f ON f.id = s.profile_id
              WHERE p.counted GROUP BY p.order_id, f.payouts_per_order HAVING count(*) > f.payouts_per_order) x""")[0][0]
    chk("no order over its payouts-per-order count (platform profile)", n, f"{n} orders")
    n = q("""SELECT count(*) FROM (SELECT p.order_id,
                  CASE WHEN EXISTS (SELECT 1 FROM orders_orderitem i WHERE i.order_id = p.order_id AND i.promo)
                       THEN max(f.order_cap_promo) ELSE max(f.order_cap) END AS cap, sum(p.amount) AS s
              FROM payouts_payout p JOIN accounts_shop sh ON sh.id = p.shop_id
              JOIN accounts_platformprofile f ON f.id = sh.profile_id WHERE p.counted GROUP BY p.order_id) x
              WHERE s > cap""")[0][0]
    chk("no order over its per-order cap", n, f"{n} orders")
    n = q("""SELECT count(*) FROM (SELECT p.order_id, p.created_at - lag(p.created_at) OVER
                  (PARTITION BY p.order_id ORDER BY p.created_at) AS gap, f.payout_interval_seconds AS iv
              FROM payouts_payout p JOIN accounts_shop sh ON sh.id = p.shop_id
              JOIN accounts_platformprofile f ON f.id = sh.profile_id) x
              WHERE gap < iv * interval '1 second'""")[0][0]
    chk("no two payouts of one order within the profile's interval", n, f"{n} pairs")
    n = q("""SELECT count(*) FROM (SELECT p.shop_id, p.day FROM payouts_payout p JOIN accounts_shop s ON s.id = p.shop_id
              JOIN accounts_platformprofile f ON f.id = s.profile_id WHERE p.counted
              GROUP BY p.shop_id, p.day, f.shop_daily_cap HAVING sum(p.amount) > f.shop_daily_cap) x""")[0][0]
    chk("no shop over its daily cap (platform profile)", n, f"{n} shop-days")
    n = q("SELECT count(*) FROM accounts_shopaccount WHERE balance < 0 OR frozen < 0 OR balance - frozen < 0")[0][0]
    chk("no balance below zero", n, f"{n}")
    n = q("""SELECT count(*) FROM (SELECT payout_id FROM payouts_payoutevent WHERE type = 'succeeded'
              GROUP BY 1 HAVING count(*) > 1) x""")[0][0]
    chk("no payout succeeded twice (two `succeeded` events)", n, f"{n}")
    n = q("""SELECT count(*) FROM (SELECT payout_id FROM payouts_payoutevent WHERE type = 'created'
              GROUP BY 1 HAVING count(*) > 1) x""")[0][0]
    chk("no payout created twice (two `created` events)", n, f"{n}")
    n = q("SELECT count(*) FROM (SELECT ref FROM payouts_sandboxtransfer GROUP BY 1 HAVING count(*) > 1) x")[0][0]
    chk("one sandbox transfer per business key", n, f"{n}")
    n = q("""SELECT count(*) FROM (SELECT payout_id FROM payouts_sandboxtransfer WHERE status = 'succeeded'
              GROUP BY 1 HAVING count(*) > 1) x""")[0][0]
    chk("no payout paid twice by the rail (succeeded transfers per payout ≤ 1)", n, f"{n}")
    n = q("""SELECT count(*) FROM (SELECT ref_id FROM accounts_ledgerentry WHERE kind IN ('hold_release', 'payout_return')
              GROUP BY ref_id, kind HAVING count(*) > 1) x""")[0][0]
    chk("no hold released or returned twice", n, f"{n}")
    bad5 = sum(v for c in stats.ops.values() for k, v in c.items() if k.startswith("5xx") or k == "conn_error_other")
    chk("no 5xx and no connection error outside a killed node", bad5, "; ".join(stats.problems[:5]))
    bad_clock = sum(v for k, v in stats.ops["run_clocks"].items() if k.startswith("exit") and k != "exit 0")
    chk("every parallel run_clocks exited 0", bad_clock, "")
    return out


def table_counts():
    return {t: q(f"SELECT count(*) FROM {t}")[0][0] for t in GROWTH_TABLES}


# ------------------------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--web-workers", type=int, default=3, help="sync gunicorn workers per node")
    ap.add_argument("--clones", type=int, default=60, help="copies of each demo order")
    ap.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    args = ap.parse_args()
    t_start = time.time()
    env = pa.child_env(600)
    env["API_FAILED_AUTH_RATE"] = "none"
    env["DATABASE_URL"] = f"{pa.PG_URL}/{DB_NAME}?conn_max_age=600"
    logdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-scaleout-"))

    log(f"database {DB_NAME}: drop, create, migrate, load demo/scenario.json, clone orders ×{args.clones} …")
    pa.recreate_database(DB_NAME)
    manage(env, "migrate", "--noinput")
    manage(env, "load_scenario", "demo/scenario.json")
    clone_orders(args.clones)
    import redis

    redis.Redis(db=REDIS_DB).flushdb()
    orders = [(shop, no) for (shop, no) in q(
        """SELECT s.key, o.order_no FROM orders_order o JOIN accounts_shop s ON s.id = o.shop_id
           WHERE o.order_no LIKE '%%C%%' AND s.key IN ('dy', 'pdd') ORDER BY o.id""")]
    random.Random(1).shuffle(orders)
    hot, orders = orders[:8], orders[8:]
    base_counts = table_counts()
    log(f"{len(orders)} cloned orders for the storm, {len(hot)} hot orders; redis db {REDIS_DB} flushed; logs {logdir}")

    ports = [pa.free_port(), pa.free_port()]
    procs = {}
    for i, port in enumerate(ports, 1):
        procs[f"web{i}"] = Proc(f"web{i}", [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
                                            f"127.0.0.1:{port}", "--workers", str(args.web_workers),
                                            "--no-control-socket", "--timeout", "60", "--keep-alive", "30",
                                            "--log-level", "warning"], env, logdir, port)
    for i in (1, 2):
        procs[f"worker{i}"] = Proc(f"worker{i}", [sys.executable, "-m", "celery", "-A", "config", "worker", "-n",
                                                  f"w{i}@scaleout", "--concurrency", "2", "--loglevel", "INFO",
                                                  "--without-gossip", "--without-mingle"], env, logdir)
        procs[f"beat{i}"] = Proc(f"beat{i}", [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel",
                                              "INFO", "--schedule", str(logdir / f"beat{i}-schedule")], env, logdir)
    status = 1
    try:
        for i, port in enumerate(ports, 1):
            log(f"web{i} on 127.0.0.1:{port} up in {web_up(port):.1f} s")
        for i in (1, 2):
            log(f"worker{i} answers ping after {worker_up(env, f'w{i}@scaleout'):.1f} s")

        stats = Stats()
        down: set[int] = set()
        client = Client(ports, stats, down)
        recovery = {}
        stop = threading.Event()
        clocks = threading.Thread(target=clocks_loop, args=(env, stop, stats), daemon=True)

        def chaos():
            s = args.seconds
            time.sleep(s * 0.2)
            down.add(1)
            t0 = time.perf_counter()
            procs["web2"].kill()
            log("SIGKILL web2 (gunicorn master and its workers)")
            time.sleep(2)
            procs["web2"].start()
            web_up(ports[1])
            recovery["web2"] = (time.perf_counter() - t0, time.perf_counter() - t0 - 2)
            down.discard(1)
            log(f"web2 back: {recovery['web2'][0]:.1f} s after the kill ({recovery['web2'][1]:.1f} s after restart)")
            time.sleep(max(0.0, s * 0.4 - (time.perf_counter() - t0) - s * 0.2))
            t0 = time.perf_counter()
            procs["worker1"].kill()
            log("SIGKILL worker1 (its reserved tasks stay unacknowledged in Redis until redelivered: acks_late)")
            time.sleep(2)
            procs["worker1"].start()
            w = worker_up(env, "w1@scaleout")
            recovery["worker1"] = (time.perf_counter() - t0, w)
            log(f"worker1 back: {recovery['worker1'][0]:.1f} s after the kill ({w:.1f} s after restart)")
            time.sleep(max(0.0, s * 0.2 - (time.perf_counter() - t0)))
            t0 = time.perf_counter()
            procs["beat1"].kill()
            log("SIGKILL beat1")
            time.sleep(2)
            sent_before = (logdir / "beat1.log").read_text().count("Sending due task")
            procs["beat1"].start()
            b = beat_up(procs["beat1"])
            recovery["beat1"] = (time.perf_counter() - t0, b)
            log(f"beat1 back: {recovery['beat1'][0]:.1f} s after the kill (ticking {b:.1f} s after restart)")
            d = beat_up(procs["beat1"], "Sending due task", sent_before)
            recovery["beat1 due"] = (time.perf_counter() - t0, b + d)
            log(f"beat1 sends its next due task {recovery['beat1 due'][0]:.1f} s after the kill (its schedule file "
                "keeps the last run times)")

        log(f"storm: {args.seconds:.0f} s, {args.threads} client threads round-robin over 2 nodes, run_clocks ×2 "
            "in a loop, kills at 20 % (web2), 40 % (worker1), 60 % (beat1)")
        chaos_t = threading.Thread(target=chaos, daemon=True)
        tag = uuid.uuid4().hex[:6]
        t0 = time.perf_counter()
        clocks.start()
        chaos_t.start()
        storm(client, stats, orders, hot, args.seconds, args.threads, tag)
        wall = time.perf_counter() - t0
        stop.set()
        chaos_t.join(120)
        clocks.join(300)
        log(f"storm over after {wall:.1f} s; waiting for the queue to drain …")
        r = redis.Redis(db=REDIS_DB)
        t1 = time.perf_counter()
        while time.perf_counter() - t1 < 120:
            if r.llen("celery") == 0:
                break
            time.sleep(0.5)
        time.sleep(3)
        drain = time.perf_counter() - t1
        # A SIGKILLed worker's reserved tasks (acks_late) stay in Redis' `unacked` hash until the transport's
        # visibility_timeout (1 h by default) before any worker gets them again: the clocks recover sooner.
        unacked = []
        for v in r.hvals("unacked"):
            msg = json.loads(v)
            msg = msg[0] if isinstance(msg, list) else msg  # kombu keeps [message, exchange, routing key]
            unacked.append(msg.get("headers", {}) if isinstance(msg, dict) else {})
        unacked_tasks = Counter(h.get("task", "?") for h in unacked)
        processing_before = q("SELECT count(*) FROM payouts_payout WHERE status = 'processing'")[0][0]
        manage(env, "run_clocks")
        processing_after = q("SELECT count(*) FROM payouts_payout WHERE status = 'processing'")[0][0]
        log(f"queue drained in {drain:.1f} s (left: {r.llen('celery')}); unacknowledged tasks of the killed worker "
            f"still parked in Redis: {dict(unacked_tasks) or 0}; run_clocks once: processing payouts "
            f"{processing_before} → {processing_after}")
        counts = table_counts()

        print("\n=== operations (client side) ===")
        total_http = 0
        for op, c in sorted(stats.ops.items()):
            rest = ", ".join(f"{k}: {v}" for k, v in sorted(c.items()) if k not in ("sent", "2xx"))
            print(f"  {op:22} sent {c['sent']:6}  2xx {c['2xx']:6}  {rest}")
            if op != "run_clocks":
                total_http += c["sent"]
        print(f"  HTTP requests: {total_http} in {wall:.1f} s = {total_http / wall:.1f} req/s over 2 nodes; "
              f"run_clocks runs: {stats.ops['run_clocks']['sent']}")
        created = counts["payouts_payout"] - base_counts["payouts_payout"]
        print(f"  payouts created: {created} ({created / wall:.1f}/s); by status: "
              + ", ".join(f"{s}: {n}" for s, n in q(
                  "SELECT status, count(*) FROM payouts_payout WHERE reason = 'scaleout' GROUP BY 1 ORDER BY 2 DESC")))
        print("\n=== recovery after SIGKILL (restart 2 s after the kill) ===")
        for name, (total, inner) in recovery.items():
            what = {"web2": "answering again", "worker1": "answering ping", "beat1": "started, ticking",
                    "beat1 due": "sending its next due task"}[name]
            print(f"  {name:8} {what} {total:.1f} s after the kill ({inner:.1f} s after its restart)")
        print(f"  queue drained {drain:.1f} s after the storm (3 s minimum wait); tasks the killed worker had reserved, "
              f"still unacknowledged in Redis (redelivered only after the visibility timeout): "
              f"{sum(unacked_tasks.values())} {dict(unacked_tasks)}; the final run_clocks moved processing payouts "
              f"{processing_before} → {processing_after}")
        print("\n=== rows written per payout created (storm + drain + final run_clocks) ===")
        for t in GROWTH_TABLES:
            d = counts[t] - base_counts[t]
            print(f"  {t:30} +{d:7}  {d / created if created else 0:6.2f} per payout")
        print("\n=== invariants ===")
        results = invariants(env, stats)
        for name, ok, detail in results:
            print(f"  {'OK    ' if ok else 'FAILED'} {name}" + ("" if ok or not detail else f": {detail}"))
        failed = [n for n, ok, _ in results if not ok]
        print(f"\ninvariants: {'all held' if not failed else 'BROKEN: ' + '; '.join(failed)}")
        status = 1 if failed else 0
    finally:
        for p in procs.values():
            p.kill(signal.SIGTERM)
        try:
            redis.Redis(db=REDIS_DB).flushdb()
        except Exception:  # noqa: BLE001 - best effort
            pass
        if not args.keep_db:
            import psycopg

            with psycopg.connect(
                    host=pa.PG["host"], port=pa.PG["port"], user=pa.PG["user"], password=pa.PG["password"],
                    dbname="postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        log(f"done in {time.time() - t_start:.0f} s (logs in {logdir}); exit {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
