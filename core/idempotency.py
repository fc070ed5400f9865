"""`Idempotency-Key` for money-moving POSTs (API.md Conventions).

Decorate an APIView's `post` with `@idempotent`. With the header:
- the same key, same user, same method, path and body → the first response again (header
  `Idempotent-Replayed: true`), and the view does not run again: no money moves twice;
- the same key with another request → 409 `idempotency_key_reused`;
- the same key while the first request still runs → 409 `idempotency_key_in_use`.

How it holds under concurrency: the key row is claimed by an INSERT under a unique constraint (committed
at once, so a twin request sees it), then the view runs in one transaction that holds the row's lock and
writes the response into it before committing. So the effects of a run and its stored response commit
together or not at all: a row still `in_progress` and not locked belongs to a run that died before
committing anything, and the next request under that key runs it again. Business refusals (4xx) are
stored and replayed like successes; a crash (5xx) is not, so the client's retry runs again.

`once(...)` is that mechanism as a plain function, for views that are not DRF views (the admin's confirm
steps): the caller names the key and the fingerprint, `run()` does the work and `store(result)` says what
to keep. `@idempotent` is `once` around a DRF view method.
"""

import hashlib
import json
from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, transaction
from django.http import Http404
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .api import exception_handler
from .clock import now
from .errors import ApplicationError, CommonError, ErrorCode
from .models import IdempotencyKey

T = TypeVar("T")

HEADER = "Idempotency-Key"
MAX_LENGTH = 255

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
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.response_body, status=row.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def _as_json(data):
    return json.loads(json.dumps(data, cls=JSONEncoder))


def fingerprint_of(*parts) -> str:
    """A request's fingerprint from its parts (JSON-able values; others as text)."""
    raw = json.dumps(parts, sort_keys=True, cls=JSONEncoder, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def once(*, user, key: str, fingerprint: str, run: Callable[[], T], store: Callable[[T], tuple[int, Any] | None],
         wait: bool = False) -> T | IdempotencyKey:
    """Run `run()` at most once for (user, key) and answer the stored row when the key has already answered.

    The key row is claimed by an INSERT committed at once; `run()` then runs in one transaction that holds the
    row's lock, and `store(result)` → (status, body) is written into the row before that transaction commits
    (None: nothing is kept, a later request under the key runs again). An exception from `run()` rolls back
    its effects and frees the key. The same key with another fingerprint raises KEY_REUSED; a twin request
    while the first still runs raises KEY_IN_USE, or with `wait` waits for it and answers its stored row (a
    double click in a browser).
    """
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
            result = run()
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
    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_LENGTH:
            raise ApplicationError(CommonError.INVALID, extra={"fields": {HEADER: [f"1 to {MAX_LENGTH} characters"]}})

        def run():
            try:
                with transaction.atomic():
                    return view_method(self, request, *args, **kwargs)
            except (ApplicationError, APIException, Http404, PermissionDenied) as exc:
                return exception_handler(exc, {"request": request, "view": self})

        def store(response):
            if response is None or response.status_code >= 500:
                return None
            return response.status_code, response.data

        result = once(user=request.user, key=key, fingerprint=_fingerprint(request), run=run, store=store)
        return _replay(result) if isinstance(result, IdempotencyKey) else result

    return wrapper
