"""导入订单 (CON-08): the admin page that imports a 抖店 or 拼多多 order export, with a preview first.

Upload → the preview (a dry run of the real write: orders to create, to update, unchanged, and every bad row by
row number and column) → 导入 → the result. The uploaded bytes wait between the two steps in the cache (the
shared Redis in production, DEPLOY.md), under a random token bound to the user and the shop, for an hour; the
import reads and checks them again, so what is written is what the file says at that moment. Importing twice
changes nothing (the upsert is by platform order id).

Who: a shop's main account for its own shop; platform staff for any shop (CON-08 with CON-01's rule).
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Shop
from orders.models import Order

from .reader import MAX_BYTES, MAX_ROWS
from .services import PLATFORM_NAMES, order_export_import

TEMPLATE = "admin/platforms_import/import_orders.html"
PENDING_SECONDS = 3600
PREVIEW_LIST = 200  # orders listed on the preview page (the counts cover all)


def may_import(user) -> bool:
    return bool(user.is_active and (user.is_superuser or user.is_platform_staff or user.is_main_account))


def shops_for(user):
    qs = Shop.objects.select_related("profile").order_by("name")
    if user.is_superuser or user.is_platform_staff:
        return qs
    return qs.filter(pk=user.shop_id)


class UploadForm(forms.Form):
    shop = forms.ModelChoiceField(queryset=Shop.objects.none(), label=_("Shop"), empty_label=None)
    file = forms.FileField(label=_("Order export file"), help_text=_(
        "The file exported from the 抖店 or 拼多多 back office (订单管理 → 导出), as CSV or XLSX, with its own column "
        "headers. At most %(mb)d MB and %(rows)d rows.") % {"mb": MAX_BYTES // (1024 * 1024), "rows": MAX_ROWS})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops_for(user)


def _cache_key(user, token: str) -> str:
    return f"platforms:order-import:{user.pk}:{token}"


def import_orders_view(request):
    user = request.user
    if not may_import(user):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": _("Import an order export"), "opts": Order._meta,
               "max_mb": MAX_BYTES // (1024 * 1024)}
    step = request.POST.get("step") if request.method == "POST" else None
    if step == "import":
        return _import(request, context)
    form = UploadForm(request.POST or None, request.FILES or None, user=user)
    context["form"] = form
    if step != "preview" or not form.is_valid():
        return TemplateResponse(request, TEMPLATE, context)
    upload = form.cleaned_data["file"]
    shop = form.cleaned_data["shop"]
    if upload.size is not None and upload.size > MAX_BYTES:
        form.add_error("file", gettext("The file is larger than %(mb)d MB: export a shorter period and import it in "
                                       "parts.") % {"mb": MAX_BYTES // (1024 * 1024)})
        return TemplateResponse(request, TEMPLATE, context)
    data = upload.read(MAX_BYTES + 1)
    outcome = order_export_import(shop=shop, data=data, filename=upload.name, dry_run=True)
    token = secrets.token_urlsafe(24)
    if not outcome.file_error:
        cache.set(_cache_key(user, token), {"shop": shop.pk, "name": upload.name[:200], "data": data},
                  PENDING_SECONDS)
    context.update(step="preview", outcome=outcome, shop=shop, token=token, filename=upload.name,
                   **_listing(shop, outcome))
    return TemplateResponse(request, TEMPLATE, context)


def _import(request, context):
    user = request.user
    token = (request.POST.get("token") or "")[:64]
    pending = cache.get(_cache_key(user, token)) if token else None
    shop = shops_for(user).filter(pk=pending["shop"]).first() if pending else None
    if pending is None or shop is None:
        context["form"] = UploadForm(user=user)
        context["expired"] = True
        return TemplateResponse(request, TEMPLATE, context)
    skip = request.POST.get("skip_bad_rows") == "on"
    outcome = order_export_import(shop=shop, data=pending["data"], filename=pending["name"], skip_bad_rows=skip)
    if outcome.refused:
        # Errors and no skip asked: nothing written; the preview again, with the same token.
        context.update(step="preview", outcome=outcome, shop=shop, token=token, filename=pending["name"],
                       must_choose=True, **_listing(shop, outcome))
        return TemplateResponse(request, TEMPLATE, context)
    cache.delete(_cache_key(user, token))
    context.update(step="result", outcome=outcome, shop=shop, filename=pending["name"])
    return TemplateResponse(request, TEMPLATE, context)


def _listing(shop, outcome) -> dict:
    rows = []
    for order in outcome.orders[:PREVIEW_LIST]:
        rows.append({
            "order": order,
            "new": order.order_no in outcome.new_order_nos,
            "rows": ", ".join(str(r) for r in order.rows[:5]) + ("…" if len(order.rows) > 5 else ""),
            "status": Order.Status(order.order_status).label if order.order_status in Order.Status.values else order.order_status,
            "refund": (Order.RefundState(order.refund_state).label if order.refund_state in Order.RefundState.values
                       else order.refund_state),
            "review": "；".join(f"{k}：{v}" for k, v in order.unknown.items()),
        })
    return {"listing": rows, "listing_more": max(0, len(outcome.orders) - PREVIEW_LIST),
            "platform_name": PLATFORM_NAMES.get(outcome.platform, "")}
