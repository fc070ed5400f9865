"""A shop's rails as one `PaymentProvider`: a payout goes to the shop's payout rail, a retry to an account
the buyer filled in (PAY-C02) to its card rail; a query goes to the rail that got the business key (the
book, `RailBill`). What a rail answers when it is down is "processing": the payout waits for the rail
(the settle sweep asks again, the close at 7 days still applies)."""

import logging

from ..models import SandboxTransfer
from ..provider import ProviderResult, SandboxProvider, Transfer
from .common import RailUnavailable
from .models import Rail, RailBill

logger = logging.getLogger(__name__)


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

    def _adapter(self, rail: str):
        if rail != Rail.SANDBOX and self._credentials is None:
            self._credentials = self.config.credentials()
        return rail_adapter(self.config, rail, self._credentials)

    def rail_for(self, transfer: Transfer) -> str:
        if transfer.account and self.config.card_rail:
            return self.config.card_rail
        return self.config.rail

    def submit(self, transfer: Transfer) -> None:
        """Raises RailUnavailable when the rail did not take it (the caller leaves it to the sweep)."""
        self._adapter(self.rail_for(transfer)).submit(transfer)

    def query(self, ref: str) -> ProviderResult:
        bill = RailBill.objects.filter(ref=ref).first()
        rail = bill.rail if bill else self.config.rail
        if bill is None and SandboxTransfer.objects.filter(ref=ref).exists():
            rail = Rail.SANDBOX  # a sandbox card rail, or sent before the shop switched rails
        try:
            answer = self._adapter(rail).query(ref)
        except RailUnavailable as exc:
            logger.warning("%s: %s rail unavailable (%s), stays processing", ref, rail, exc)
            return ProviderResult("processing")
        if answer.status == "failed" and answer.error_code == "NOT_FOUND" and bill and bill.state == "REJECTED":
            return ProviderResult("failed", bill.error_code)  # refused at submission: no bill at the rail
        return answer
