"""What both rails share: fen, bill numbers, the book, the "rail unavailable" signal."""

import re
from decimal import Decimal

from core.clock import now

from ..provider import ProviderResult, SubmissionRefused, Transfer


class RailUnavailable(SubmissionRefused):
    """The rail refused the request for certain (unreachable before anything was sent, rate limited, a
    documented busy answer with no bill): nothing exists there, the same business key goes again later."""

    def __init__(self, message: str = "", code: str = "RAIL_UNAVAILABLE"):
        super().__init__(code)
        self.args = (message or code,)


class RailOutcomeUnknown(Exception):
    """The request may have reached the rail and the answer is lost or cannot be trusted (read timeout, 5xx
    or system error after sending, an answer whose signature does not verify): PAY-S09, ask by the same key."""


def never_sent(exc: BaseException) -> bool:
    """A `requests` failure that happened before the request left (connection refused, connect timeout, DNS)."""
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc)
        return "NewConnectionError" in text or "NameResolutionError" in text or "Connection refused" in text
    return False


class RailRejected(Exception):
    """The rail refused the request for good (its error code in `code`)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}")
        self.code = code


def to_fen(amount: Decimal) -> int:
    """Yuan (Decimal, 2 places) → fen, exactly; anything finer than a fen is a bug, never rounded."""
    fen = Decimal(amount) * 100
    if fen != fen.to_integral_value() or fen <= 0:
        raise ValueError(f"not a positive amount in whole fen: {amount}")
    return int(fen)


def fen_to_yuan(fen: int) -> str:
    """Fen → Alipay's "12.34" (string arithmetic, no float)."""
    return f"{fen // 100}.{fen % 100:02d}"


_REF = re.compile(r"^PO(\d+)-(\d+)$")
_BILL = re.compile(r"^PO(\d+)A(\d+)$")


def bill_no(ref: str) -> str:
    """WeChat's out_bill_no allows letters and digits only: PO12-3 → PO12A3 (reversible, same key per attempt)."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(f"not a business key: {ref}")
    return f"PO{m[1]}A{m[2]}"


def ref_of(number: str) -> str:
    """The business key of a bill number either rail echoes (PO12A3 or PO12-3)."""
    m = _BILL.match(number) or _REF.match(number)
    if not m:
        raise ValueError(f"not a bill number of this product: {number}")
    return f"PO{m[1]}-{m[2]}"


def payout_id_of(ref: str) -> int:
    return int(_REF.match(ref)[1])


def book(transfer: Transfer, *, rail: str, number: str):
    """The book row of a transfer (made once per business key)."""
    from .models import RailBill

    at = now()
    bill, _ = RailBill.objects.get_or_create(
        ref=transfer.ref,
        defaults={"payout_id": transfer.payout_id, "rail": rail, "bill_no": number, "amount_fen": to_fen(transfer.amount),
                  "state": "", "created_at": at, "updated_at": at},
    )
    return bill


def book_update(ref: str, *, state: str, error_code: str = "", rail_bill_id: str = "", package_info: str = "") -> None:
    from .models import RailBill

    fields = {"state": state, "error_code": error_code, "updated_at": now()}
    if rail_bill_id:
        fields["rail_bill_id"] = rail_bill_id
    if package_info:
        fields["package_info"] = package_info
    RailBill.objects.filter(ref=ref).update(**fields)


def result(status: str, code: str = "") -> ProviderResult:
    return ProviderResult(status, code)
