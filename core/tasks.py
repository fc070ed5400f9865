from celery import shared_task

from . import clocks


@shared_task(name="core.tasks.run_sweep_task")
def run_sweep_task(name: str) -> int:
    return clocks.run_sweep(name)
