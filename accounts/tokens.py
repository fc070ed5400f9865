"""API tokens stored as digests only (SEC-02), and the API authentication that reads them (SEC-03).

Why our own model instead of django-rest-knox: the scenario loader must install known tokens
(`"token": "tok-s1-admin"`, API.md) and the chat tools of existing shops keep the keys they hold; knox
makes its own keys and would have to be bypassed for both. What SEC-02 asks is small: a keyed digest, a
short prefix to show, a name, an optional expiry, revocation and the last use. The key itself is shown once.

The digest is HMAC-SHA256 under a server-side pepper (`settings.TOKEN_PEPPER`, from the environment) of the
key's SHA-256: a fast hash is enough for 32 random bytes, and the pepper makes a database dump alone useless
even for the short, guessable keys a scenario file may carry (issue 22 item 5). Hashing the SHA-256 rather
than the key lets migration accounts 0006 re-key the digests stored before the pepper existed.
`token_digest()` is the one place the digest is made.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from core.clock import now
from core.net import client_address

from .models import ApiToken
from .tokencache import last_use_note, token_lookup

KEYWORD = "Token"


# Keys installed from a scenario file must be at least this long outside the demo and the tests (SEC-02).
MIN_INSTALLED_KEY_LENGTH = 20


def digest_rekey(sha256_hex: str, pepper: str | None = None) -> str:
    """The stored digest of a key whose plain SHA-256 (hex) is `sha256_hex` (used by migration 0006 too)."""
    pepper = settings.TOKEN_PEPPER if pepper is None else pepper
    return hmac.new(pepper.encode("utf-8"), sha256_hex.encode("ascii"), hashlib.sha256).hexdigest()


def token_digest(key: str) -> str:
    """SEC-02: the only form in which a key is stored or looked up."""
    return digest_rekey(hashlib.sha256(key.encode("utf-8")).hexdigest())


def token_prefix(key: str) -> str:
    """What the token lists show of a key: at most a quarter of it, never the whole (issue 22 item 5)."""
    return key[: min(ApiToken.PREFIX_LENGTH, len(key) // 4)]


def installed_key_refusal(key: str) -> str | None:
    """Why a known key (scenario loader) may not be installed here, or None: short keys only in the demo and
    the tests (`settings.TOKEN_SHORT_KEYS_ALLOWED`)."""
    if len(key) < MIN_INSTALLED_KEY_LENGTH and not settings.TOKEN_SHORT_KEYS_ALLOWED:
        return (f"a token must be at least {MIN_INSTALLED_KEY_LENGTH} characters outside the demo and the tests "
                "(TOKEN_SHORT_KEYS_ALLOWED)")
    return None


def token_generate() -> str:
    return "bo_" + secrets.token_urlsafe(32)


class FailedAuthThrottle(SimpleRateThrottle):
    """SEC-03: failed API authentication from one client address, counted on the cache (Redis in production).
    The address is the real client's (core.net.client_address: the socket's, or what the trusted proxies
    report — never a header the client wrote). Only failures are counted and only failures are refused: a
    valid token is never answered 429 because of other requests' failures.
    The rate is `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["failed_auth"]` (None turns it off)."""

    scope = "failed_auth"

    def get_ident(self, request):
        return client_address(request)

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

    def fail(self, request, detail: str):
        """A failed authentication: counted, then refused — 429 once the address is over its rate, else 401."""
        if self.over(request):
            raise exceptions.Throttled(wait=self.wait())
        if self.rate is not None:
            self.throttle_success()
        raise exceptions.AuthenticationFailed(detail)


class HashedTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>`: the key's digest looked up with its user — from the process's token
    cache (accounts.tokencache), else one indexed query; `last_used_at` written at most once a minute."""

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != KEYWORD.lower().encode():
            return None
        throttle = FailedAuthThrottle()
        if len(auth) != 2 or len(auth[1]) > 256:
            throttle.fail(request, "Invalid token header.")
        try:
            key = auth[1].decode("ascii")
        except UnicodeError:
            throttle.fail(request, "Invalid token header.")
        token = token_lookup(token_digest(key))
        if token is None or not token.active or not token.user.is_active:
            throttle.fail(request, "Invalid token.")
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
