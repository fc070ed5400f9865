"""The shop ledger's periodic check."""

import logging

from core.clocks import report, sweep

from .selectors import ledger_drifts

logger = logging.getLogger("ledger")


@sweep("ledger_verify")
def ledger_verify_sweep() -> int:
    """Re-add the shop ledger and log every drift at ERROR, so an auditor hears of it within the hour."""
    drifts = ledger_drifts()
    for d in drifts:
        logger.error("ledger drift: shop %s %s cached %s summed %s", d.shop_id, d.column, d.cached, d.summed)
    report(drifts=len(drifts))  # backoffice_ledger_drift reads it from the clock's last run (OPS-02)
    return 0
