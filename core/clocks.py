"""The registry of periodic sweeps (SPEC §8).

Each sweep is a function `() -> int` (rows it moved) that selects rows by state and deadline in
batches, locks them with FOR UPDATE SKIP LOCKED and is safe to run twice at once and after a crash.
`run_clocks` runs them all once; Celery beat runs each by name through `core.tasks.run_sweep_task`.

Every run is recorded in `core.ClockRun` (OPS-05): when it ran, how long it took, the rows it moved, whether
it failed, and what the sweep reported with `report(...)`. `/readyz` and 系统状态 call a clock late when its
last successful run is older than twice its beat interval (`intervals()`).
"""

import contextvars
import logging
import time
from collections.abc import Callable

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F

logger = logging.getLogger(__name__)

Sweep = Callable[[], int]
SWEEPS: dict[str, Sweep] = {}
_report: contextvars.ContextVar[dict | None] = contextvars.ContextVar("clock_report", default=None)


def sweep(name: str) -> Callable[[Sweep], Sweep]:
    def register(func: Sweep) -> Sweep:
        if name in SWEEPS and SWEEPS[name] is not func:
            raise ValueError(f"sweep {name!r} registered twice")
        SWEEPS[name] = func
        return func

    return register


def report(**values) -> None:
    """Called by a running sweep: small JSON values kept on its ClockRun row (ledger_verify: drifts=N)."""
    current = _report.get()
    if current is not None:
        current.update(values)


def run_sweep(name: str) -> int:
    values: dict = {}
    token = _report.set(values)
    started = time.monotonic()
    try:
        moved = SWEEPS[name]()
    except Exception as exc:
        _record(name, started, 0, values, error=type(exc).__name__)
        raise
    finally:
        _report.reset(token)
    _record(name, started, moved or 0, values)
    if moved:
        logger.info("sweep %s moved %s rows", name, moved)
    return moved


def run_all() -> dict[str, int]:
    """Every sweep once; a sweep that raises is logged and counted as -1, and the others still run (issue 22.7)."""
    moved = {}
    for name in SWEEPS:
        try:
            moved[name] = run_sweep(name)
        except Exception:
            logger.exception("sweep %s failed; the other sweeps go on", name)
            moved[name] = -1
    return moved


def intervals() -> dict[str, float]:
    """Each clock's beat interval in seconds, from CELERY_BEAT_SCHEDULE (the clocks beat runs by name)."""
    from django.conf import settings

    found: dict[str, float] = {}
    for entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).values():
        args, schedule = entry.get("args") or (), entry.get("schedule")
        if entry.get("task") == "core.tasks.run_sweep_task" and args and isinstance(schedule, int | float):
            found[args[0]] = float(schedule)
    return found


def _record(name: str, started: float, moved: int, values: dict, error: str = "") -> None:
    """Upsert the clock's ClockRun row. Never fails the sweep: a write that cannot be made is logged."""
    from .clock import now
    from .models import ClockRun

    at = now()
    fields = {"last_run_at": at, "duration_ms": int((time.monotonic() - started) * 1000), "rows_moved": moved,
              "ok": not error, "error": error[:200], "result": values, "runs": F("runs") + 1}
    if not error:
        fields["last_ok_at"] = at
    try:
        with transaction.atomic():
            if ClockRun.objects.filter(clock=name).update(**fields):
                return
            try:
                with transaction.atomic():
                    ClockRun.objects.create(clock=name, **{**fields, "runs": 1})
            except IntegrityError:  # another run of the same clock created it first
                ClockRun.objects.filter(clock=name).update(**fields)
    except DatabaseError:
        logger.warning("clock %s: its run could not be recorded", name, exc_info=True)
