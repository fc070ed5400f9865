"""Thin tasks: load by id, call the service."""

from celery import shared_task

from .services import interception_process


@shared_task(name="logistics.tasks.process_interception_task")
def process_interception_task(interception_id: int) -> bool:
    return interception_process(interception_id=interception_id)
