"""A shop's rails as one `PaymentProvider`: a payout goes to the shop's payout rail, a retry to an account
the buyer filled in (PAY-C02) to its card rail; a query or a cancel goes to the rail that got the business
key (the book, `RailBill`).

What the adapters raise is what the seam says (API.md "The rail seam"): `RailUnavailable` (a
`SubmissionRefused`) when the rail refused for certain — nothing exists there, the payout is pending and is
sent again under the same key; anything else (`RailOutcomeUnknown`, a read timeout …) when the outcome is
unknown — the payout stays processing and the settle sweep asks the rail by the same key before anything
else goes out (PAY-S09). A query the rail does not answer raises too: the caller backs off and asks again.

The router also says who a rail pays (`payee`: WeChat needs the buyer's openid under the merchant's app,
PAY-B03) and the rail's own limits (`limit`, PAY-S12).
"""

import datetime as dt
import logging
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ..models import SandboxTransfer
from ..provider import Payee, ProviderResult, SandboxProvider, Transfer
from .models import Rail, RailBill, buyer_wechat_identity

logger = logging.getLogger(__name__)

# PAY-S12: WeChat 商家转账 and Alipay 单笔转账 pay at least 0.10; WeChat wants the payee's real name from 2,000.00.
RAIL_MINIMUM = Decimal("0.10")
WECHAT_REAL_NAME_FROM = Decimal("2000.00")
# PAY-B04: WeChat cancels a WAIT_USER_CONFIRM bill the buyer does not confirm within 24 hours.
WECHAT_CONFIRM_WINDOW = dt.timedelta(hours=24)


def rail_adapter(config, rail: str, credentials: dict[str, str] | None = None):
    if rail == Rail.WECHAT:
        from .wechat import WechatTransferRail

        return WechatTransferRail(config, credentials if credentials is not None else config.credentials())
    if rail == Rail.ALIPAY:
        from .alipay import AlipayTransferRail

        return AlipayTransferRail(config, credentials if credentials is not None else config.credentials())
    return SandboxProvider()


class ShopRailProvider:
    def __init__(self, config):
        self.config = config
        self._credentials = None

    @property
    def rail_name(self) -> str:
        return self.config.rail

    @property
    def card_rail_name(self) -> str:
        return self.config.card_rail or self.config.rail

    def _adapter(self, rail: str):
        if rail != Rail.SANDBOX and self._credentials is None:
            self._credentials = self.config.credentials()
        return rail_adapter(self.config, rail, self._credentials)

    def rail_for(self, transfer: Transfer) -> str:
        if transfer.account and self.config.card_rail:
            return self.config.card_rail
        return self.config.rail

    # ---- who is paid and the rail's limits (PAY-B03, PAY-S12)

    def payee(self, buyer_id: int, amount: Decimal) -> Payee:
        if self.config.rail == Rail.WECHAT:
            openid, name = buyer_wechat_identity(app_id=self.config.wechat_appid, buyer_id=buyer_id)
            name = name if openid and amount >= WECHAT_REAL_NAME_FROM else ""
            return Payee(identity=openid, rail=Rail.WECHAT, user_name=name, identity_needed=not openid)
        return Payee(identity="", rail=self.config.rail)

    def limit(self, amount: Decimal, payee: Payee) -> str:
        if payee.rail in (Rail.WECHAT, Rail.ALIPAY) and amount < RAIL_MINIMUM:
            return str(_("the rail pays at least %(minimum)s yuan") % {"minimum": RAIL_MINIMUM})
        if payee.rail == Rail.WECHAT and amount >= WECHAT_REAL_NAME_FROM and payee.identity and not payee.user_name:
            return str(_("from %(threshold)s yuan WeChat needs the buyer's real name, which the buyer has not given")
                       % {"threshold": WECHAT_REAL_NAME_FROM})
        return ""

    # ---- PaymentProvider

    def submit(self, transfer: Transfer) -> None:
        """Raises RailUnavailable (refused for certain) or anything else (outcome unknown)."""
        self._adapter(self.rail_for(transfer)).submit(transfer)

    def _rail_of(self, ref: str) -> tuple[str, RailBill | None]:
        bill = RailBill.objects.filter(ref=ref).first()
        rail = bill.rail if bill else self.config.rail
        if bill is None and SandboxTransfer.objects.filter(ref=ref).exists():
            rail = Rail.SANDBOX  # a sandbox card rail, or sent before the shop switched rails
        return rail, bill

    def query(self, ref: str) -> ProviderResult:
        rail, bill = self._rail_of(ref)
        answer = self._adapter(rail).query(ref)
        return self._with_book(answer, bill)

    def cancel(self, ref: str) -> ProviderResult:
        """PAY-S10: WeChat cancels the bill (撤销); Alipay has no cancel for a transfer: its final state is read."""
        rail, bill = self._rail_of(ref)
        adapter = self._adapter(rail)
        answer = adapter.cancel(ref) if hasattr(adapter, "cancel") else adapter.query(ref)
        return self._with_book(answer, bill)

    @staticmethod
    def _with_book(answer: ProviderResult, bill: RailBill | None) -> ProviderResult:
        if answer.status == "failed" and answer.error_code == "NOT_FOUND" and bill and bill.state == "REJECTED":
            return ProviderResult("failed", bill.error_code)  # refused at submission: no bill at the rail
        if answer.state == "WAIT_USER_CONFIRM" and not answer.package_info and bill is not None:
            bill.refresh_from_db(fields=["package_info"])
            if bill.package_info:
                return ProviderResult(answer.status, answer.error_code, answer.state, bill.package_info,
                                      bill.created_at + WECHAT_CONFIRM_WINDOW, answer.amount)
        return answer
