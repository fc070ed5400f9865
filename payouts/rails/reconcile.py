"""Reconciliation (对账, issue 19.9): the ledger cannot see money a rail paid twice, so the two books are
compared — every bill the product sent on a day (`PayoutSubmission`, its own book; the rails' book `RailBill`
where a real rail answered) against the payouts, the rail asked about every bill still open. A paid bill
whose payout has not succeeded, or two paid bills for one payout, is flagged to platform staff at once with
the bills named (`payout_flag_unreconciled`); the day's comparison is printed and kept (`RailReconciliation`).

Runs hourly (the `rails_reconcile` clock, today's bills) and by `manage.py reconcile_rails [--date]`.
"""

import datetime as dt
import logging
from collections import defaultdict

from core.clock import SHANGHAI, now, shanghai_date
from core.clocks import sweep

from ..models import OPEN_SUBMISSION_STATES, Payout, PayoutSource, PayoutStatus, PayoutSubmission, SubmissionState
from ..provider import provider_for
from ..services import payout_apply_result, payout_flag_unreconciled
from .models import RailBill, RailReconciliation

logger = logging.getLogger(__name__)

PAID_WITHOUT_SUCCESS = "paid_without_success"
PAID_TWICE = "paid_twice"


def reconcile_rails(day: dt.date | None = None) -> RailReconciliation:
    day = day or shanghai_date()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    end = start + dt.timedelta(days=1)
    sent = PayoutSubmission.objects.filter(created_at__gte=start, created_at__lt=end).select_related("payout")
    asked = 0
    for submission in sent.filter(state__in=OPEN_SUBMISSION_STATES).exclude(state=SubmissionState.QUEUED):
        # The rail's answer for a bill still open: only read here (the settle sweep acts on the rest); a bill the
        # rail paid is applied like any report — a success for any key is the payout's (PAY-S09).
        try:
            answer = provider_for(submission.payout.shop_id).query(submission.ref)
            asked += 1
        except Exception:
            logger.exception("reconcile %s: asking the rail about %s failed", day, submission.ref)
            continue
        if answer.status == "succeeded":
            payout_apply_result(payout_id=submission.payout_id, result=answer, source=PayoutSource.QUERY,
                                ref=submission.ref)
    payout_ids = set(sent.values_list("payout_id", flat=True))
    paid: dict[int, set[str]] = defaultdict(set)
    for payout_id, ref in PayoutSubmission.objects.filter(payout_id__in=payout_ids,
                                                          state=SubmissionState.SUCCEEDED).values_list("payout_id", "ref"):
        paid[payout_id].add(ref)
    for payout_id, ref in RailBill.objects.filter(payout_id__in=payout_ids, state="SUCCESS").values_list("payout_id", "ref"):
        paid[payout_id].add(ref)  # the rail's own word, even where the product's book missed it
    statuses = dict(Payout.objects.filter(pk__in=paid).values_list("pk", "status"))
    problems = []
    for payout_id, refs in sorted(paid.items()):
        bills = sorted(refs)
        if len(bills) > 1:
            problems.append({"payout": payout_id, "problem": PAID_TWICE, "bills": bills})
        if statuses.get(payout_id) != PayoutStatus.SUCCEEDED:
            problems.append({"payout": payout_id, "problem": PAID_WITHOUT_SUCCESS, "bills": bills,
                             "status": statuses.get(payout_id)})
    for problem in problems:
        payout_flag_unreconciled(payout_id=problem["payout"], refs=problem["bills"],
                                 twice=problem["problem"] == PAID_TWICE)
    lines = [f"rail reconciliation {day}: {sent.count()} bills sent, {asked} open asked, "
             f"{sum(len(r) for r in paid.values())} paid, {len(problems)} problems"]
    lines += [f"  payout #{p['payout']}: {p['problem']} — bills {', '.join(p['bills'])}"
              + (f" (payout {p['status']})" if p.get("status") else "") for p in problems]
    record, _ = RailReconciliation.objects.update_or_create(day=day, defaults={
        "ran_at": now(), "bills": sent.count(), "asked": asked, "paid": sum(len(r) for r in paid.values()),
        "problems": problems, "report": "\n".join(lines)})
    if problems:
        logger.error("%s", record.report)
    return record


@sweep("rails_reconcile")
def rails_reconcile_sweep() -> int:
    """Hourly: today's bills (and, in the first hour of a day, yesterday's) against the payouts."""
    today = shanghai_date()
    days = [today] + ([today - dt.timedelta(days=1)] if now().astimezone(SHANGHAI).hour == 0 else [])
    return sum(len(reconcile_rails(day).problems) for day in days)

