"""售后: the workbench (售后工作台), the re-opened entry page (打开售后入口), the platform arbitration queue,
entries, requests, buyer notifications and penalties. Thin: every button calls a service."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import SHOP_ROLES
from accounts.roles import PLATFORM, SHOP_AND_PLATFORM
from core import labels
from core.admin import BackOfficeAdmin
from core.errors import ApplicationError
from core.tenancy import scope_queryset
from notifications.selectors import notification_list_about
from orders.couriers import COURIER_CHOICES
from orders.models import Order

from .admin_ship_csv import ship_csv_view
from .models import (
    AftersalesEntry,
    ArbitrationCase,
    EntryRequest,
    ReshipPenalty,
    ReshipReason,
    Ticket,
    TicketStatus,
    TicketType,
)
from .selectors import (
    ARBITRATION_STATUSES,
    QUICK_FILTERS,
    entry_eligibility,
    entry_open_get,
    entry_pending_request_get,
    ticket_countdown,
    ticket_evidence_pack,
)
from .services import entry_open, ticket_approve, ticket_arbitrate, ticket_reject, ticket_ship

SHOP = frozenset(SHOP_ROLES)

# Buttons other apps add to the ticket page (object tools): each is called with (request, ticket) and returns
# (label, url, testid) or None. Logistics adds 快递拦截 (logistics/admin.py), so this app never imports it.
TICKET_TOOLS: list = []


def ticket_tools(request, ticket: Ticket) -> list[dict]:
    return [{"label": tool[0], "url": tool[1], "testid": tool[2]}
            for tool in (add(request, ticket) for add in TICKET_TOOLS) if tool]


def _timeline(ticket: Ticket) -> list[dict]:
    return labels.timeline(ticket.events.select_related("actor").order_by("at", "id"), "ticket")


class QuickFilter(admin.SimpleListFilter):
    """快捷筛选: 「换货&补寄待处理」 (exchange and reship tickets waiting for the merchant)."""

    title = _("quick filter")
    parameter_name = "quick"

    def lookups(self, request, model_admin):
        return [("exchange_reship_pending", _("exchange & reship pending"))]

    def queryset(self, request, queryset):
        if self.value() in QUICK_FILTERS:
            return queryset.filter(QUICK_FILTERS[self.value()])
        return queryset


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=255)


class ShipForm(forms.Form):
    courier = forms.ChoiceField(label=_("courier"), choices=COURIER_CHOICES)
    tracking_no = forms.CharField(label=_("tracking number"), max_length=32)


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("decision"), choices=[("buyer", _("for the buyer")),
                                                               ("merchant", _("for the merchant"))])
    remedy = forms.ChoiceField(label=_("remedy"), required=False, choices=[
        ("", _("default")), ("reship", _("merchant ships within 48 hours")), ("refund", _("refund in full"))])
    note = forms.CharField(label=_("note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _is_shop_member(request) -> bool:
    return request.user.is_active and (request.user.is_superuser or request.user.is_shop_member)


def _money_questions(ticket) -> dict:
    """What the page asks before a button that moves money: the amount refunded on an approval, the late
    shipment's penalty already taken (RS-05) on a shipment."""
    questions = {}
    refunds_now = ticket.type == TicketType.REFUND_ONLY or (
        ticket.type == TicketType.RETURN_REFUND and ticket.status == TicketStatus.APPROVED)
    if refunds_now and ticket.amount:
        questions["approve_question"] = _("Approve and refund %(amount)s yuan to the buyer from the shop?") % {
            "amount": ticket.amount}
    penalty = sum((p.coupon_amount for p in ticket.penalties.all()), 0)
    if penalty:
        questions["ship_question"] = _("This shipment is late: a penalty of %(amount)s yuan was taken from the shop "
                                       "(the buyer's cash coupon). Ship now?") % {"amount": penalty}
    return questions


@admin.register(Ticket)
class TicketAdmin(BackOfficeAdmin):
    """售后 › 售后工作台."""

    view_roles = SHOP_AND_PLATFORM
    change_form_template = "admin/aftersales/ticket/change_form.html"
    change_list_template = "admin/aftersales/ticket/change_list.html"
    list_display = ("id", "order", "type", "status", "label_display", "reason_display", "amount", "countdown",
                    "created_at")
    list_filter = (QuickFilter, "type", "status", "via_reopened_entry")
    list_select_related = ("order",)
    search_fields = ("=order__order_no", "=tracking_no")
    search_help_text = _("Order number or tracking number")
    fields = ("order", "shop", "buyer_name", "type", "reason_display", "amount", "status", "label_display", "version",
              "countdown", "intervention_until", "courier", "tracking_no", "shipped_at", "entry", "created_at",
              "updated_at")
    readonly_fields = fields

    @admin.display(description=_("labels"))
    def label_display(self, obj):
        return _("overdue after-sales") if obj.via_reopened_entry else "-"

    @admin.display(description=_("reason"))
    def reason_display(self, obj):
        # RS-02: a reship's reason is a code; show its label.
        if obj.type == TicketType.RESHIP and obj.reason in ReshipReason.values:
            return ReshipReason(obj.reason).label
        return obj.reason

    @admin.display(description=_("next clock"))
    def countdown(self, obj):
        return ticket_countdown(obj) or "-"

    @admin.display(description=_("buyer"))
    def buyer_name(self, obj):
        return obj.buyer.username

    def get_urls(self):
        return [
            path("open-entry/<str:order_no>/", self.admin_site.admin_view(self.open_entry_view),
                 name="aftersales_open_entry"),
            path("open-entry/", self.admin_site.admin_view(self.open_entry_lookup_view),
                 name="aftersales_open_entry_lookup"),
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="aftersales_ticket_decide"),
            path("ship-csv/", self.admin_site.admin_view(lambda request: ship_csv_view(self, request)),
                 name="aftersales_ship_csv"),
            path("<int:pk>/evidence/", self.admin_site.admin_view(self.evidence_view),
                 name="aftersales_ticket_evidence"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, object_id)
        if ticket is None:
            return super().change_view(request, object_id, form_url, extra_context)  # 404
        can_decide = _is_shop_member(request) and ticket.status in (TicketStatus.PENDING_MERCHANT, TicketStatus.APPROVED)
        can_ship = (_is_shop_member(request) and ticket.type in (TicketType.RESHIP, TicketType.EXCHANGE)
                    and ticket.status == TicketStatus.AWAITING_SHIPMENT)
        extra_context = {
            **(extra_context or {}), "ticket": ticket, "can_decide": can_decide, "can_ship": can_ship,
            "reject_form": RejectForm(), "ship_form": ShipForm(),
            "decide_url": reverse("admin:aftersales_ticket_decide", args=[ticket.pk]),
            "evidence_url": reverse("admin:aftersales_ticket_evidence", args=[ticket.pk]),
            "open_entry_url": reverse("admin:aftersales_open_entry", args=[ticket.order.order_no]),
            "ticket_tools": ticket_tools(request, ticket), "timeline_rows": _timeline(ticket),
            **_money_questions(ticket),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, pk: int):
        """Approve, reject or ship from the ticket page, with the version the page was rendered with."""
        if request.method != "POST" or not _is_shop_member(request):
            raise PermissionDenied
        ticket = get_object_or_404(self.get_queryset(request), pk=pk)
        back = reverse("admin:aftersales_ticket_change", args=[ticket.pk])
        op = request.POST.get("op")
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            if op == "approve":
                ticket_approve(ticket=ticket, actor=request.user, version=version)
            elif op == "reject":
                form = RejectForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("Give a reason for the rejection."))
                    return HttpResponseRedirect(back)
                ticket_reject(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"], version=version)
            elif op == "ship":
                form = ShipForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("Choose a courier and enter the tracking number."))
                    return HttpResponseRedirect(back)
                ticket_ship(ticket=ticket, actor=request.user, courier=form.cleaned_data["courier"],
                            tracking_no=form.cleaned_data["tracking_no"], version=version)
            else:
                raise PermissionDenied
        except ApplicationError as error:
            messages.error(request, error.text())
        else:
            messages.success(request, _("Done."))
        return HttpResponseRedirect(back)

    def evidence_view(self, request, pk: int):
        """The evidence pack of one ticket, in the page or downloaded as JSON (?format=json)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        ticket = get_object_or_404(self.get_queryset(request).select_related("order", "shop", "buyer"), pk=pk)
        if request.GET.get("format") == "json":
            pack = ticket_evidence_pack(ticket=ticket)
            response = HttpResponse(json.dumps(pack, ensure_ascii=False, indent=2),
                                    content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="ticket-{ticket.pk}-evidence.json"'
            return response
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "ticket": ticket,
                   "timeline_rows": _timeline(ticket), "title": _("Evidence pack"), **_evidence_words(ticket)}
        return TemplateResponse(request, "admin/aftersales/ticket/evidence.html", context)

    def open_entry_lookup_view(self, request):
        order_no = request.GET.get("order_no", "").strip()
        if order_no:
            return HttpResponseRedirect(reverse("admin:aftersales_open_entry", args=[order_no]))
        return HttpResponseRedirect(reverse("admin:aftersales_aftersalesentry_changelist"))

    def open_entry_view(self, request, order_no: str):
        """打开售后入口: the eligibility rule by rule (ASE-E01..E06), the current entry and the buyer's request,
        and the merchant's confirmation (ASE-R01)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        order = get_object_or_404(scope_queryset(Order.objects.select_related("shop__profile"), request.user),
                                  order_no=order_no)
        if request.method == "POST":
            if not _is_shop_member(request):
                raise PermissionDenied
            if request.POST.get("confirm") != "yes":
                messages.error(request, _("Confirm the opening first."))
            else:
                try:
                    entry_open(order=order, actor=request.user)
                except ApplicationError as error:
                    messages.error(request, error.text())
                else:
                    messages.success(request, _("The after-sales entry is open for the buyer."))
            return HttpResponseRedirect(request.path)
        checks = entry_eligibility(order=order)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "order": order,
            "title": _("Open the after-sales entry"), "checks": checks, "eligible": all(c.ok for c in checks),
            "entry": entry_open_get(order=order), "pending_request": entry_pending_request_get(order=order),
            "history": AftersalesEntry.objects.filter(order=order).select_related("opened_by"),
            "can_open": _is_shop_member(request),
            "days": order.shop.profile.entry_open_days,
        }
        return TemplateResponse(request, "admin/aftersales/open_entry.html", context)


@admin.register(ArbitrationCase)
class ArbitrationCaseAdmin(BackOfficeAdmin):
    """平台仲裁队列: platform staff decide arbitration and intervention cases (RS-09)."""

    view_roles = PLATFORM
    change_form_template = "admin/aftersales/arbitrationcase/change_form.html"
    list_display = ("id", "order", "shop", "type", "reason_display", "status", "updated_at")
    list_filter = ("status", "type")
    list_select_related = ("order", "shop")
    ordering = ("updated_at", "id")
    fields = ("order", "shop", "type", "reason", "amount", "status", "version", "tracking_no", "created_at")
    readonly_fields = fields

    reason_display = TicketAdmin.reason_display

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status__in=ARBITRATION_STATUSES)

    def get_urls(self):
        return [path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view),
                     name="aftersales_arbitration_decide"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "decide_form": DecideForm(),
                         "timeline_rows": _timeline(case) if case is not None else [],
                         "decide_url": reverse("admin:aftersales_arbitration_decide", args=[object_id]),
                         "evidence_url": reverse("admin:aftersales_ticket_evidence", args=[object_id])}
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, pk: int):
        if request.method != "POST" or not self.has_view_permission(request):
            raise PermissionDenied
        case = get_object_or_404(self.get_queryset(request), pk=pk)
        form = DecideForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a decision."))
            return HttpResponseRedirect(reverse("admin:aftersales_arbitrationcase_change", args=[pk]))
        try:
            ticket_arbitrate(ticket=case, actor=request.user, outcome=form.cleaned_data["outcome"],
                             note=form.cleaned_data["note"], remedy=form.cleaned_data["remedy"])
        except ApplicationError as error:
            messages.error(request, error.text())
            return HttpResponseRedirect(reverse("admin:aftersales_arbitrationcase_change", args=[pk]))
        messages.success(request, _("Decided."))
        return HttpResponseRedirect(reverse("admin:aftersales_arbitrationcase_changelist"))


@admin.register(AftersalesEntry)
class AftersalesEntryAdmin(BackOfficeAdmin):
    view_roles = SHOP_AND_PLATFORM
    change_list_template = "admin/aftersales/aftersalesentry/change_list.html"
    list_display = ("order", "status", "opened_by", "opened_at", "closes_at", "closed_at", "open_entry_link")
    list_filter = ("status",)
    list_select_related = ("order", "opened_by")
    search_fields = ("=order__order_no",)
    fields = ("order", "status", "opened_by", "opened_at", "closes_at", "closed_at")
    readonly_fields = fields

    @admin.display(description=_("after-sales entry"))
    def open_entry_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:aftersales_open_entry", args=[obj.order.order_no]),
                           _("Open the after-sales entry"))


@admin.register(EntryRequest)
class EntryRequestAdmin(BackOfficeAdmin):
    view_roles = SHOP_AND_PLATFORM
    list_display = ("order", "buyer_name", "status", "created_at", "fulfilled_at", "open_entry_link")
    list_filter = ("status",)
    list_select_related = ("order", "buyer")
    search_fields = ("=order__order_no",)
    fields = ("order", "buyer_name", "status", "created_at", "fulfilled_at")
    readonly_fields = fields

    @admin.display(description=_("buyer"))
    def buyer_name(self, obj):
        return obj.buyer.username

    @admin.display(description=_("after-sales entry"))
    def open_entry_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:aftersales_open_entry", args=[obj.order.order_no]),
                           _("Open the after-sales entry"))


@admin.register(ReshipPenalty)
class ReshipPenaltyAdmin(BackOfficeAdmin):
    view_roles = SHOP_AND_PLATFORM
    list_display = ("created_at", "ticket", "shop", "ship_deadline", "coupon_amount", "charged_from")
    list_select_related = ("ticket", "shop")
    fields = ("created_at", "ticket", "shop", "ship_deadline", "coupon_amount", "charged_from")
    readonly_fields = fields


def _evidence_words(ticket) -> dict:
    """The evidence pack as the page reads it: labels and local times, never codes or raw JSON (SEC-06); the
    JSON itself is the download."""
    return {
        "order": ticket.order,
        "parcels": list(ticket.order.parcels.all()),
        "tracking_courier": dict(COURIER_CHOICES).get(ticket.courier, ticket.courier),
        "penalties": [{"deadline": p.ship_deadline, "amount": p.coupon_amount,
                       "charged_from": labels.value_label("charged_from", p.charged_from, "ticket")}
                      for p in ticket.penalties.all()],
        "notifications": list(notification_list_about(about=ticket)),
    }
