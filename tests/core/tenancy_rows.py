"""Idempotency keys of a user in each demo shop (tests/core/test_tenancy.py)."""

from django.utils import timezone

from accounts.models import User
from core.models import IdempotencyKey


def add_rows(demo) -> None:
    for username in ("dy_admin", "pdd_admin", "buyer_ok"):
        IdempotencyKey.objects.create(user=User.objects.get(username=username), key="k1", fingerprint="x",
                                      created_at=timezone.now())
