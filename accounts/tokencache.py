"""Token → user without a database round trip per request (issue 21, item 3; SEC-02/SEC-03 unchanged).

`token_lookup(digest)` answers from a per-process cache keyed by the token's digest (never the key), kept
`TOKEN_CACHE_SECONDS` at most, and read from the database when it has no entry. Whatever can make a cached
token wrong bumps the cache's version (core.localcache): a token saved or deleted (revocation, reactivation,
a new token with a known key), a user saved or deleted (deactivated, role or shop changed) — so another
process stops accepting a revoked token within `check_every` (half a second); the process that revokes it,
at once. Expiry needs no invalidation: `ApiToken.active` is checked against the clock on every request.

Each request gets its own copies of the token and the user, so nothing one request sets on them is seen by
the next. `last_used_at` is written at most once a minute per token (`last_use_note`).
"""

import copy
import datetime as dt

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from core.localcache import LocalCache

from .models import ApiToken, User

TOKEN_CACHE_SECONDS = 30
# A token's `last_used_at` is written at most this often: a write per request would cost the hot path.
LAST_USED_EVERY_SECONDS = 60

tokens = LocalCache("api-tokens", ttl=TOKEN_CACHE_SECONDS, check_every=0.5)


def _fresh_copy(token: ApiToken) -> ApiToken:
    user = copy.copy(token.user)
    user._state.fields_cache = {}
    mine = copy.copy(token)
    mine._state.fields_cache = {"user": user}
    return mine


def token_lookup(digest: str) -> ApiToken | None:
    """The token with this digest and its user (copies of this request's own), or None."""
    token = tokens.get_or_load(
        digest, lambda: ApiToken.objects.select_related("user").filter(digest=digest).first())
    return None if token is None else _fresh_copy(token)


def last_use_note(token: ApiToken, moment: dt.datetime) -> None:
    """Record the token's use: only when its last recorded use is a minute old, as this process knows it —
    then one conditional UPDATE that changes the row only if no other process recorded a use in the last
    minute. So a process sends at most one such statement a minute per token, and the row changes at most
    once a minute whatever the number of processes."""
    if token.last_used_at is not None and (moment - token.last_used_at).total_seconds() < LAST_USED_EVERY_SECONDS:
        return
    cached = tokens.get(token.digest)
    if cached is not None:  # this process's copy: nothing more due from here for a minute
        cached.last_used_at = moment
    (ApiToken.objects.filter(pk=token.pk)
     .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=moment - dt.timedelta(seconds=LAST_USED_EVERY_SECONDS)))
     .update(last_used_at=moment))


def tokens_changed(**kwargs) -> None:
    if kwargs.get("sender") is User and set(kwargs.get("update_fields") or ()) == {"last_login"}:
        return  # a sign-in to the pages changes nothing a token answers
    tokens.invalidate()


def connect() -> None:
    for model in (ApiToken, User):
        post_save.connect(tokens_changed, sender=model, dispatch_uid=f"tokencache-save-{model.__name__}")
        post_delete.connect(tokens_changed, sender=model, dispatch_uid=f"tokencache-delete-{model.__name__}")
