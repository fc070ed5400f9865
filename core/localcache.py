"""Per-process caches of hot, rarely changed rows, invalidated through a version in the shared cache.

The payout request reads a few things that almost never change — the user behind an API token, the rail a
shop's payouts use — and reading them from PostgreSQL on every request is a round trip each (issue 21,
items 2 and 3). A `LocalCache` keeps them in the process for a short time (`ttl`) and drops them all when
its version in the shared cache (Redis in production, docs/DEPLOY.md) moves:

- a write that changes what is cached calls `invalidate()`: this process forgets at once, and the shared
  version is bumped when the write commits (`transaction.on_commit`), so a reader can never cache the old
  row under the new version;
- every process reads the shared version at most every `check_every` seconds (one GET for all its entries,
  not one per request), so another process forgets within that time;
- when the shared cache does not answer, nothing is served from the process: every read goes to the
  database until it answers again (safe, slower).

A value is shared by the requests of one process: callers hand out copies of what requests may change.
"""

import logging
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

_MISSING = object()
_ALL: "weakref.WeakSet[LocalCache]" = weakref.WeakSet()


class LocalCache:
    def __init__(self, name: str, *, ttl: float, check_every: float = 0.5, max_entries: int = 10_000):
        self.name = name
        self.ttl = ttl
        self.check_every = check_every
        self.max_entries = max_entries
        self.version_key = f"localcache:{name}:version"
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._version: Any = _MISSING
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self.clock: Callable[[], float] = time.monotonic
        _ALL.add(self)

    # ---- reading

    def _current(self) -> bool:
        """Whether the process's entries may be served: the shared version was read within `check_every`
        seconds and has not moved (if it moved, the entries are dropped)."""
        moment = self.clock()
        if moment - self._checked_at < self.check_every:
            return True
        try:
            version = cache.get(self.version_key)
            if version is None:  # never bumped, or evicted: start one (add never overwrites a bump)
                cache.add(self.version_key, 1, timeout=None)
                version = cache.get(self.version_key)
        except Exception:  # the shared cache is down: serve nothing from the process
            logger.warning("localcache %s: shared cache unavailable, reading through", self.name, exc_info=True)
            self.clear()
            return False
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            self._checked_at = moment
        return True

    def get(self, key: Hashable, default: Any = None) -> Any:
        if not self._current():
            return default
        entry = self._entries.get(key)
        if entry is None:
            return default
        stored_at, value = entry
        if self.clock() - stored_at >= self.ttl:
            self._entries.pop(key, None)
            return default
        return value

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The cached value, or `load()` (stored, `None` included) when there is none."""
        if not self._current():
            return load()
        value = self.get(key, _MISSING)
        if value is _MISSING:
            version = self._version
            value = load()
            self.set(key, value, version=version)
        return value

    def set(self, key: Hashable, value: Any, *, version: Any = _MISSING) -> None:
        """Store a value read under `version` (default: the version the process holds now); a value read
        before an invalidation that this process saw meanwhile is not stored."""
        with self._lock:
            if version is not _MISSING and version != self._version:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (self.clock(), value)

    # ---- writing

    def invalidate(self) -> None:
        """What is cached changed (or will when the current transaction commits): forget it here now, and
        everywhere once the write is committed."""
        self.clear()
        transaction.on_commit(self._bump)

    def _bump(self) -> None:
        try:
            try:
                cache.incr(self.version_key)
            except ValueError:  # no version yet
                cache.add(self.version_key, 1, timeout=None)
                cache.incr(self.version_key)
        except Exception:  # the others keep their entries at most `ttl` seconds
            logger.exception("localcache %s: could not bump the shared version", self.name)
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._version = _MISSING
            self._checked_at = float("-inf")


def clear_all() -> None:
    """Forget every process cache here (tests: between tests, whose rows come and go without writes)."""
    for local in list(_ALL):
        local.clear()
