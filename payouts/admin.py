"""售后 › 小额打款 in the admin (SPEC §9): 发起打款 (a two-step page), 打款记录 (the payout list with its
filters and exports, and each payout's timeline, cards and notifications), 待处理 (the approval queue).

Thin: every write goes through payouts.services; a refusal is shown with its Chinese message and rule, and
changes nothing. A Douyin sub-account without an enabled quota does not see these pages at all (PAY-L08).
"""

import csv
import datetime as dt
import hashlib
import io
import json
import secrets
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import SHOP_ROLES, PayoutQuota, Role, User
from core.admin import BackOfficeAdmin, BackOfficeInline
from core.clock import SHANGHAI, now
from core.errors import ApplicationError
from core.export import spreadsheet_safe
from core.models import IdempotencyKey
from core.tenancy import scope_queryset
from notifications.admin import NotificationInline
from orders.models import Order

from .errors import PayoutError
from .labels import chinese, error_text, event_details, event_label, q04_reasons
from .models import (
    PayMethod,
    Payout,
    PayoutCard,
    PayoutEvent,
    PayoutRequest,
    PayoutStatus,
    PayoutType,
    RequestStatus,
    ScanChannel,
)
from .selectors import payout_panel, payout_requests_visible
from .services import (
    PayoutInput,
    payout_card_resend,
    payout_continue,
    payout_create,
    payout_request_approve,
    payout_request_create,
    payout_request_reject,
    top_up_qr,
)

VIEWERS = frozenset({*SHOP_ROLES, Role.PLATFORM})


# ---------------------------------------------------------------------------------------------- who sees what


def payouts_hidden(user) -> bool:
    """PAY-L08: where a sub-account without an enabled quota is refused (no scan-to-pay: Douyin), the 小额打款
    pages are hidden from it. Cached on the user object for the request."""
    if getattr(user, "role", None) != Role.SUB or user.shop_id is None:
        return False
    cached = getattr(user, "_payouts_hidden", None)
    if cached is None:
        cached = not user.shop.profile.scan_to_pay_enabled and not PayoutQuota.objects.filter(
            user=user, enabled=True).exists()
        user._payouts_hidden = cached
    return cached


def may_pay(user) -> bool:
    """Pay, continue, resend a card, send a request: the shop's people (SPEC §1), minus PAY-L08."""
    return bool(user.is_active and user.role in SHOP_ROLES and not payouts_hidden(user))


def may_decide(user, payout_request: PayoutRequest) -> bool:
    """PAY-A02: the main account; on Pinduoduo also customer-service admins; never the requester."""
    if not user.is_active or user.shop_id != payout_request.shop_id or user.pk == payout_request.requester_id:
        return False
    if user.role == Role.MAIN:
        return True
    return user.role == Role.CS_ADMIN and payout_request.shop.profile.scan_to_pay_enabled


def quota_link_visible(request) -> bool:
    quota_admin = admin.site._registry.get(PayoutQuota)
    return bool(quota_admin and quota_admin.has_view_permission(request))


def section_context(request, current: str) -> dict:
    """The 小额打款 tabs shown on top of each page: 发起打款, 打款记录, 待处理, 客服打款配额."""
    return {
        "payout_tabs_current": current,
        "payout_tab_initiate": may_pay(request.user),
        "payout_tab_quota": quota_link_visible(request),
    }


def payout_title(payout: Payout) -> str:
    return f"#{payout.pk} {payout.order.order_no} {payout.get_type_display()} {payout.amount}"


def request_title(payout_request: PayoutRequest) -> str:
    return f"#{payout_request.pk} {payout_request.order.order_no} {payout_request.get_type_display()} {payout_request.amount}"


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


class SmallPayoutsAdmin(BackOfficeAdmin):
    view_roles = VIEWERS

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and not payouts_hidden(request.user)

    def _refuse_unless_post(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return None

    def _change_url(self, obj) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


# ---------------------------------------------------------------------------------------------- 打款记录 filters


class ApplicantFilter(admin.SimpleListFilter):
    """PAY-R01 申请人: the shop's people, from the users table (no DISTINCT over the payouts). Platform staff
    get no list (every shop's people) but may still filter with ?applicant=<username>."""

    title = _("applicant")
    parameter_name = "applicant"

    def lookups(self, request, model_admin):
        user = request.user
        if user.shop_id is None:
            return []
        people = User.objects.filter(shop_id=user.shop_id, role__in=sorted(SHOP_ROLES)).order_by("username")
        return [(u.username, u.username) for u in people]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(applicant__username=self.value())
        return queryset


def _parse_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


class CreatedRangeFilter(admin.ListFilter):
    """PAY-R01 time range: creation time, which is the debit time of a balance payout (Asia/Shanghai days,
    both ends included). An unreadable date is ignored rather than refused."""

    title = _("created time")
    template = "admin/payouts/created_range_filter.html"
    parameters = ("created_from", "created_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.values[name] = value[-1] if isinstance(value, list) else value

    def has_output(self) -> bool:
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        start, end = _parse_day(self.values.get("created_from")), _parse_day(self.values.get("created_to"))
        if start:
            queryset = queryset.filter(created_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=SHANGHAI))
        if end:
            queryset = queryset.filter(
                created_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI))
        return queryset

    def choices(self, changelist):
        keep = [(k, v) for k, v in changelist.params.items() if k not in self.parameters and k != "p"]
        yield {
            "selected": bool(self.values),
            "created_from": self.values.get("created_from", ""),
            "created_to": self.values.get("created_to", ""),
            "keep": keep,
            "clear": changelist.get_query_string(remove=list(self.parameters)),
        }


# ---------------------------------------------------------------------------------------------- payout detail


class PayoutEventInline(BackOfficeInline):
    model = PayoutEvent
    fields = ("at", "what", "actor", "details")
    readonly_fields = fields
    ordering = ("at", "id")
    verbose_name_plural = _("timeline")

    @admin.display(description=_("operation"))
    def what(self, obj):
        return event_label(obj.type)

    @admin.display(description=_("details"))
    def details(self, obj):
        return event_details(obj.params)


class PayoutCardInline(BackOfficeInline):
    """PAY-C04: the masked account only; the one kept for the retry never reaches a page."""

    model = PayoutCard
    fields = ("status", "sent_at", "expires_at", "sent_by", "channel", "account_masked", "submitted_at")
    readonly_fields = fields


PAYOUT_FIELDS = (
    "order_link", "type", "amount", "status", "failure_reason", "pay_method", "scan_channel", "product_id",
    "reason", "buyer_message", "applicant", "approved_by", "request_link", "quota_user", "held", "counted",
    "created_at", "submitted_at", "auto_submit_at", "top_up_deadline", "succeeded_at", "failed_at", "close_at",
    "closed_at", "return_due_at", "returned_at", "flagged",
)

EXPORT_COLUMNS = (
    (_("payout number"), lambda p: p.pk),
    (_("order number"), lambda p: p.order.order_no),
    (_("payout type"), lambda p: p.get_type_display()),
    (_("amount"), lambda p: p.amount),
    (_("status"), lambda p: p.get_status_display()),
    (_("failure reason"), lambda p: p.get_failure_reason_display()),
    (_("pay method"), lambda p: p.get_pay_method_display()),
    (_("related product"), lambda p: p.product_id),
    (_("applicant"), lambda p: p.applicant.username),
    (_("approved by"), lambda p: p.approved_by.username if p.approved_by else ""),
    (_("reason"), lambda p: p.reason),
    (_("message to the buyer"), lambda p: p.buyer_message),
    (_("created at"), lambda p: _local(p.created_at)),
    (_("shop"), lambda p: p.shop.name),
)


def _cell(value, numbers: bool = False):
    """An export cell. Free text typed by operators (reason, message) that starts like a formula is quoted,
    so a spreadsheet shows it instead of running it (CSV/formula injection)."""
    if isinstance(value, Decimal):
        return float(value) if numbers else value
    return spreadsheet_safe(value)


@admin.register(Payout)
class PayoutAdmin(SmallPayoutsAdmin):
    """打款记录 (PAY-R01, PAY-R02): read-only; money changes only through the services."""

    list_display = ("id", "order_no", "type", "amount", "status", "pay_method", "applicant", "approved_by",
                    "created_at")
    list_display_links = ("id", "order_no")
    list_filter = ("status", ApplicantFilter, CreatedRangeFilter, "type", "pay_method")
    list_select_related = ("order", "applicant", "approved_by")
    search_fields = ("=order__order_no", "=product_id")
    search_help_text = _("Order number or product ID (exact)")
    fields = PAYOUT_FIELDS
    readonly_fields = PAYOUT_FIELDS
    inlines = [PayoutEventInline, PayoutCardInline, NotificationInline]
    actions = ["continue_payouts"]
    change_list_template = "admin/payouts/payout/change_list.html"
    change_form_template = "admin/payouts/payout/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "applicant", "approved_by", "shop")

    def get_search_results(self, request, queryset, search_term):
        # Exact order number or product ID: two indexed lookups, no join fan-out, no DISTINCT.
        term = search_term.strip()
        if not term:
            return queryset, False
        orders = Order.objects.filter(order_no=term).values("pk")
        return queryset.filter(order_id__in=orders) | queryset.filter(product_id=term), False

    def has_pay_permission(self, request) -> bool:
        return may_pay(request.user)

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, obj):
        return obj.order.order_no

    @admin.display(description=_("order"))
    def order_link(self, obj):
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html('<a href="{}">{}</a>', url, obj.order.order_no)

    @admin.display(description=_("approval request"))
    def request_link(self, obj):
        req = PayoutRequest.objects.filter(payout=obj).first()
        if req is None:
            return "-"
        return format_html('<a href="{}">#{}</a>', reverse("admin:payouts_payoutrequest_change", args=[req.pk]), req.pk)

    # -- actions ------------------------------------------------------------------------------------

    @admin.action(description=_("Continue the selected pending payouts"), permissions=["pay"])
    def continue_payouts(self, request, queryset):
        """继续打款 (PAY-S02): each pending payout is submitted once; any other answers its refusal."""
        done = 0
        for payout in queryset:
            try:
                payout_continue(payout=payout, actor=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"#{payout.pk}: {error_text(exc)}", messages.ERROR)
        if done:
            self.message_user(request, gettext("%(n)d payout(s) continued.") % {"n": done}, messages.SUCCESS)

    # -- pages --------------------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("initiate/", wrap(self.initiate_view), name="payouts_payout_initiate"),
            path("export/<str:fmt>/", wrap(self.export_view), name="payouts_payout_export"),
            path("<path:object_id>/continue/", wrap(self.continue_view), name="payouts_payout_continue"),
            path("<path:object_id>/resend-card/", wrap(self.resend_card_view), name="payouts_payout_resend_card"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {**section_context(request, "records"), "title": _("Payout records"), **(extra_context or {})}
        return super().changelist_view(request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {**section_context(request, "records"), **(extra_context or {})}
        payout = self.get_object(request, object_id)
        if payout is not None:
            pay = may_pay(request.user)
            context.update({
                "can_continue": pay and payout.status == PayoutStatus.PENDING,
                "can_continue_top_up": pay and payout.status == PayoutStatus.AWAITING_TOP_UP,
                "can_resend_card": pay and payout.status == PayoutStatus.FAILED
                and payout.shop.profile.account_card_enabled,
                "qr": top_up_qr(payout),
                "subtitle": payout_title(payout),
            })
        return super().change_view(request, object_id, form_url, context)

    def continue_view(self, request, object_id):
        """继续打款 / 继续充值 from the detail page (PAY-S02, PAY-Q02)."""
        refused = self._refuse_unless_post(request)
        if refused:
            return refused
        payout = self.get_object(request, object_id)
        if payout is None:
            raise Http404
        if not may_pay(request.user) or not self.has_view_permission(request):
            raise PermissionDenied
        was = payout.status
        try:
            payout_continue(payout=payout, actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
        else:
            msg = _("Top-up continued: scan the QR code again.") if was == PayoutStatus.AWAITING_TOP_UP else _(
                "The payout was submitted.")
            self.message_user(request, msg, messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(payout))

    def resend_card_view(self, request, object_id):
        """重新发送卡片 (PAY-C03)."""
        refused = self._refuse_unless_post(request)
        if refused:
            return refused
        payout = self.get_object(request, object_id)
        if payout is None:
            raise Http404
        if not may_pay(request.user) or not self.has_view_permission(request):
            raise PermissionDenied
        try:
            payout_card_resend(payout=payout, actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
        else:
            self.message_user(request, _("A new account card was sent to the buyer."), messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(payout))

    def export_view(self, request, fmt):
        """PAY-R01 export: the list as currently filtered and searched, as CSV or XLSX."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if fmt not in ("csv", "xlsx"):
            raise Http404
        changelist = self.get_changelist_instance(request)
        rows = changelist.queryset.select_related("order", "applicant", "approved_by", "shop")
        header = [str(title) for title, _get in EXPORT_COLUMNS]
        stamp = timezone.localtime(now()).strftime("%Y%m%d-%H%M%S")
        if fmt == "csv":
            buffer = io.StringIO()
            buffer.write("\ufeff")  # Excel reads UTF-8 CSV only with a BOM
            writer = csv.writer(buffer)
            writer.writerow(header)
            for payout in rows.iterator(chunk_size=2000):
                writer.writerow([_cell(get(payout)) for _title, get in EXPORT_COLUMNS])
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        else:
            from openpyxl import Workbook

            book = Workbook(write_only=True)
            sheet = book.create_sheet(title=str(_("payout records"))[:31])
            sheet.append(header)
            for payout in rows.iterator(chunk_size=2000):
                sheet.append([_cell(get(payout), numbers=True) for _title, get in EXPORT_COLUMNS])
            out = io.BytesIO()
            book.save(out)
            response = HttpResponse(
                out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="payouts-{stamp}.{fmt}"'
        return response

    def initiate_view(self, request):
        return InitiatePage(self, request).response()


# ---------------------------------------------------------------------------------------------- 发起打款


def panel_for(*, order: Order, user, amount: Decimal | None = None, pay_method: str = PayMethod.BALANCE) -> dict:
    """payout_panel (PAY-F04, F05) with what the templates show: each failing rule's message in the page's
    language with its rule ID, the PAY-Q04 reasons, earlier payouts with links, the platform's refunds."""
    panel = payout_panel(order=order, actor=user, amount=amount)
    problems = panel["problems"]
    if pay_method == PayMethod.SCAN:
        # A scan payout holds nothing: the balance rule does not apply to it (PAY-Q01).
        problems = [p for p in problems if p.error.rule != "PAY-L09"]
    zh = chinese()
    panel["problem_rows"] = [{"rule": p.error.rule, "code": p.code, "text": p.message if zh else p.message_en}
                             for p in problems]
    panel["q04_texts"] = q04_reasons(panel["balance_blocked_reasons"])
    panel["previous_rows"] = [
        {"payout": p, "url": reverse("admin:payouts_payout_change", args=[p.pk]), "created": _local(p.created_at)}
        for p in panel["previous_payouts"]
    ]
    panel["refund_rows"] = [{"amount": r.amount, "at": _local(r.at)} for r in panel["platform_shipping_refunds"]]
    return panel


class PayoutForm(forms.Form):
    """PAY-F01..F03. The amount's rules (minimum, two decimals, caps) are the service's: it is taken as typed."""

    type = forms.ChoiceField(label=_("payout type"), choices=PayoutType.choices)
    amount = forms.DecimalField(label=_("amount"), max_digits=14)
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
        return data

    def as_input(self, **override) -> PayoutInput:
        data = {**self.cleaned_data, **override}
        scan = data.get("pay_method") == PayMethod.SCAN
        return PayoutInput(type=data["type"], amount=data["amount"], reason=data["reason"],
                           buyer_message=data["buyer_message"], product_id=data.get("product_id") or "",
                           pay_method=data.get("pay_method") or PayMethod.BALANCE,
                           scan_channel=(data.get("scan_channel") or "") if scan else "")


def _amount_acceptable(amount: Decimal, order: Order) -> bool:
    return amount >= order.shop.profile.min_amount and amount == amount.quantize(Decimal("0.01"))


def _fingerprint(order: Order, data: PayoutInput, action: str) -> str:
    raw = json.dumps({"order": order.pk, "action": action, **{k: str(v) for k, v in data.__dict__.items()}},
                     sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


class InitiatePage:
    """发起打款: find the order, see its eligibility rule by rule, the earlier payouts and the platform's
    shipping-fee refunds (PAY-F04), the headroom (PAY-F05); fill in, confirm, and the service decides.

    The confirm step carries a one-time token. Submitting it claims an IdempotencyKey row in the same
    transaction as the payout: a double click (or a reload of the POST) finds the row and creates nothing;
    a refusal rolls the claim back with everything else, so a corrected resubmission can go through.
    """

    TEMPLATE = "admin/payouts/payout/initiate.html"

    def __init__(self, model_admin: PayoutAdmin, request):
        self.admin = model_admin
        self.request = request
        self.user = request.user

    def response(self):
        if not may_pay(self.user) or not self.admin.has_view_permission(self.request):
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
        context["panel"] = self.panel(order)
        return self.render(context)

    def panel(self, order: Order, amount: Decimal | None = None, pay_method: str = PayMethod.BALANCE) -> dict:
        return panel_for(order=order, user=self.user, amount=amount, pay_method=pay_method)

    def confirm_context(self, context: dict, order: Order, form: PayoutForm) -> dict:
        data = form.cleaned_data
        panel = self.panel(order, amount=data["amount"], pay_method=data["pay_method"])
        profile = order.shop.profile
        hidden = PayoutForm(initial=data, order=order)
        for field in hidden.fields.values():
            field.widget = forms.HiddenInput()
        by_balance = data["pay_method"] == PayMethod.BALANCE
        balance_blocked = by_balance and not panel["balance_usable"]
        product = next((label for value, label in form.fields["product_id"].choices if value == data.get("product_id")),
                       "")
        context.update(
            step="confirm", form=hidden, panel=panel, token=secrets.token_urlsafe(24),
            summary={
                "type": dict(PayoutType.choices)[data["type"]], "amount": data["amount"],
                "product": product if data.get("product_id") else "", "reason": data["reason"],
                "buyer_message": data["buyer_message"], "pay_method": dict(PayMethod.choices)[data["pay_method"]],
                "scan_channel": dict(ScanChannel.choices).get(data.get("scan_channel") or "", ""),
            },
            can_confirm=not balance_blocked,
            offer_scan=balance_blocked and profile.scan_to_pay_enabled,
            offer_request=self.user.role == Role.SUB or balance_blocked,
            scan_channels=ScanChannel.choices,
        )
        return context

    def submit(self, order: Order, form: PayoutForm, action: str):
        """Claim the token, call the service, and answer with the new payout (or request); None with a form
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
        if action == "request" and not _amount_acceptable(data.amount, order):
            # payout_request_create does not check PAY-L10 (reported): a malformed amount would reach the
            # table's CHECK constraint as a 500. Refused here with the rule's own message instead.
            form.add_error(None, self.refusal_text(ApplicationError(
                PayoutError.INVALID_AMOUNT, {"minimum": order.shop.profile.min_amount})))
            return None
        fingerprint = _fingerprint(order, data, action)
        key = f"admin:payout:{token}"
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        claim = IdempotencyKey.objects.create(user=self.user, key=key, fingerprint=fingerprint,
                                                              created_at=now())
                except IntegrityError:
                    return self.duplicate(key, fingerprint)
                if action == "request":
                    created = payout_request_create(order=order, data=data, actor=self.user)
                    body = {"request": created.pk}
                else:
                    created = payout_create(order=order, data=data, actor=self.user)
                    body = {"payout": created.pk}
                claim.state = IdempotencyKey.State.DONE
                claim.response_status = 201
                claim.response_body = body
                claim.save(update_fields=["state", "response_status", "response_body"])
        except ApplicationError as exc:
            form.add_error(None, self.refusal_text(exc))
            return None
        if action == "request":
            messages.success(self.request, _("The request was sent to the administrator for approval."))
            return HttpResponseRedirect(reverse("admin:payouts_payoutrequest_change", args=[created.pk]))
        if created.status == PayoutStatus.AWAITING_TOP_UP:
            messages.success(self.request, _("Scan the QR code within the top-up window to pay this payout."))
        else:
            messages.success(self.request, _("The payout was created."))
        return HttpResponseRedirect(reverse("admin:payouts_payout_change", args=[created.pk]))

    def refusal_text(self, exc: ApplicationError) -> str:
        text = error_text(exc)
        reasons = exc.extra.get("reasons") if exc.extra else None
        if reasons:
            text = f"{text}: {'; '.join(q04_reasons(reasons))}"
        fields = exc.extra.get("fields") if exc.extra else None
        if fields:
            text = f"{text}: {', '.join(sorted(fields))}"
        return text

    def duplicate(self, key: str, fingerprint: str):
        row = IdempotencyKey.objects.filter(user=self.user, key=key).first()
        body = (row.response_body or {}) if row else {}
        if row is None or row.fingerprint != fingerprint or not body:
            messages.error(self.request, _("This confirmation was already used; please start again."))
            return HttpResponseRedirect(reverse("admin:payouts_payout_initiate"))
        messages.warning(self.request, _("This payout was already submitted; it was not created twice."))
        if "request" in body:
            return HttpResponseRedirect(reverse("admin:payouts_payoutrequest_change", args=[body["request"]]))
        return HttpResponseRedirect(reverse("admin:payouts_payout_change", args=[body["payout"]]))

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


# ---------------------------------------------------------------------------------------------- 待处理


REQUEST_FIELDS = ("order_link", "type", "amount", "product_id", "reason", "buyer_message", "requester", "status",
                  "created_at", "decided_by", "decided_at", "reject_reason", "payout_link")


@admin.register(PayoutRequest)
class PayoutRequestAdmin(SmallPayoutsAdmin):
    """待处理 (PAY-A02, A03): the main account (and Pinduoduo customer-service admins) approve or reject;
    a requester sees only their own requests and outcomes."""

    list_display = ("id", "order_no", "type", "amount", "requester", "status", "created_at", "decided_by",
                    "payout_link")
    list_filter = ("status",)
    list_select_related = ("order", "requester", "decided_by", "payout")
    search_fields = ("=order__order_no",)
    search_help_text = _("Order number (exact)")
    fields = REQUEST_FIELDS
    readonly_fields = REQUEST_FIELDS
    change_form_template = "admin/payouts/payoutrequest/change_form.html"
    change_list_template = "admin/payouts/payoutrequest/change_list.html"

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("order", "requester", "decided_by", "payout", "shop")
        return payout_requests_visible(qs=qs, user=request.user)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/approve/", wrap(self.approve_view), name="payouts_payoutrequest_approve"),
            path("<path:object_id>/reject/", wrap(self.reject_view), name="payouts_payoutrequest_reject"),
            *super().get_urls(),
        ]

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, obj):
        return obj.order.order_no

    @admin.display(description=_("order"))
    def order_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]),
                           obj.order.order_no)

    @admin.display(description=_("payout"))
    def payout_link(self, obj):
        if not obj.payout_id:
            return "-"
        return format_html('<a href="{}">#{}</a>', reverse("admin:payouts_payout_change", args=[obj.payout_id]),
                           obj.payout_id)

    def changelist_view(self, request, extra_context=None):
        context = {**section_context(request, "requests"), "title": _("Pending"), **(extra_context or {})}
        return super().changelist_view(request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {**section_context(request, "requests"), **(extra_context or {})}
        obj = self.get_object(request, object_id)
        if obj is not None:
            decide = obj.status == RequestStatus.PENDING and may_decide(request.user, obj)
            context["can_decide"] = decide
            context["not_decider"] = not decide  # the requester sees the duplicate warning, not the approver's checks
            context["subtitle"] = request_title(obj)
            if decide or obj.status == RequestStatus.PENDING:
                # PAY-F04: the approver sees the same duplicate warning as the operator.
                context["panel"] = panel_for(order=obj.order, user=request.user, amount=obj.amount)
        return super().change_view(request, object_id, form_url, context)

    def _decide(self, request, object_id, decide):
        refused = self._refuse_unless_post(request)
        if refused:
            return refused
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            message = decide(obj)
        except ApplicationError as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(obj))

    def approve_view(self, request, object_id):
        """Approve: every order and shop rule is checked again; a failure leaves the request pending."""
        def approve(obj):
            payout = payout_request_approve(request=obj, actor=request.user)
            return gettext("Approved: payout #%(id)s was created.") % {"id": payout.pk}

        return self._decide(request, object_id, approve)

    def reject_view(self, request, object_id):
        def reject(obj):
            payout_request_reject(request=obj, actor=request.user, reason=request.POST.get("reason", ""))
            return gettext("The request was rejected.")

        return self._decide(request, object_id, reject)
