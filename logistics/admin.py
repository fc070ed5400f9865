"""快递拦截服务: 开通服务 (contracts and the outlet's review), the interception page of a ticket, 服务单查询
(records with filters and export), 投诉 (claims) and the assistant rule 快递拦截自动退. Thin: every write
calls a service; refusals show as error messages."""

import re
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import SHOP_ROLES, Role
from accounts.roles import EVERYONE, SHOP_AND_PLATFORM
from aftersales.admin import TICKET_TOOLS
from aftersales.models import Ticket
from core import labels
from core.admin import BackOfficeAdmin, BackOfficeInline
from core.errors import ApplicationError, CommonError
from core.money import money_form_field, parse_money
from core.tenancy import scope_queryset
from orders.couriers import COURIER_CHOICES
from orders.models import Outlet

from . import selectors, services
from .models import (
    CONTRACT_REMINDER,
    OPEN_CONTRACT_STATUSES,
    AutoInterceptRule,
    Claim,
    ClaimKind,
    ClaimStatus,
    ContractStatus,
    Interception,
    InterceptionContract,
    InterceptionStatus,
    Settlement,
)

MAIN = frozenset({Role.MAIN})
OUTLET = frozenset({Role.OUTLET})


def _preview_in_words(preview: dict) -> dict:
    """The dry run's codes as words: the parcel's status, intercept or skip, the settlement mode, the reason."""
    from orders.models import Parcel

    statuses = dict(Parcel.Status.choices)
    actions = {"intercept": _("intercept"), "skip": _("skip")}
    for row in preview.get("rows", []):
        status = row.get("parcel_status")
        row["parcel_status"] = statuses.get(status, status)
        row["action"] = actions.get(row.get("action"), row.get("action"))
        if row.get("mode"):
            row["mode"] = dict(Settlement.choices).get(row["mode"], row["mode"])
        reason = row.get("reason") or ""
        if reason == "already_intercepted":
            row["reason"] = _("already intercepted")
        elif reason.startswith("parcel_"):
            row["reason"] = _("parcel %(status)s") % {"status": statuses.get(reason[7:], reason[7:])}
    return preview


def _timeline(obj, subject: str) -> list[dict]:
    return labels.timeline(obj.events.select_related("actor").order_by("at", "id"), subject)


def _intercept_tool(request, ticket: Ticket):
    """快递拦截 on the ticket page (aftersales.admin.TICKET_TOOLS), while the ticket can still intercept a
    parcel in transit (INT-01)."""
    user = request.user
    if user.is_active and (user.is_superuser or user.is_shop_member) and selectors.interception_available(ticket=ticket):
        return _("Intercept parcel"), reverse("admin:logistics_intercept", args=[ticket.pk]), "intercept"
    return None


TICKET_TOOLS.append(_intercept_tool)


def _page(admin_obj, request, template: str, title, **context):
    return TemplateResponse(request, template, {
        **admin_obj.admin_site.each_context(request), "opts": admin_obj.model._meta, "title": title, **context,
    })


# --- 开通服务 -----------------------------------------------------------------------------------------


class ContractOpenForm(forms.Form):
    courier = forms.ChoiceField(label=_("courier"), choices=COURIER_CHOICES)
    outlets = forms.ModelMultipleChoiceField(label=_("outlets"), queryset=Outlet.objects.order_by("courier", "code"),
                                             widget=forms.CheckboxSelectMultiple)
    agreed_price = money_form_field(label=_("agreed price per parcel"), min_value=Decimal("0"))
    terms_agreed = forms.BooleanField(label=_("I have agreed the terms and price with these outlets"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        no_waybill = _("no Douyin e-waybill: cannot be contracted")
        self.fields["outlets"].label_from_instance = lambda o: (
            f"{o.name} ({o.code}) · {o.get_courier_display()}" + ("" if o.e_waybill else f" · {no_waybill}")
        )


@admin.register(InterceptionContract)
class InterceptionContractAdmin(BackOfficeAdmin):
    """开通服务: the shop's contracts; the main account opens new ones; outlet users review theirs."""

    view_roles = EVERYONE
    add_roles = MAIN
    list_display = ("outlet", "courier", "shop", "agreed_price", "status", "created_at", "review_link")
    list_filter = ("status", "courier")
    list_select_related = ("outlet", "shop")
    readonly_fields = ("shop", "outlet", "courier", "agreed_price", "status", "reject_reason", "requested_by",
                       "created_at", "reviewed_by", "reviewed_at", "ended_by", "ended_at")
    fields = readonly_fields
    change_form_template = "admin/logistics/contract_change_form.html"

    @admin.display(description=_("review"))
    def review_link(self, obj):
        if obj.status != ContractStatus.PENDING_REVIEW:
            return "-"
        url = reverse("admin:logistics_interceptioncontract_review", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Review"))

    def get_urls(self):
        return [
            path("<int:pk>/review/", self.admin_site.admin_view(self.review_view),
                 name="logistics_interceptioncontract_review"),
            path("<int:pk>/end/", self.admin_site.admin_view(self.end_view),
                 name="logistics_interceptioncontract_end"),
            path("<int:pk>/price/", self.admin_site.admin_view(self.price_view),
                 name="logistics_interceptioncontract_price"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {}
        if obj is not None:
            user = request.user
            extra = {
                "timeline_rows": _timeline(obj, "contract"),
                # INT-10: the main account ends the contract or changes its price while it is open.
                "can_manage": (obj.status in OPEN_CONTRACT_STATUSES
                               and (user.is_superuser or (user.role == Role.MAIN and user.shop_id == obj.shop_id))),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _manage(self, request, pk: int, do):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        contract = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            message = do(contract)
        except ApplicationError as error:
            messages.error(request, error.text())
        else:
            messages.success(request, message)
        return HttpResponseRedirect(reverse("admin:logistics_interceptioncontract_change", args=[pk]))

    def end_view(self, request, pk: int):
        """INT-10: end the contract (new offline interceptions through the outlet are refused)."""
        def end(contract):
            services.contract_end(contract=contract, actor=request.user)
            return _("The contract was ended; running interceptions finish at their price.")

        return self._manage(request, pk, end)

    def price_view(self, request, pk: int):
        """INT-10: change the agreed price, for interceptions requested afterwards."""
        def change(contract):
            try:
                price = parse_money(request.POST.get("agreed_price", ""))
            except (ValueError, ArithmeticError):
                raise ApplicationError(CommonError.INVALID) from None
            services.contract_price_change(contract=contract, agreed_price=price, actor=request.user)
            return _("The agreed price was changed; it applies to interceptions requested from now on.")

        return self._manage(request, pk, change)

    def add_view(self, request, form_url="", extra_context=None):
        """开通服务: choose the courier and its outlets, the agreed price, and confirm terms were agreed."""
        if not self.has_add_permission(request) or request.user.shop_id is None:
            raise PermissionDenied
        form = ContractOpenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                contracts = services.contract_open(
                    shop=request.user.shop, courier=form.cleaned_data["courier"],
                    outlets=list(form.cleaned_data["outlets"]), agreed_price=form.cleaned_data["agreed_price"],
                    actor=request.user,
                )
            except ApplicationError as error:
                messages.error(request, error.text())
            else:
                for contract in contracts:
                    messages.success(request, f"{contract.outlet}: {contract.get_status_display()}")
                return HttpResponseRedirect(reverse("admin:logistics_interceptioncontract_changelist"))
        return _page(self, request, "admin/logistics/contract_open.html", _("Open the interception service"),
                     form=form, reminder=CONTRACT_REMINDER)

    def review_view(self, request, pk: int):
        """The outlet user's review: approve, or reject with a reason (INT-04)."""
        contract = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.user.role != Role.OUTLET and not request.user.is_superuser:
            raise PermissionDenied
        if request.method == "POST":
            try:
                if "approve" in request.POST:
                    services.contract_approve(contract=contract, actor=request.user)
                else:
                    services.contract_reject(contract=contract, reason=request.POST.get("reason", ""),
                                             actor=request.user)
            except ApplicationError as error:
                messages.error(request, error.text())
            else:
                return HttpResponseRedirect(reverse("admin:logistics_interceptioncontract_changelist"))
        return _page(self, request, "admin/logistics/contract_review.html", _("Review the contract"),
                     contract=contract)


# --- The interception page of a ticket and 服务单查询 ---------------------------------------------------


class InterceptionClaimInline(BackOfficeInline):
    model = Claim
    fields = ("kind", "amount", "status", "compensation", "created_at")
    readonly_fields = fields


def _note_field(label) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ClaimFileForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ClaimKind.choices)
    amount = money_form_field(label=_("amount asked"), min_value=Decimal("0.01"))
    description = _note_field(_("description"))


@admin.register(Interception)
class InterceptionAdmin(BackOfficeAdmin):
    """服务单查询: every interception, filterable (settlement, status, courier, dates) and exportable."""

    view_roles = EVERYONE
    change_list_template = "admin/logistics/interception_change_list.html"
    change_form_template = "admin/logistics/interception_change_form.html"
    list_display = ("id", "tracking_no", "order_no", "courier", "outlet", "settlement", "platform_fee",
                    "agreed_price", "status", "failure", "auto", "created_at")
    list_filter = ("settlement", "status", "courier", "auto", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("ticket__order", "outlet")
    search_fields = ("=tracking_no", "=ticket__order__order_no")
    search_help_text = _("Tracking number or order number")
    readonly_fields = ("shop", "ticket", "order_no", "tracking_no", "courier", "outlet", "settlement", "platform_fee",
                       "agreed_price", "contract", "status", "failure", "return_outcome", "auto",
                       "requested_by", "created_at", "external_ref", "succeeded_at", "fee_from", "finished_at")
    fields = readonly_fields
    inlines = [InterceptionClaimInline]

    @admin.display(description=_("fee taken from"))
    def fee_from(self, obj):
        return labels.value_label("fee_source", obj.fee_source) if obj.fee_source else "-"

    @admin.display(description=_("failure reason"))
    def failure(self, obj):
        return obj.failure_reason_display or "-"

    @admin.display(description=_("order number"), ordering="ticket__order__order_no")
    def order_no(self, obj):
        return obj.ticket.order.order_no

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("ticket/<int:ticket_id>/", view(self.intercept_view), name="logistics_intercept"),
            path("export/<str:fmt>/", view(self.export_view), name="logistics_interception_export"),
            path("<int:pk>/return-result/", view(self.return_result_view), name="logistics_interception_return"),
            path("<int:pk>/claim/", view(self.claim_view), name="logistics_interception_claim"),
            *super().get_urls(),
        ]

    @staticmethod
    def _aware_dates(request) -> None:
        """The date-range form sends plain days; the list filters on Asia/Shanghai midnights."""
        params = request.GET.copy()
        for key in ("created_at__gte", "created_at__lt"):
            value = params.get(key, "")
            if re.fullmatch(r"\d{4}[-/]\d{2}[-/]\d{2}", value):  # the calendar writes 2026/11/01 in Chinese
                params[key] = f"{value.replace('/', '-')} 00:00:00+08:00"
        request.GET = params

    def changelist_view(self, request, extra_context=None):
        query = request.GET.urlencode()
        dates = {"date_from": request.GET.get("created_at__gte", "")[:10],
                 "date_to": request.GET.get("created_at__lt", "")[:10]}
        self._aware_dates(request)
        extra = {"export_query": query, **dates}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        user = request.user
        extra = {}
        if obj is not None:
            extra = {
                "can_report_return": obj.status == InterceptionStatus.SUCCEEDED and user.role == Role.OUTLET,
                "can_file_claim": obj.status == InterceptionStatus.RETURN_FAILED and user.role in SHOP_ROLES,
                "timeline_rows": _timeline(obj, "interception"),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def intercept_view(self, request, ticket_id: int):
        """快递拦截 of one ticket (INT-07): parcel, goods and fee; pick parcels and a mode; per-parcel results."""
        if request.user.role not in SHOP_ROLES and not request.user.is_superuser:
            raise PermissionDenied
        ticket = get_object_or_404(scope_queryset(Ticket.objects.select_related("order", "shop__profile"),
                                                  request.user), pk=ticket_id)
        if request.method == "POST":
            try:
                created = services.interception_request(
                    ticket=ticket, tracking_nos=request.POST.getlist("parcels"), mode=request.POST.get("mode", ""),
                    actor=request.user,
                )
            except ApplicationError as error:
                messages.error(request, error.text())
            else:
                messages.success(request, _("Interception requested for %(count)d parcel(s); the courier's results "
                                            "show below.") % {"count": len(created)})
                return HttpResponseRedirect(request.path)
        panel = services.interception_panel(ticket=ticket)
        return _page(self, request, "admin/logistics/intercept.html", _("Parcel interception"), ticket=ticket,
                     panel=panel, settlements=Settlement.choices)

    def export_view(self, request, fmt: str):
        """The records export for reconciliation (INT-08): exactly the rows the list's filters select."""
        if fmt not in ("csv", "xlsx") or not self.has_view_permission(request):
            raise PermissionDenied
        self._aware_dates(request)
        changelist = self.get_changelist_instance(request)
        qs = changelist.get_queryset(request)
        if fmt == "csv":
            response = StreamingHttpResponse(selectors.export_csv(qs), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                selectors.export_xlsx(qs),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="interceptions.{fmt}"'
        return response

    def return_result_view(self, request, pk: int):
        interception = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST":
            raise PermissionDenied
        try:
            services.interception_return_report(interception=interception, outcome=request.POST.get("outcome", ""),
                                                actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.text())
        return HttpResponseRedirect(reverse("admin:logistics_interception_change", args=[pk]))

    def claim_view(self, request, pk: int):
        interception = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.user.role not in SHOP_ROLES:
            raise PermissionDenied
        form = ClaimFileForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.claim_file(interception=interception, actor=request.user, **form.cleaned_data)
            except ApplicationError as error:
                messages.error(request, error.text())
            else:
                return HttpResponseRedirect(reverse("admin:logistics_claim_changelist"))
        return _page(self, request, "admin/logistics/claim_file.html", _("File a complaint"), form=form,
                     interception=interception, limit=services.claim_limit(interception=interception))


# --- 投诉 (claims) --------------------------------------------------------------------------------------


class ClaimDecideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("decision"), choices=[("approve", _("approve")), ("reject", _("reject"))])
    compensation = money_form_field(label=_("compensation"), required=False, min_value=Decimal("0.01"))
    note = _note_field(_("decision note"))


@admin.register(Claim)
class ClaimAdmin(BackOfficeAdmin):
    """Complaints about lost or damaged returns: shops file them, platform staff decide (INT-09)."""

    view_roles = EVERYONE
    change_form_template = "admin/logistics/claim_change_form.html"
    list_display = ("id", "interception", "shop", "kind", "amount", "status", "compensation", "created_at")
    list_filter = ("status", "kind")
    list_select_related = ("interception", "shop")
    readonly_fields = ("shop", "interception", "kind", "amount", "description", "status", "compensation",
                       "decision_note", "filed_by", "created_at", "decided_by", "decided_at", "paid_confirmed_by",
                       "paid_at")
    fields = readonly_fields

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/", view(self.decide_view), name="logistics_claim_decide"),
            path("<int:pk>/confirm-paid/", view(self.confirm_paid_view), name="logistics_claim_confirm_paid"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        user = request.user
        extra = {}
        if obj is not None:
            extra = {
                "can_decide": obj.status == ClaimStatus.FILED and (user.is_platform_staff or user.is_superuser),
                "can_confirm_paid": obj.status == ClaimStatus.APPROVED and user.role in SHOP_ROLES,
                "decide_form": ClaimDecideForm(),
                "timeline_rows": _timeline(obj, "claim"),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def decide_view(self, request, pk: int):
        claim = get_object_or_404(self.get_queryset(request), pk=pk)
        form = ClaimDecideForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            raise PermissionDenied
        try:
            services.claim_decide(claim=claim, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.text())
        return HttpResponseRedirect(reverse("admin:logistics_claim_change", args=[pk]))

    def confirm_paid_view(self, request, pk: int):
        claim = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST":
            raise PermissionDenied
        try:
            services.claim_confirm_paid(claim=claim, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.text())
        return HttpResponseRedirect(reverse("admin:logistics_claim_change", args=[pk]))


# --- 售后小助手: 快递拦截自动退 ------------------------------------------------------------------------------


@admin.register(AutoInterceptRule)
class AutoInterceptRuleAdmin(BackOfficeAdmin):
    """The shop's 快递拦截自动退 setting, its switch (main account) and the 30-day dry run."""

    view_roles = SHOP_AND_PLATFORM
    change_list_template = "admin/logistics/rule_change_list.html"
    list_display = ("shop", "enabled", "updated_by", "updated_at")
    list_filter = ("enabled",)
    readonly_fields = ("shop", "enabled", "updated_by", "updated_at")
    fields = readonly_fields

    def get_urls(self):
        return [
            path("settings/", self.admin_site.admin_view(self.settings_view), name="logistics_autointercept_settings"),
            *super().get_urls(),
        ]

    def settings_view(self, request):
        user = request.user
        if user.role not in SHOP_ROLES:
            raise PermissionDenied
        if request.method == "POST":
            try:
                services.auto_intercept_rule_set(shop=user.shop, enabled=request.POST.get("enabled") == "on",
                                                 actor=user)
            except ApplicationError as error:
                messages.error(request, error.text())
            return HttpResponseRedirect(request.path)
        rule = AutoInterceptRule.objects.filter(shop=user.shop).first()
        return _page(self, request, "admin/logistics/rule_settings.html", _("Auto-intercept refunds"),
                     rule=rule, can_change=user.role == Role.MAIN,
                     preview=_preview_in_words(services.auto_intercept_preview(shop=user.shop)))
