"""售后 › 小额打款 in the admin (SPEC §9), one module a page: 发起打款 (`initiate`, a two-step page), 打款记录
(`records`: the payout list with its filters and exports, each payout's timeline, cards and notifications),
待处理 (`requests`: the approval queue).

Thin: every page parses, calls payouts.services or payouts.selectors, and renders the answer; a refusal is
shown in the page's language and changes nothing. A Douyin sub-account without an enabled quota does not see
these pages at all (PAY-L08, `selectors.payouts_hidden`).
"""

from .records import PayoutAdmin
from .requests import PayoutRequestAdmin

__all__ = ["PayoutAdmin", "PayoutRequestAdmin"]
