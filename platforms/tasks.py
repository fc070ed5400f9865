import logging

from celery import shared_task

from .adapters import PlatformError

logger = logging.getLogger("platforms")


def sync_one(connection_id: int) -> int:
    """One shop's sync as the clock runs it: a failure is recorded on the connection (services) and logged by
    code, never raised to the caller (CON-06)."""
    from .services import connection_sync

    try:
        result = connection_sync(connection_id=connection_id)
    except PlatformError as exc:
        logger.warning("platform sync of connection %s failed: %s", connection_id, exc.code)
        return 0
    except Exception:  # one shop's bug must not stop the others
        logger.exception("platform sync of connection %s crashed", connection_id)
        return 0
    return result.created + result.updated


@shared_task(name="platforms.tasks.platform_sync_task")
def platform_sync_task(connection_id: int) -> int:
    return sync_one(connection_id)
