"""The account card's form (PAY-B02): an Alipay account with the holder's real name, or a bank card with the
holder's name and bank; a card number must pass the Luhn check digit."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from payouts.models import CardChannel

PHONE = re.compile(r"1\d{10}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def luhn_ok(number: str) -> bool:
    """The Luhn check digit (ISO/IEC 7812) that Chinese bank cards (UnionPay) carry."""
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class CardForm(forms.Form):
    channel = forms.ChoiceField(label=_("Receive by"), choices=CardChannel.choices, widget=forms.RadioSelect,
                                initial=CardChannel.ALIPAY)
    account = forms.CharField(label=_("Account"), max_length=64)
    name = forms.CharField(label=_("Real name"), max_length=32)
    bank = forms.CharField(label=_("Bank"), max_length=64, required=False)

    def clean(self):
        data = super().clean()
        channel, account = data.get("channel"), (data.get("account") or "").strip()
        if channel == CardChannel.BANK_CARD:
            number = re.sub(r"[\s-]", "", account)
            if not number.isdigit() or not 12 <= len(number) <= 19:
                self.add_error("account", _("A bank card number has 12 to 19 digits."))
            elif not luhn_ok(number):
                self.add_error("account", _("This card number is not valid; please check it."))
            account = number
            if not (data.get("bank") or "").strip():
                self.add_error("bank", _("Please enter the bank of the card."))
        elif channel == CardChannel.ALIPAY:
            if not (PHONE.fullmatch(account) or EMAIL.fullmatch(account)):
                self.add_error("account", _("An Alipay account is a mobile number or an e-mail address."))
        data["account"] = account
        data["name"] = (data.get("name") or "").strip()
        data["bank"] = (data.get("bank") or "").strip() if channel == CardChannel.BANK_CARD else ""
        return data
