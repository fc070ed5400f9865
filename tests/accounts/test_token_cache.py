"""API authentication without a database round trip or a write per request (issue 21, item 3), and without
accepting a revoked, expired or deactivated token for longer than the rules allow (SEC-02)."""

import datetime as dt
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.models import ApiToken, User
from accounts.services import api_token_create, api_token_revoke
from accounts.tokencache import tokens
from accounts.tokens import HashedTokenAuthentication
from core.clock import now


def _authenticate(key: str):
    request = Request(APIRequestFactory().get("/api/v1/shop/balance/", HTTP_AUTHORIZATION=f"Token {key}"))
    return HashedTokenAuthentication().authenticate(request)


def _sql(queries) -> list[str]:
    return [q["sql"] for q in queries]


def test_sec02_a_known_token_is_answered_without_a_statement_or_a_write(demo):
    """SEC-02: after the first request, the token and its user come from the process's cache — no SELECT, and
    no UPDATE of last_used_at on every request (at most one a minute)."""
    user, _token = _authenticate("tok-dy_admin")  # the first: one lookup, and the minute's last-use write
    assert user.username == "dy_admin"
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            user, token = _authenticate("tok-dy_admin")
    assert _sql(queries) == []
    assert user.username == "dy_admin" and token.user_id == user.pk


def test_sec02_last_use_is_written_once_a_minute(demo, time_machine):
    """SEC-02: the last use is recorded, at most once a minute per token."""
    time_machine.move_to(now(), tick=False)
    token = ApiToken.objects.get(user__username="dy_cs1")
    first = now()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            _authenticate("tok-dy_cs1")
    writes = [s for s in _sql(queries) if s.startswith("UPDATE")]
    assert len(writes) == 1, _sql(queries)
    token.refresh_from_db()
    assert token.last_used_at == first
    time_machine.shift(dt.timedelta(seconds=61))
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            _authenticate("tok-dy_cs1")
    assert len([s for s in _sql(queries) if s.startswith("UPDATE")]) == 1
    token.refresh_from_db()
    assert token.last_used_at == first + dt.timedelta(seconds=61)


def test_sec02_a_token_revoked_here_stops_at_once(demo):
    """SEC-02: revoked in this process → refused by the next request of this process."""
    user = User.objects.get(username="dy_cs1")
    token, key = api_token_create(user=user, name="sidebar")
    assert _authenticate(key)[0] == user
    api_token_revoke(token=token, actor=User.objects.get(username="dy_admin"))
    with pytest.raises(exceptions.AuthenticationFailed):
        _authenticate(key)


@pytest.mark.django_db(transaction=True)
def test_sec02_a_token_revoked_by_another_process_stops_within_a_second(demo):
    """SEC-02: another process revokes a token (its row and the shared version change, this process's cache
    is not told): this process refuses it within a second."""
    _authenticate("tok-dy_cs1")
    with CaptureQueriesContext(connection) as queries:
        _authenticate("tok-dy_cs1")
    assert _sql(queries) == []  # served from the process cache: the revocation below must reach it
    # What another process's api_token_revoke leaves: the row revoked and the shared version bumped.
    ApiToken.objects.filter(user__username="dy_cs1").update(revoked_at=now())
    cache.incr(tokens.version_key)
    started = time.monotonic()
    while True:
        try:
            _authenticate("tok-dy_cs1")
        except exceptions.AuthenticationFailed:
            break
        assert time.monotonic() - started < 1.0, "a revoked token was accepted for a second"
        time.sleep(0.05)


def test_sec02_an_expired_token_is_refused_even_when_cached(demo, time_machine):
    """SEC-02: expiry needs no invalidation — the cached token's expiry is checked on every request."""
    time_machine.move_to(now())
    user = User.objects.get(username="dy_cs1")
    _token, key = api_token_create(user=user, expires_at=now() + dt.timedelta(minutes=5))
    assert _authenticate(key)[0] == user
    time_machine.shift(dt.timedelta(minutes=6))
    with pytest.raises(exceptions.AuthenticationFailed):
        _authenticate(key)


def test_sec02_a_deactivated_user_or_a_changed_role_is_seen_at_once(demo):
    """SEC-02: a user saved (deactivated, role changed) drops the cached tokens."""
    assert _authenticate("tok-dy_cs1")[0].is_active
    user = User.objects.get(username="dy_cs1")
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(exceptions.AuthenticationFailed):
        _authenticate("tok-dy_cs1")


def test_sec02_a_request_cannot_change_the_next_requests_user(demo):
    """Each request gets its own copies: what one request sets on its user is not the next one's."""
    user, _token = _authenticate("tok-dy_admin")
    user.role = "platform_staff"
    user.shop = None
    again, _token = _authenticate("tok-dy_admin")
    assert again.role != "platform_staff" and again.shop_id is not None


def test_sec02_without_the_shared_cache_every_request_reads_the_database(demo, monkeypatch):
    """SEC-02: when the shared cache (the revocation version) does not answer, nothing is served from the
    process — a revocation elsewhere could not reach it."""
    _authenticate("tok-dy_admin")

    get, add = cache.get, cache.add

    def down(original):
        def call(key, *args, **kwargs):
            if key == tokens.version_key:
                raise ConnectionError("redis down")
            return original(key, *args, **kwargs)
        return call

    monkeypatch.setattr(cache, "get", down(get))
    monkeypatch.setattr(cache, "add", down(add))
    monkeypatch.setattr(tokens, "clock", lambda: time.monotonic() + 1.0)  # the version is due a check
    with CaptureQueriesContext(connection) as queries:
        _authenticate("tok-dy_admin")
    assert any("accounts_apitoken" in s for s in _sql(queries))
