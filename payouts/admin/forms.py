"""The 发起打款 form (PAY-F01..F03, F06)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.money import money_form_field
from orders.models import Order

from ..contacts import off_platform_contact
from ..errors import PayoutError
from ..models import PayMethod, PayoutType, ScanChannel
from ..services import PayoutInput


class PayoutForm(forms.Form):
    """PAY-F01..F03. The amount's rules (minimum, two decimals, caps) are the service's: it is taken as typed."""

    type = forms.ChoiceField(label=_("payout type"), choices=PayoutType.choices)
    # SEC-05: plain decimals only; the minimum, the places and the caps are the service's (PAY-L10 names them).
    amount = money_form_field(label=_("amount"), places_checked_by_service=True)
    product_id = forms.ChoiceField(label=_("related product"), required=False)
    reason = forms.CharField(label=_("reason"), max_length=255)
    buyer_message = forms.CharField(label=_("message to the buyer"), max_length=255,
                                    widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    pay_method = forms.ChoiceField(label=_("pay method"), choices=PayMethod.choices, initial=PayMethod.BALANCE,
                                   widget=forms.RadioSelect)
    scan_channel = forms.ChoiceField(label=_("scan channel"), required=False,
                                     choices=[("", "---------"), *ScanChannel.choices])

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_id"].choices = [("", _("none"))] + [
            (item.product_id, f"{item.name}({item.product_id})") for item in order.items.all()
        ]
        if not order.shop.profile.scan_to_pay_enabled:
            # Douyin: no scan-to-pay (PAY-Q01), the balance is the only method.
            self.fields["pay_method"].choices = [(PayMethod.BALANCE, PayMethod.BALANCE.label)]
            del self.fields["scan_channel"]

    def clean(self):
        data = super().clean()
        if data.get("pay_method") == PayMethod.SCAN and not data.get("scan_channel"):
            self.add_error("scan_channel", _("Choose WeChat Pay or Alipay to pay by scanning."))
        for name in ("reason", "buyer_message"):  # PAY-F06, said at once (the service refuses it too)
            if off_platform_contact(data.get(name) or ""):
                self.add_error(name, ApplicationError(PayoutError.OFF_PLATFORM_CONTACT).text())
        return data

    def as_input(self, **override) -> PayoutInput:
        data = {**self.cleaned_data, **override}
        scan = data.get("pay_method") == PayMethod.SCAN
        return PayoutInput(type=data["type"], amount=data["amount"], reason=data["reason"],
                           buyer_message=data["buyer_message"], product_id=data.get("product_id") or "",
                           pay_method=data.get("pay_method") or PayMethod.BALANCE,
                           scan_channel=(data.get("scan_channel") or "") if scan else "")
