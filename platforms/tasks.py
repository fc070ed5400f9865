from celery import shared_task

from .sweeps import sync_one


@shared_task(name="platforms.tasks.platform_sync_task")
def platform_sync_task(connection_id: int) -> int:
    return sync_one(connection_id)
