"""`Idempotency-Key` for money-moving POSTs (API.md Conventions).

Decorate an APIView's `post` with `@idempotent`. With the header:
- the same key, same user, same method, path and body → the first response again (header
  `Idempotent-Replayed: true`), and the view does not run again: no money moves twice;
- the same key with another request → 409 `idempotency_key_reused`;
- the same key while the first request still runs → 409 `idempotency_key_in_use`.

How it holds under concurrency (PostgreSQL): the key row is claimed inside the view's one transaction, by
one statement that takes a transaction-level advisory lock on (user, key) without waiting and inserts the
row under the unique (user, key) constraint. A twin that finds the lock taken answers 409 in use (or, asked
to, waits for it); after the first commits, it finds the committed row and replays it. The view's effects,
the key row and its stored response commit together or not at all, with no savepoint and no second
transaction. Business refusals (4xx) are stored and replayed like successes (their effects rolled back,
the answer kept in a short transaction of its own); a crash (5xx) is not, so the client's retry runs again.
Elsewhere (SQLite, the embedded demo) the key row is committed first and locked by the run's transaction.

`once(...)` is that mechanism as a plain function, for views that are not DRF views (the admin's confirm
steps): the caller names the key and the fingerprint, `run()` does the work and `store(result)` says what
to keep. `@idempotent` is `once` around a DRF view method.
"""

import hashlib
import json
import re
from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import Http404
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .api import exception_handler
from .clock import now
from .errors import ApplicationError, CommonError, ErrorCode
from .models import IdempotencyKey
from .text import json_safe, utf8

T = TypeVar("T")

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
# What a key may be (the OpenAPI schema says the same, core.schema): 1 to 255 visible ASCII characters, spaces
# inside allowed — a UUID, a ULID, "order-123/try-2".
PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"
_KEY = re.compile(PATTERN)

KEY_REUSED = ErrorCode(
    "idempotency_key_reused", "该幂等键已用于另一个请求", "This Idempotency-Key was used for a different request.",
    status=409,
)
KEY_IN_USE = ErrorCode(
    "idempotency_key_in_use", "使用该幂等键的请求仍在处理中", "A request with this Idempotency-Key is still running.",
    status=409,
)


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, ensure_ascii=False)
    except (TypeError, ValueError):
        body = repr(request.data)
    raw = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(utf8(raw)).hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.response_body, status=row.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def _as_json(data):
    """What is stored of an answer: JSON, with no NUL or lone surrogate whatever it echoes (jsonb refuses them)."""
    return json_safe(json.loads(json.dumps(data, cls=JSONEncoder)))


def fingerprint_of(*parts) -> str:
    """A request's fingerprint from its parts (JSON-able values; others as text)."""
    raw = json.dumps(parts, sort_keys=True, cls=JSONEncoder, ensure_ascii=False, default=str)
    return hashlib.sha256(utf8(raw)).hexdigest()


def once(*, user, key: str, fingerprint: str, run: Callable[[], T], store: Callable[[T], tuple[int, Any] | None],
         wait: bool = False, refusal: Callable[[Exception], T | None] | None = None) -> T | IdempotencyKey:
    """Run `run()` at most once for (user, key) and answer the stored row when the key has already answered.

    `store(result)` → (status, body) is written into the key row in the transaction of the run (None: nothing
    is kept, a later request under the key runs again). An exception from `run()` rolls back its effects and
    frees the key — unless `refusal(exc)` turns it into a result (a business refusal): that result is stored
    and returned, the run's effects still rolled back. The same key with another fingerprint raises
    KEY_REUSED; a twin request while the first still runs raises KEY_IN_USE, or with `wait` waits for it and
    answers its stored row (a double click in a browser).
    """
    if connection.vendor == "postgresql":
        return _once_one_transaction(user=user, key=key, fingerprint=fingerprint, run=run, store=store, wait=wait,
                                     refusal=refusal)
    return _once_two_transactions(user=user, key=key, fingerprint=fingerprint, run=run, store=store, wait=wait,
                                  refusal=refusal)


# PostgreSQL: the key is claimed inside the run's one transaction. A transaction-level advisory lock on
# (user, key), taken without waiting in the same statement as the INSERT, tells a twin that a run is under
# way although its row is not committed yet; the unique (user, key) constraint still guarantees that two runs
# can never both commit. The row commits with the run's effects and its stored response, or not at all.
_CLAIM_SQL = """
    WITH lk AS (SELECT pg_try_advisory_xact_lock(%(lock)s) AS got),
    ins AS (
        INSERT INTO {table} (user_id, key, fingerprint, state, response_status, response_body, created_at)
        SELECT %(user)s, %(key)s, %(fingerprint)s, %(state)s, %(status)s, %(body)s::jsonb, %(at)s FROM lk WHERE lk.got
        ON CONFLICT (user_id, key) DO NOTHING
        RETURNING id)
    SELECT lk.got, (SELECT id FROM ins) FROM lk
"""


def _lock_id(user_id: int, key: str) -> int:
    """The advisory lock of (user, key): 64 bits of a digest (the one-bigint lock space; sweeps use two ints)."""
    digest = hashlib.blake2b(f"idempotency:{user_id}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _claim(*, user, key: str, fingerprint: str, kept: tuple[int, Any] | None = None) -> tuple[bool, int | None]:
    """One statement: take the (user, key) lock without waiting and insert the key row (in progress, or done
    with `kept`) unless one is committed. → (lock taken, id of the row inserted)."""
    params = {"lock": _lock_id(user.pk, key), "user": user.pk, "key": key, "fingerprint": fingerprint,
              "state": IdempotencyKey.State.DONE if kept else IdempotencyKey.State.IN_PROGRESS,
              "status": kept[0] if kept else None, "body": json.dumps(_as_json(kept[1])) if kept else None,
              "at": now()}
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL.format(table=connection.ops.quote_name(IdempotencyKey._meta.db_table)), params)
        got, inserted = cursor.fetchone()
    return bool(got), inserted


def _answered(*, user, key: str, fingerprint: str) -> IdempotencyKey | None:
    """The committed row of (user, key), checked against this request: another request → KEY_REUSED."""
    row = IdempotencyKey.objects.filter(user=user, key=key).first()
    if row is not None and row.fingerprint != fingerprint:
        raise ApplicationError(KEY_REUSED)
    return row


def _once_one_transaction(*, user, key, fingerprint, run, store, wait, refusal):
    running = False
    try:
        with transaction.atomic():
            got, row_id = _claim(user=user, key=key, fingerprint=fingerprint)
            if row_id is None:
                if not got:
                    row = _answered(user=user, key=key, fingerprint=fingerprint)
                    if row is not None and row.state == IdempotencyKey.State.DONE:
                        return row
                    if not wait:
                        raise ApplicationError(KEY_IN_USE)
                    with connection.cursor() as cursor:  # a double click: wait for the twin's commit
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(user.pk, key)])
                row = _answered(user=user, key=key, fingerprint=fingerprint)
                if row is None:  # the twin rolled back: claim it now (the lock is ours)
                    got, row_id = _claim(user=user, key=key, fingerprint=fingerprint)
                elif row.state == IdempotencyKey.State.DONE:
                    return row
                else:  # committed in progress by a run that died (the portable path): ours, under the lock
                    row_id = row.pk
            running = True
            result = run()
            kept = store(result)
            rows = IdempotencyKey.objects.filter(pk=row_id)
            if kept is None:
                rows.delete()
            else:
                rows.update(state=IdempotencyKey.State.DONE, response_status=kept[0], response_body=_as_json(kept[1]))
            return result
    except Exception as exc:
        result = refusal(exc) if running and refusal is not None else None
        if result is None:
            raise
    # A refusal: its effects rolled back with the claim; keep the answer in a short transaction of its own,
    # unless a twin claimed the key in between (then the twin's run answers the key).
    kept = store(result)
    if kept is not None:
        with transaction.atomic():
            _claim(user=user, key=key, fingerprint=fingerprint, kept=kept)
    return result


def _once_two_transactions(*, user, key, fingerprint, run, store, wait, refusal):
    """Elsewhere (SQLite, the embedded demo): the key row is claimed by an INSERT committed at once; `run()`
    then runs in one transaction that holds the row's lock and writes the response into it before committing.
    A row still `in_progress` and not locked belongs to a run that died before committing anything, and the
    next request under that key runs it again."""
    claimed = True
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now())
    except IntegrityError:
        claimed = False
        row = IdempotencyKey.objects.get(user=user, key=key)
        if row.fingerprint != fingerprint:
            raise ApplicationError(KEY_REUSED)
        if row.state == IdempotencyKey.State.DONE:
            return row
    running = False
    try:
        with transaction.atomic():
            try:
                # The claimant waits for its own row; a twin waits only if asked to.
                row = IdempotencyKey.objects.select_for_update(nowait=not (claimed or wait)).get(pk=row.pk)
            except DatabaseError:
                raise ApplicationError(KEY_IN_USE)
            if row.state == IdempotencyKey.State.DONE:
                return row
            running = True
            try:
                with transaction.atomic():
                    result = run()
            except Exception as exc:
                result = refusal(exc) if refusal is not None else None
                if result is None:
                    raise
            kept = store(result)
            if kept is not None:
                row.state = IdempotencyKey.State.DONE
                row.response_status, row.response_body = kept[0], _as_json(kept[1])
                row.save(update_fields=["state", "response_status", "response_body"])
            return result
    except Exception:
        if running:
            # Nothing of the run was kept: free the key (a twin that finished meanwhile keeps its row).
            with suppress(DatabaseError):
                IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyKey.State.IN_PROGRESS).delete()
        raise


def idempotent(view_method):
    """Without the header (or for an anonymous caller) the view still runs in one transaction: it works, its
    row locks hold, and a refusal rolls back whatever it had begun (SEC-04; issue 22 item 1) — only the
    replay protection is missing, which is the client's choice."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            with transaction.atomic():
                return view_method(self, request, *args, **kwargs)
        if not _KEY.match(key):
            raise ApplicationError(CommonError.INVALID, extra={"fields": {HEADER: [
                f"1 to {MAX_LENGTH} visible ASCII characters"]}})

        def run():
            return view_method(self, request, *args, **kwargs)

        def refusal(exc):
            # A business refusal is an answer like a success: stored and replayed (its effects rolled back).
            if isinstance(exc, ApplicationError | APIException | Http404 | PermissionDenied):
                return exception_handler(exc, {"request": request, "view": self})
            return None

        def store(response):
            if response is None or response.status_code >= 500:
                return None
            return response.status_code, response.data

        result = once(user=request.user, key=key, fingerprint=_fingerprint(request), run=run, store=store,
                      refusal=refusal)
        return _replay(result) if isinstance(result, IdempotencyKey) else result

    wrapper.idempotent = True  # found by the suite's walk over every money-moving POST (tests/api)
    return wrapper
