"""到账凭证 (PAY-R02): for a buyer who says the money never came, a succeeded payout's proof of payment — the
rail's transfer id, the time and the amount, re-read from the rail at the moment it is asked (never from what
the product recorded), with where the buyer finds the money (the same line as the success notice).

The rail is asked about the business key the payout succeeded under (the `ref` of its `succeeded` event; the
submission book's first paid key otherwise) through the shop's provider (`provider_for(shop).query(ref)`),
whose clients carry their own timeouts; a remote rail's call is timed and counted (`core.observability.rail_call`)."""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from core.clock import now
from core.errors import ApplicationError
from core.observability import rail_call

from .arrival import arrival_note
from .errors import PayoutError
from .models import Payout, PayoutEventType, PayoutStatus, PayoutSubmission, SubmissionState
from .provider import in_process, provider_for, rail_name

logger = logging.getLogger(__name__)

BUYER_TEXT = _("The compensation of %(amount)s yuan for order %(order_no)s was paid at %(paid_at)s, transfer number "
               "%(transfer_id)s. %(where)s")

# How a page names the rail that paid (the API answers the code).
RAIL_LABELS = {"sandbox": _("sandbox rail"), "wechat": _("WeChat Pay merchant transfer"),
               "alipay": _("Alipay single transfer")}


@dataclass(frozen=True)
class Proof:
    payout_id: int
    order_no: str
    rail: str
    ref: str
    transfer_id: str
    paid_at: dt.datetime | None
    amount: Decimal
    matches: bool  # the rail's amount is the payout's
    where_to_find: str
    checked_at: dt.datetime

    @property
    def rail_label(self) -> str:
        return str(RAIL_LABELS.get(self.rail, self.rail))

    @property
    def buyer_text(self) -> str:
        """What the merchant sends the buyer, in the product's language (as the buyer's messages are)."""
        with translation.override(settings.LANGUAGE_CODE):
            paid = formats.localize(timezone.localtime(self.paid_at)) if self.paid_at else "-"
            return str(BUYER_TEXT) % {"amount": self.amount, "order_no": self.order_no, "paid_at": paid,
                                      "transfer_id": self.transfer_id, "where": self.where_to_find}


def succeeded_ref(payout: Payout) -> str | None:
    """The business key the payout succeeded under."""
    event = payout.events.filter(type=PayoutEventType.SUCCEEDED).order_by("at", "id").first()
    if event is not None and (event.params or {}).get("ref"):
        return event.params["ref"]
    paid = (PayoutSubmission.objects.filter(payout=payout, state=SubmissionState.SUCCEEDED)
            .order_by("settled_at", "id").values_list("ref", flat=True).first())
    return paid


def payout_proof(*, payout: Payout) -> Proof:
    """Ask the rail now. Refuses a payout that has not succeeded (`payout_not_succeeded`), a rail that cannot
    be asked (`rail_unavailable`) and a rail that does not confirm the transfer paid (`proof_not_confirmed`)."""
    if payout.status != PayoutStatus.SUCCEEDED:
        raise ApplicationError(PayoutError.PAYOUT_NOT_SUCCEEDED)
    ref = succeeded_ref(payout)
    if not ref:
        raise ApplicationError(PayoutError.PROOF_NOT_CONFIRMED)
    provider = provider_for(payout.shop_id)
    booked = PayoutSubmission.objects.filter(payout=payout, ref=ref).values_list("rail", flat=True).first()
    try:
        if in_process(provider):  # the sandbox: not a remote call
            result = provider.query(ref)
        else:  # timed and counted like every remote rail call (OPS-02)
            with rail_call(booked or rail_name(provider), "query"):
                result = provider.query(ref)
    except Exception:  # unreachable, a timeout, an answer that cannot be trusted: nothing to show
        logger.warning("proof of payout %s: the rail could not be asked about %s", payout.pk, ref, exc_info=True)
        raise ApplicationError(PayoutError.RAIL_UNAVAILABLE) from None
    if result.status != "succeeded" or result.amount is None:
        logger.warning("proof of payout %s: the rail answers %s %s for %s", payout.pk, result.status,
                       result.error_code, ref)
        raise ApplicationError(PayoutError.PROOF_NOT_CONFIRMED)
    return Proof(
        payout_id=payout.pk, order_no=payout.order.order_no, rail=booked or rail_name(provider), ref=ref,
        transfer_id=result.transfer_id or ref, paid_at=result.paid_at, amount=result.amount,
        matches=result.amount == payout.amount, where_to_find=_in_product_language(arrival_note(payout)), checked_at=now(),
    )


def _in_product_language(text) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)
