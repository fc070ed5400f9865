"""OPS-02: /metrics under gunicorn with 3 workers (config/gunicorn.conf.py): the request counters of every
worker add up, whichever worker answers the scrape, and the product's figures are the same from each."""

import concurrent.futures
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKEN = "gunicorn-metrics-token-0123456789"

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def _requests_total(text: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == "backoffice_http_requests_total")


def _product(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text)
            for s in f.samples if s.name.startswith(("backoffice_payouts", "backoffice_clock_interval"))}


@pytest.fixture
def gunicorn(tmp_path):
    port = _free_port()
    settings = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/"
                           f"{settings['NAME']}",
           "METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "WEB_CONCURRENCY": "3",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.25)
        else:
            raise AssertionError(f"gunicorn did not start: {process.stderr.read1().decode()[-2000:]}")
        yield base, tmp_path / "prom"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_ops_02_metrics_from_three_gunicorn_workers_add_up(gunicorn):
    """OPS-02: 120 requests spread over 3 workers; every scrape (answered by any worker) counts all of them."""
    base, directory = gunicorn
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: _get(f"{base}/healthz")[0], range(119)))
    assert statuses == [200] * 119
    sent = 120  # and the start-up probe
    pids = {p.stem.rsplit("_", 1)[-1] for p in directory.glob("counter_*.db")}
    assert len(pids) >= 2, f"the requests reached only {pids}"
    scrapes = []
    for i in range(6):
        status, text = _get(f"{base}/metrics", TOKEN)
        assert status == 200
        # each earlier scrape is a request too; this one is counted after it answers
        assert _requests_total(text) == sent + i
        scrapes.append(_product(text))
    assert all(product == scrapes[0] for product in scrapes) and scrapes[0]
