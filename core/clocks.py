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
    return {name: run_sweep(name) for name in SWEEPS}
