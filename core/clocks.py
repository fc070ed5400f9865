"""The registry of periodic sweeps (SPEC §8).

Each sweep is a function `() -> int` (rows it moved) that selects rows by state and deadline in
batches, locks them with FOR UPDATE SKIP LOCKED and is safe to run twice at once and after a crash.
`run_clocks` runs them all once; Celery beat runs each by name through `core.tasks.run_sweep_task`.
"""

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

Sweep = Callable[[], int]
SWEEPS: dict[str, Sweep] = {}


def sweep(name: str) -> Callable[[Sweep], Sweep]:
    def register(func: Sweep) -> Sweep:
        if name in SWEEPS and SWEEPS[name] is not func:
            raise ValueError(f"sweep {name!r} registered twice")
        SWEEPS[name] = func
        return func

    return register


def run_sweep(name: str) -> int:
    moved = SWEEPS[name]()
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
