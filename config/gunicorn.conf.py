"""gunicorn for the web nodes: `gunicorn -c config/gunicorn.conf.py config.wsgi` (docs/DEPLOY.md).

Several worker processes share one /metrics (OPS-02): prometheus-client's multiprocess mode. Each worker
writes its request and database counters to files in PROMETHEUS_MULTIPROC_DIR; whichever worker answers a
scrape adds up the files of all of them (ops.metrics). The directory is emptied when gunicorn starts, so a
restart does not add the previous run's figures twice (Prometheus sees a counter reset, as after any restart).
The product's own metrics come from the database and are the same from every worker.
"""

import os
import pathlib

from prometheus_client import multiprocess

_BASE = pathlib.Path(__file__).resolve().parent.parent

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then (memory); the multiprocess files of dead workers still count
max_requests_jitter = 200
# Each request is logged once, as JSON, by core.observability.RequestLogMiddleware: no access log here.
accesslog = None
errorlog = "-"
# The proxy in front sets X-Forwarded-Proto (production settings trust it when told to).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Before the application (and prometheus-client) is imported in a worker: the workers inherit this.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_BASE / "var" / "prometheus"))


def on_starting(server) -> None:
    directory = pathlib.Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    multiprocess.mark_process_dead(worker.pid)
