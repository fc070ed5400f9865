"""The platform clocks (SPEC §8): access tokens refreshed before they expire (CON-02) and every connected shop's
orders synced every 5 minutes (CON-03), each shop in a task of its own so that one shop's failures never hold up
another's (CON-06)."""

import logging

from django.conf import settings

from core.clocks import sweep

from .adapters import PlatformError

logger = logging.getLogger("platforms")


@sweep("platform_sync")
def platform_sync_sweep() -> int:
    from .services import connections_due
    from .tasks import platform_sync_task, sync_one

    ids = list(connections_due().values_list("pk", flat=True))
    if getattr(settings, "PLATFORM_SYNC_INLINE", False):
        return sum(sync_one(pk) for pk in ids)

    for pk in ids:
        platform_sync_task.delay(pk)
    return 0


@sweep("platform_tokens_refresh")
def platform_tokens_refresh_sweep() -> int:
    from .services import connection_refresh, tokens_due

    done = 0
    for pk in tokens_due().values_list("pk", flat=True):
        try:
            connection_refresh(connection_id=pk)
            done += 1
        except PlatformError as exc:  # recorded on the connection (needs_reauth or last error)
            logger.warning("token refresh of connection %s failed: %s", pk, exc.code)
        except Exception:
            logger.exception("token refresh of connection %s crashed", pk)
    return done


