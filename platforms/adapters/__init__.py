"""One adapter per open platform behind one interface (`PlatformAdapter`): authorize, refresh, list the orders
updated in a window, read one order, verify a push. A third platform is one more module registered in
ADAPTERS. Every call is signed as the platform signs it, has an explicit timeout, and fails as `PlatformError`
carrying the platform's own code and message, classified for what the caller should do."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import requests
from django.conf import settings

from ..mapping import PlatformOrder

logger = logging.getLogger("platforms")


class Failure:
    THROTTLED = "throttled"  # slow down and try again (CON-06)
    TOKEN_EXPIRED = "token_expired"  # refresh the access token, then try again (CON-02)
    AUTH_REFUSED = "auth_refused"  # the code or refresh token is refused: the shop must authorize again
    UNREACHABLE = "unreachable"  # no answer (timeout, connection, 5xx): try again later
    FAILED = "failed"  # any other refusal


class PlatformError(Exception):
    def __init__(self, kind: str, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.kind = kind
        self.code = str(code)[:64]
        self.message = str(message)[:500]


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: dt.datetime
    refresh_expires_at: dt.datetime | None
    shop_id: str = ""
    shop_name: str = ""

    def __repr__(self) -> str:  # never the tokens themselves (CON-01)
        return f"Tokens(shop_id={self.shop_id!r}, access_expires_at={self.access_expires_at!r})"


@dataclass
class CallStats:
    """Time spent waiting on the platform (the bench subtracts it) and calls made, per process."""

    calls: int = 0
    seconds: float = 0.0


STATS = CallStats()


class PlatformAdapter:
    platform: ClassVar[str]
    # The longest update-time window one listing may ask for, and how far behind now a window must end.
    max_window: ClassVar[dt.timedelta]
    settle: ClassVar[dt.timedelta] = dt.timedelta(0)
    page_size: ClassVar[int] = 100

    session = requests.Session()

    # -- the interface ---------------------------------------------------------------------------------------
    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        raise NotImplementedError

    def token_create(self, code: str) -> Tokens:
        raise NotImplementedError

    def token_refresh(self, refresh_token: str) -> Tokens:
        raise NotImplementedError

    def orders_updated(self, access_token: str, start: dt.datetime, end: dt.datetime) -> Iterator[list[dict]]:
        """Pages of raw orders updated in [start, end) — a window no longer than `max_window`."""
        raise NotImplementedError

    def order_read(self, access_token: str, order_id: str) -> dict:
        raise NotImplementedError

    def push_verify(self, headers, body: bytes) -> bool:
        return False  # a platform without pushes refuses every one

    def to_order(self, raw: dict) -> PlatformOrder:
        raise NotImplementedError

    # -- shared plumbing ---------------------------------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs) -> dict:
        timeout = getattr(settings, "PLATFORM_HTTP_TIMEOUT", (3.05, 20))
        started = time.perf_counter()
        try:
            response = self.session.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            raise PlatformError(Failure.UNREACHABLE, "unreachable", type(exc).__name__) from exc
        finally:
            STATS.calls += 1
            STATS.seconds += time.perf_counter() - started
        if response.status_code >= 500:
            raise PlatformError(Failure.UNREACHABLE, f"http_{response.status_code}", response.reason or "server error")
        try:
            return response.json()
        except ValueError as exc:
            raise PlatformError(Failure.FAILED, f"http_{response.status_code}", "not a JSON answer") from exc

    def call(self, func, *args, **kwargs):
        """`func(*args, **kwargs)`, retried with exponential backoff and jitter while the platform throttles or
        does not answer (CON-06); after PLATFORM_RETRIES tries the last error is raised."""
        tries = int(getattr(settings, "PLATFORM_RETRIES", 4))
        base = float(getattr(settings, "PLATFORM_BACKOFF_SECONDS", 1.0))
        for attempt in range(tries):
            try:
                return func(*args, **kwargs)
            except PlatformError as exc:
                if exc.kind not in (Failure.THROTTLED, Failure.UNREACHABLE) or attempt == tries - 1:
                    raise
                delay = backoff(attempt, base)
                logger.warning("%s %s: %s, retrying in %.2fs", self.platform, exc.kind, exc.code, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")


def backoff(attempt: int, base: float, cap: float = 60.0) -> float:
    """Exponential backoff with full jitter: a random delay up to base·2^attempt (at most `cap`)."""
    return random.uniform(base / 2, min(cap, base * 2**attempt))  # noqa: S311 (jitter, not security)


def windows(start: dt.datetime, end: dt.datetime, size: dt.timedelta) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    cursor = start
    while cursor < end:
        upper = min(end, cursor + size)
        yield cursor, upper
        cursor = upper


def adapter_for(platform: str) -> PlatformAdapter:
    from .douyin import DouyinAdapter
    from .pinduoduo import PinduoduoAdapter

    adapters: dict[str, type[PlatformAdapter]] = {"douyin": DouyinAdapter, "pinduoduo": PinduoduoAdapter}
    try:
        return adapters[platform]()
    except KeyError:
        raise ValueError(f"no adapter for platform {platform!r}") from None
