"""API tokens stored as digests only (SEC-02), and the API authentication that reads them (SEC-03).

Why our own model instead of django-rest-knox: the scenario loader must install known tokens
(`"token": "tok-s1-admin"`, API.md) and the chat tools of existing shops keep the keys they hold; knox
makes its own keys and would have to be bypassed for both. What SEC-02 asks is small: a SHA-256 digest
(a token is 32+ random bytes, so a fast hash is enough — nothing to brute-force), a short prefix to show,
a name, an optional expiry, revocation and the last use. The key itself is shown once, when made.
"""

import hashlib
import secrets

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from core.clock import now

from .tokencache import last_use_note, token_lookup

KEYWORD = "Token"


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def token_generate() -> str:
    return "bo_" + secrets.token_urlsafe(32)


class FailedAuthThrottle(SimpleRateThrottle):
    """SEC-03: failed API authentication from one address, counted on the cache (Redis in production).
    The rate is `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["failed_auth"]` (None turns it off)."""

    scope = "failed_auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def over(self, request) -> bool:
        if self.rate is None:
            return False
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record(self, request) -> None:
        if self.rate is not None and not self.over(request):
            self.throttle_success()


class HashedTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>`: the key's digest looked up with its user — from the process's token
    cache (accounts.tokencache), else one indexed query; `last_used_at` written at most once a minute."""

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != KEYWORD.lower().encode():
            return None
        throttle = FailedAuthThrottle()
        if throttle.over(request):
            raise exceptions.Throttled(wait=throttle.wait())
        if len(auth) != 2 or len(auth[1]) > 256:
            throttle.record(request)
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            key = auth[1].decode("ascii")
        except UnicodeError:
            throttle.record(request)
            raise exceptions.AuthenticationFailed("Invalid token header.") from None
        token = token_lookup(token_digest(key))
        if token is None or not token.active or not token.user.is_active:
            throttle.record(request)
            raise exceptions.AuthenticationFailed("Invalid token.")
        moment = now()
        last_use_note(token, moment)
        return token.user, token

    def authenticate_header(self, request):
        return KEYWORD


try:  # the OpenAPI schema describes the token scheme (drf-spectacular)
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    class HashedTokenScheme(OpenApiAuthenticationExtension):
        target_class = "accounts.tokens.HashedTokenAuthentication"
        name = "tokenAuth"

        def get_security_definition(self, auto_schema):
            return {"type": "apiKey", "in": "header", "name": "Authorization",
                    "description": 'Token-based authentication: "Token <key>" (keys are made on the 「API 令牌」 page).'}
except ImportError:  # pragma: no cover
    pass
