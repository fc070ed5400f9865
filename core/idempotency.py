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
"""

import hashlib
import json
from functools import wraps

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


def idempotent(view_method):
    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_LENGTH:
            raise ApplicationError(CommonError.INVALID, extra={"fields": {HEADER: [f"1 to {MAX_LENGTH} characters"]}})
        fingerprint = _fingerprint(request)
        claimed = True
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(user=request.user, key=key, fingerprint=fingerprint, created_at=now())
        except IntegrityError:
            claimed = False
            row = IdempotencyKey.objects.get(user=request.user, key=key)
            if row.fingerprint != fingerprint:
                raise ApplicationError(KEY_REUSED)
            if row.state == IdempotencyKey.State.DONE:
                return _replay(row)
        with transaction.atomic():
            try:
                # The claimant waits for its own row; a twin must not wait for a run in progress.
                row = IdempotencyKey.objects.select_for_update(nowait=not claimed).get(pk=row.pk)
            except DatabaseError:
                raise ApplicationError(KEY_IN_USE)
            if row.state == IdempotencyKey.State.DONE:
                return _replay(row)
            try:
                with transaction.atomic():
                    response = view_method(self, request, *args, **kwargs)
            except (ApplicationError, APIException, Http404, PermissionDenied) as exc:
                response = exception_handler(exc, {"request": request, "view": self})
            if response is None or response.status_code >= 500:
                return response
            row.state = IdempotencyKey.State.DONE
            row.response_status = response.status_code
            row.response_body = _as_json(response.data)
            row.save(update_fields=["state", "response_status", "response_body"])
            return response

    return wrapper
