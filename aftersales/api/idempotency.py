"""`Idempotency-Key` for the money-moving POSTs of this app (API.md Conventions).

The key is recorded (committed) before the view runs, so a second request under the same key while the first
still runs answers 409 `idempotency_key_in_use`; once done, the same key with the same request replays the first
response (success or business refusal) and moves nothing; the same key with another request answers 409
`idempotency_key_reused`. Malformed input and 404s are not recorded: they changed nothing.
"""

import functools
import hashlib

from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.clock import now
from core.errors import ApplicationError

from ..errors import AftersalesError
from ..models import IdempotencyRecord


def idempotent(post):
    @functools.wraps(post)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return post(view, request, *args, **kwargs)
        if not key or len(key) > 255:
            raise ValidationError({"Idempotency-Key": ["1 to 255 characters"]})
        endpoint = f"{request.method} {request.path}"[:255]
        body_hash = hashlib.sha256(endpoint.encode() + b"\n" + request.body).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user=request.user, key=key, endpoint=endpoint,
                                                          body_hash=body_hash, created_at=now())
        except IntegrityError:
            record = IdempotencyRecord.objects.get(user=request.user, key=key)
            if record.body_hash != body_hash:
                raise ApplicationError(AftersalesError.IDEMPOTENCY_KEY_REUSED) from None
            if record.status_code is None:
                raise ApplicationError(AftersalesError.IDEMPOTENCY_KEY_IN_USE) from None
            return Response(record.response, status=record.status_code)
        try:
            response = post(view, request, *args, **kwargs)
        except ApplicationError as error:
            response = Response(error.as_dict(), status=error.error.status)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500 or response.status_code in (400, 404):
            record.delete()
            return response
        record.status_code, record.response = response.status_code, response.data
        record.save(update_fields=["status_code", "response"])
        return response

    return wrapper
