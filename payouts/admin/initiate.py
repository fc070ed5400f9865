"""发起打款: find the order, see its eligibility rule by rule, the earlier payouts and the platform's
shipping-fee refunds (PAY-F04), the headroom (PAY-F05); fill in, confirm, and the service decides."""

import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core import idempotency
from core.errors import ApplicationError
from core.models import IdempotencyKey
from core.tenancy import scope_queryset
from orders.models import Order

from ..labels import q04_reasons
from ..models import PayMethod, Payout, PayoutStatus, PayoutType, ScanChannel
from ..selectors import payouts_may_pay
from ..services import payout_create, payout_request_create
from .base import section_context
from .forms import PayoutForm
from .panel import panel_for

CREATED_PAGE = {"payout": "admin:payouts_payout_change", "request": "admin:payouts_payoutrequest_change"}


def refusal_text(exc: ApplicationError) -> str:
    """A refusal as a form error: its message, then the PAY-Q04 reasons or the fields it names."""
    text = exc.text()
    reasons = exc.extra.get("reasons") if exc.extra else None
    if reasons:
        text = f"{text}: {'; '.join(q04_reasons(reasons))}"
    fields = exc.extra.get("fields") if exc.extra else None
    if fields:
        text = f"{text}: {', '.join(sorted(fields))}"
    return text


class InitiatePage:
    """The confirm step carries a one-time token, the Idempotency-Key of the submission (core.idempotency):
    a double click (or a reload of the POST) waits for the first and is answered with what it created, so
    nothing is created twice; a refusal frees the token with everything else rolled back."""

    TEMPLATE = "admin/payouts/payout/initiate.html"

    def __init__(self, model_admin, request):
        self.admin = model_admin
        self.request = request
        self.user = request.user

    def response(self):
        if not payouts_may_pay(user=self.user) or not self.admin.has_view_permission(self.request):
            raise PermissionDenied
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        order_no = (source.get("order_no") or "").strip()
        context = {"order_no": order_no, "order": None, "step": "find"}
        if not order_no:
            return self.render(context)
        order = (scope_queryset(Order.objects.select_related("shop__profile", "buyer"), self.user)
                 .filter(order_no=order_no).first())
        if order is None:
            context["not_found"] = True
            return self.render(context)
        context.update(order=order, step="fill")
        action = self.request.POST.get("action") if self.request.method == "POST" else None
        form = PayoutForm(self.request.POST if action else None, order=order)
        if action and action != "edit" and form.is_valid():
            if action == "preview":
                return self.render(self.confirm_context(context, order, form))
            if action in ("confirm", "scan", "request"):
                done = self.submit(order, form, action)
                if done is not None:
                    return done
        if action == "edit":
            form.errors.clear()  # back from the confirm step: the values, without a fresh validation
        context["form"] = form
        context["panel"] = panel_for(order=order, user=self.user)
        return self.render(context)

    def confirm_context(self, context: dict, order: Order, form: PayoutForm) -> dict:
        data = form.cleaned_data
        panel = panel_for(order=order, user=self.user, amount=data["amount"], pay_method=data["pay_method"])
        hidden = PayoutForm(initial=data, order=order)
        for field in hidden.fields.values():
            field.widget = forms.HiddenInput()
        balance_blocked = data["pay_method"] == PayMethod.BALANCE and not panel["balance_usable"]
        # The confirm step only for a pay method that passes every rule; otherwise the page lists the failing
        # rules and offers only what could still be done (scan to pay, a request to the administrator).
        passes = not panel["problem_rows"] and not balance_blocked
        scan_passes = balance_blocked and order.shop.profile.scan_to_pay_enabled and not panel_for(
            order=order, user=self.user, amount=data["amount"], pay_method=PayMethod.SCAN)["problem_rows"]
        product = next((label for value, label in form.fields["product_id"].choices if value == data.get("product_id")),
                       "")
        method = dict(PayMethod.choices)[data["pay_method"]]
        if data["pay_method"] == PayMethod.SCAN:
            method = f"{method} · {dict(ScanChannel.choices).get(data.get('scan_channel') or '', '')}"
        context.update(
            step="confirm" if passes else "alternatives", form=hidden, panel=panel, token=secrets.token_urlsafe(24),
            method=method,
            summary={
                "type": dict(PayoutType.choices)[data["type"]], "amount": data["amount"],
                "product": product if data.get("product_id") else "", "reason": data["reason"],
                "buyer_message": data["buyer_message"], "pay_method": dict(PayMethod.choices)[data["pay_method"]],
                "scan_channel": dict(ScanChannel.choices).get(data.get("scan_channel") or "", ""),
            },
            can_confirm=passes,
            offer_scan=bool(scan_passes),
            offer_request=self.user.role == Role.SUB or balance_blocked,
            scan_channels=ScanChannel.choices,
        )
        return context

    def submit(self, order: Order, form: PayoutForm, action: str):
        """Run the service once under the token and answer with the new payout (or request); None with a form
        error on a refusal (nothing changed)."""
        token = (self.request.POST.get("token") or "").strip()
        if not token or len(token) > 200:
            form.add_error(None, _("This confirmation has expired; please confirm again."))
            return None
        if action == "scan":
            channel = self.request.POST.get("switch_channel") or ""
            if channel not in ScanChannel.values:
                form.add_error(None, _("Choose WeChat Pay or Alipay to pay by scanning."))
                return None
            data = form.as_input(pay_method=PayMethod.SCAN, scan_channel=channel)
        else:
            data = form.as_input()

        def run():
            if action == "request":
                return "request", payout_request_create(order=order, data=data, actor=self.user)
            return "payout", payout_create(order=order, data=data, actor=self.user)

        try:
            result = idempotency.once(
                user=self.user, key=f"admin:payout:{token}", wait=True,
                fingerprint=idempotency.fingerprint_of(order.pk, action, {k: str(v) for k, v in vars(data).items()}),
                run=run, store=lambda made: (201, {made[0]: made[1].pk}))
        except ApplicationError as exc:
            if exc.error is idempotency.KEY_REUSED:
                messages.error(self.request, _("This confirmation was already used; please start again."))
                return HttpResponseRedirect(reverse("admin:payouts_payout_initiate"))
            form.add_error(None, refusal_text(exc))
            return None
        if isinstance(result, IdempotencyKey):
            messages.warning(self.request, _("This payout was already submitted; it was not created twice."))
            kind, pk = next(iter(result.response_body.items()))
            return HttpResponseRedirect(reverse(CREATED_PAGE[kind], args=[pk]))
        kind, created = result
        if kind == "request":
            messages.success(self.request, _("The request was sent to the administrator for approval."))
        elif created.status == PayoutStatus.AWAITING_TOP_UP:
            messages.success(self.request, _("Scan the QR code within the top-up window to pay this payout."))
        else:
            messages.success(self.request, _("The payout was created."))
        return HttpResponseRedirect(reverse(CREATED_PAGE[kind], args=[created.pk]))

    def render(self, context: dict):
        order = context.get("order")
        context.update(self.admin.admin_site.each_context(self.request))
        context.update(section_context(self.request, "initiate"))
        context.update(
            opts=Payout._meta,
            title=_("Initiate a payout"),
            order_items=list(order.items.all()) if order else [],
            order_url=reverse("admin:orders_order_change", args=[order.pk]) if order else "",
        )
        return TemplateResponse(self.request, self.TEMPLATE, context)
