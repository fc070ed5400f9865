"""What both rails share: fen, bill numbers, the book, the "rail unavailable" signal."""

import re
from decimal import Decimal

from core.clock import now

from ..provider import ProviderResult, Transfer


class RailUnavailable(Exception):
    """The rail did not take the request (unreachable, busy, rate limited, 5xx): nothing was created there,
    the same business key is sent again later (the settle sweep)."""


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


def book_update(ref: str, *, state: str, error_code: str = "", rail_bill_id: str = "") -> None:
    from .models import RailBill

    fields = {"state": state, "error_code": error_code, "updated_at": now()}
    if rail_bill_id:
        fields["rail_bill_id"] = rail_bill_id
    RailBill.objects.filter(ref=ref).update(**fields)


def result(status: str, code: str = "") -> ProviderResult:
    return ProviderResult(status, code)
