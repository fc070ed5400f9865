"""What an operator sees of the running product (SPEC §15, OPS-02..04): request ids, one JSON log line per
request and per task, scrubbed of secrets, request and database metrics, rail-call outcomes and latency,
and Sentry.

- `RequestLogMiddleware` takes the request id from `X-Request-ID` (or makes one), returns it in the response
  header, keeps it (and the user and shop) in context variables that every log line of the request carries,
  and logs one line per request: method, route, status, duration, database queries, outcome.
- The Celery signals below carry the request id into the tasks a request enqueues (a message header) and log
  one line per task with the same fields.
- `JsonFormatter` / `TextFormatter` scrub every line they write (`scrub`): values under secret-looking keys,
  `Bearer`/`Token` credentials, card numbers (Luhn-valid 13–19 digits), Chinese ID and mobile numbers, and the
  configured secrets themselves (platform and rail secrets, the callback secrets, the metrics token).
  Request bodies are never logged, so names and addresses typed into a form never reach a line.
- `rail_call(rail, op)` wraps one call to a payment rail: it records the outcome and latency in the database
  (core.RailCall, core.RailCallTotal), so `/metrics` and 系统状态 see the calls of every process.
- `sentry_init()` reports errors to Sentry when `SENTRY_DSN` is set, with `before_send` scrubbing personal data.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from prometheus_client import Counter, Histogram
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

logger = logging.getLogger("backoffice.request")
task_logger = logging.getLogger("backoffice.task")
rail_logger = logging.getLogger("backoffice.rail")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
user_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("log_user", default=None)
shop_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("log_shop", default=None)
request_var: contextvars.ContextVar[Any] = contextvars.ContextVar("log_request", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# --- scrubbing --------------------------------------------------------------------------------------------

REDACTED = "[redacted]"
# Keys whose values never reach a log line or Sentry, whatever they hold.
SENSITIVE_KEY = re.compile(
    r"pass(word|wd)?|secret|token|authori[sz]ation|cookie|session|csrf|signature|^sign$|api_?key|app_?key|"
    r"private_?key|card|account_?(no|number)|bank|real_?name|id_?card|id_?number|phone|mobile|receiver|"
    r"address|dsn|credential|sealed",
    re.I,
)
_INLINE_SECRET = re.compile(
    r"(?i)\b((?:[a-z_]*?)(?:password|passwd|secret|token|authorization|signature|sign|api_?key|app_?key|card_?no|"
    r"card_?number|real_?name|id_?card|phone|mobile)[a-z_]*)(\"?\s*[:=]\s*\"?)([^\"&\s,;}]+)"
)
_CREDENTIAL = re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_DIGITS = re.compile(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d.])")
_CN_ID = re.compile(r"(?<![\d.])\d{17}[\dXx](?![\d.])")
_CN_MOBILE = re.compile(r"(?<![\d.])1[3-9]\d{9}(?![\d.])")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return REDACTED if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


_secret_values: tuple[str, ...] | None = None


def configured_secrets() -> tuple[str, ...]:
    """The secrets of the settings (platform app secrets, callback secrets, rail keys, metrics token …)."""
    global _secret_values
    if _secret_values is None:
        from django.conf import settings

        names = ["SECRET_KEY", "DOUYIN_APP_SECRET", "PDD_CLIENT_SECRET", "PAYOUT_CALLBACK_SECRET",
                 "COURIER_CALLBACK_SECRET", "METRICS_TOKEN", "SENTRY_DSN"]
        values = [str(getattr(settings, n, "") or "") for n in names]
        values += [str(k) for k in getattr(settings, "PAYMENT_RAIL_KEYS", []) or []]
        _secret_values = tuple(sorted({v for v in values if len(v) >= 8}, key=len, reverse=True))
    return _secret_values


def scrub_text(text: str) -> str:
    for secret in configured_secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _INLINE_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _CN_ID.sub(REDACTED, text)
    text = _DIGITS.sub(_card, text)
    return _CN_MOBILE.sub(REDACTED, text)


def scrub(value: Any, key: str = "") -> Any:
    """A copy of `value` with secrets and personal data replaced (dicts by key, strings by pattern)."""
    if key and SENSITIVE_KEY.search(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


# --- log formatting ---------------------------------------------------------------------------------------

def _resolved_user(request) -> Any:
    """The request's user if authentication already ran (never triggers a query from a log call)."""
    from django.utils.functional import SimpleLazyObject, empty

    user = request.__dict__.get("user") if request is not None else None
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def current_user_shop() -> tuple[int | None, int | None]:
    """The user and shop of the running request (once authenticated) or task."""
    user = _resolved_user(request_var.get())
    if user is not None:
        return user.pk, getattr(user, "shop_id", None)
    return user_var.get(), shop_var.get()


class ContextFilter(logging.Filter):
    """Adds the request id, user and shop of the running request or task to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "user", None) is None and getattr(record, "shop", None) is None:
            record.user, record.shop = current_user_shop()
        return True


# Attributes of Django's own records that would drag a whole request (with its query string) into a line.
_DROPPED = {"request", "server_time", "color_message"}


class JsonFormatter(_BaseJsonFormatter):
    """python-json-logger's formatter: one JSON object per line, every value scrubbed."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict) -> dict:
        for key in _DROPPED:
            log_data.pop(key, None)
        return scrub(log_data)


class TextFormatter(logging.Formatter):
    """Plain lines for people at a terminal (LOG_FORMAT=text), scrubbed the same way."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return scrub_text(line)


# --- metrics (in-process; multiprocess-safe under gunicorn with PROMETHEUS_MULTIPROC_DIR) ------------------

HTTP_REQUESTS = Counter("backoffice_http_requests_total", "HTTP requests served", ["method", "status"])
HTTP_SECONDS = Histogram("backoffice_http_request_seconds", "HTTP request duration", ["method"],
                         buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
DB_QUERIES = Counter("backoffice_db_queries_total", "Database queries run by web requests")
DB_SECONDS = Histogram("backoffice_db_query_seconds", "Database query duration (web requests)",
                       buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5))
DB_ERRORS = Counter("backoffice_db_errors_total", "Database queries of web requests that raised")


class _QueryTimer:
    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        except Exception:
            DB_ERRORS.inc()
            raise
        finally:
            elapsed = time.perf_counter() - started
            self.count += 1
            self.seconds += elapsed
            DB_SECONDS.observe(elapsed)


def incoming_request_id(value: str | None) -> str:
    """The caller's X-Request-ID when it is a plain token (≤ 64 characters), else a new one."""
    if value and _REQUEST_ID_OK.match(value):
        return value
    # 32 characters of base32 (a–z, 2–7): a made id never holds a digit run the log scrubber would take for a
    # card, ID or mobile number (a uuid's hex did, now and then, and was logged as "[redacted]").
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()


def _outcome(status: int) -> str:
    return "ok" if status < 400 else "client_error" if status < 500 else "server_error"


class RequestLogMiddleware:
    """First in MIDDLEWARE: the request id, one JSON line per request (OPS-03) and the request metrics (OPS-02).

    The line names the URL pattern (`route`), never the raw path or query string, which can carry signed
    tokens; the path is logged only when no pattern matched (a 404), scrubbed like every line."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        tokens = [(request_id_var, request_id_var.set(request_id)), (user_var, user_var.set(None)),
                  (shop_var, shop_var.set(None)), (request_var, request_var.set(request))]
        timer = _QueryTimer()
        started = time.perf_counter()
        status = 500
        try:
            with connection.execute_wrapper(timer):
                response = self.get_response(request)
            status = response.status_code
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - started
            user_id, shop_id = current_user_shop()
            user_var.set(user_id)
            shop_var.set(shop_id)
            request_var.set(None)
            match = getattr(request, "resolver_match", None)
            route = match.route if match is not None and match.route else None
            fields = {"method": request.method, "route": route or "", "status": status,
                      "duration_ms": round(elapsed * 1000, 1), "db_queries": timer.count,
                      "db_ms": round(timer.seconds * 1000, 1), "outcome": _outcome(status)}
            if route is None:
                fields["path"] = request.path[:200]
            logger.info("request", extra=fields)
            HTTP_REQUESTS.labels(request.method if request.method in _METHODS else "other", str(status)).inc()
            HTTP_SECONDS.labels(request.method if request.method in _METHODS else "other").observe(elapsed)
            DB_QUERIES.inc(timer.count)
            for var, token in reversed(tokens):
                var.reset(token)


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


# --- Celery: the request id into tasks, one line per task ---------------------------------------------------

_task_started: dict[str, tuple[float, list]] = {}


def _before_task_publish(headers=None, **kwargs) -> None:
    """Runs where a task is enqueued: the current request id (and user, shop) travel in the message headers."""
    if headers is None:
        return
    request_id = request_id_var.get()
    if request_id:
        user_id, shop_id = current_user_shop()
        headers.setdefault("request_id", request_id)
        headers.setdefault("request_user", user_id)
        headers.setdefault("request_shop", shop_id)


def _task_prerun(task_id=None, task=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    request_id = getattr(request, "request_id", None) or incoming_request_id(None)
    tokens = [(request_id_var, request_id_var.set(request_id)),
              (user_var, user_var.set(getattr(request, "request_user", None))),
              (shop_var, shop_var.set(getattr(request, "request_shop", None)))]
    _task_started[task_id] = (time.perf_counter(), tokens)


def _task_postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    started, tokens = _task_started.pop(task_id, (None, []))
    duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    task_logger.info("task", extra={"task": getattr(task, "name", ""), "task_id": task_id, "duration_ms": duration,
                                    "outcome": (state or "").lower() or "unknown"})
    for var, token in reversed(tokens):
        try:
            var.reset(token)
        except ValueError:  # set in another context (eager tasks run inline): leave it
            pass


def connect_celery_signals() -> None:
    from celery import signals

    signals.before_task_publish.connect(_before_task_publish, weak=False, dispatch_uid="obs-publish")
    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="obs-prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="obs-postrun")


# --- payment rails ---------------------------------------------------------------------------------------

RAIL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def bucket_for(seconds: float) -> str:
    for bound in RAIL_BUCKETS:
        if seconds <= bound:
            return repr(bound)
    return "+Inf"


class RailCallOutcome:
    """What `rail_call` yields: set `.outcome` to the rail's answer ("accepted", "rejected", "unknown" …)."""

    def __init__(self) -> None:
        self.outcome: str | None = None


@contextmanager
def rail_call(rail: str, op: str) -> Iterator[RailCallOutcome]:
    """Time one call to a payment rail and record its outcome (OPS-02, OPS-05).

        with rail_call("wechat", "submit") as call:
            answer = client.transfer(...)
            call.outcome = "accepted" if answer.ok else "rejected"

    Without an explicit outcome a call that returns is "ok"; one that raises is "timeout" (an exception whose
    class name says Timeout) or "error", and the exception goes on. Recording never fails the call."""
    call = RailCallOutcome()
    started = time.perf_counter()
    try:
        yield call
    except Exception as exc:
        if call.outcome is None:
            call.outcome = "timeout" if "timeout" in type(exc).__name__.lower() else "error"
        raise
    finally:
        record_rail_call(rail, op, call.outcome or "ok", time.perf_counter() - started)


def record_rail_call(rail: str, op: str, outcome: str, seconds: float) -> None:
    from .clock import now
    from .models import RailCall, RailCallTotal

    rail, op, outcome = rail[:32], op[:32], outcome[:32]
    le = bucket_for(seconds)
    rail_logger.info("rail call", extra={"rail": rail, "op": op, "outcome": outcome,
                                         "duration_ms": round(seconds * 1000, 1)})
    try:
        with transaction.atomic():
            RailCall.objects.create(rail=rail, op=op, outcome=outcome, seconds=seconds, at=now())
            key = {"rail": rail, "op": op, "outcome": outcome, "le": le}
            bump = {"count": F("count") + 1, "seconds_sum": F("seconds_sum") + seconds}
            if not RailCallTotal.objects.filter(**key).update(**bump):
                try:
                    with transaction.atomic():
                        RailCallTotal.objects.create(**key, count=1, seconds_sum=seconds)
                except IntegrityError:
                    RailCallTotal.objects.filter(**key).update(**bump)
    except DatabaseError:
        rail_logger.warning("rail call could not be recorded", exc_info=True)


# --- Sentry -------------------------------------------------------------------------------------------------

def _sensitive_values(value: Any, key: str = "", found: set | None = None) -> set:
    """Every string held under a sensitive key anywhere in `value` (a frame's `real_name`, a header's token)."""
    found = set() if found is None else found
    if isinstance(value, dict):
        for k, v in value.items():
            _sensitive_values(v, str(k), found)
    elif isinstance(value, list | tuple):
        for v in value:
            _sensitive_values(v, key, found)
    elif key and SENSITIVE_KEY.search(key) and isinstance(value, str | int) and len(str(value).strip("'\" ")) >= 2:
        found.add(str(value).strip("'\" "))
    return found


def _replace_values(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: _replace_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_values(v, secrets) for v in value]
    return value


def sentry_before_send(event: dict, hint: dict | None = None) -> dict:
    """Scrub an event before it leaves (OPS-04): no request body, cookies or query string; the user as an id;
    headers, extras, contexts, breadcrumbs, messages, exception values and frame variables through `scrub`;
    and any value found under a sensitive key (a frame's `real_name`, `card`) removed wherever else it appears
    (an exception message that quotes it)."""
    event = json.loads(json.dumps(event, default=str))
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("data", None)
        request.pop("cookies", None)
        request.pop("query_string", None)
        if "url" in request:
            request["url"] = str(request["url"]).split("?", 1)[0]
        if isinstance(request.get("env"), dict):
            request["env"] = {k: v for k, v in request["env"].items() if k in ("SERVER_NAME", "SERVER_PORT")}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    secrets = sorted(_sensitive_values(event), key=len, reverse=True)
    event = _replace_values(scrub(event), secrets)
    if isinstance(event.get("user"), dict) and "id" in (user or {}):
        event["user"] = {"id": user["id"]}
    return event


def sentry_init(dsn: str, *, environment: str = "", release: str = "", transport=None) -> None:
    """Errors of web requests and tasks go to Sentry (OPS-04). `transport` is for tests (a fake)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # sentry-sdk 2.75's successor of send_default_pii=False: no user identity, no bodies, no SQL values.
        data_collection={"user_info": False, "http_bodies": [], "database_query_data": False},
        max_request_body_size="never",
        before_send=sentry_before_send,
        before_send_transaction=sentry_before_send,
        traces_sample_rate=0,
        transport=transport,
    )
