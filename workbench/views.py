"""The report pages of the admin (SPEC §11, RPT-01..RPT-05): filters, a chart, the table of the same numbers
and its CSV export. Thin: the figures come from `workbench.reports`, who and which days from `scope`."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import Shop
from core.errors import ApplicationError
from core.export import csv_lines
from logistics.models import Settlement
from payouts.models import PayoutType

from . import reports
from .scope import date_range, parse_day, quota_usage_allowed, report_shop


def _s(value) -> str:
    return "" if value is None else str(value)


def payouts_daily_table(shop_id: int, date_from: dt.date, date_to: dt.date):
    days = reports.payouts_daily(shop_id=shop_id, date_from=date_from, date_to=date_to)
    columns = [("date", _("day")), ("count", _("payouts")), ("amount", _("amount (yuan)")),
               *[(t, label) for t, label in PayoutType.choices]]
    rows = [{"date": d["date"].isoformat(), "count": d["count"], "amount": d["amount"], **d["by_type"]} for d in days]
    chart = {"kind": "bar", "categories": [d["date"].strftime("%m-%d") for d in days], "y_name": str(_("yuan")),
             "series": [{"name": str(label), "stack": "amount", "data": [str(d["by_type"][t]) for d in days]}
                        for t, label in PayoutType.choices]}
    return columns, rows, chart


def quota_usage_table(shop_id: int, day: dt.date):
    found = reports.quota_usage(shop_id=shop_id, date=day)
    columns = [("username", _("sub-account")), ("per_payout", _("per-payout limit")), ("daily", _("daily limit")),
               ("used", _("used today")), ("count", _("payouts")), ("remaining", _("remaining"))]
    rows = [{**r, "daily": r["daily"] if r["daily"] is not None else _("unlimited"),
             "remaining": r["remaining"] if r["remaining"] is not None else _("unlimited")} for r in found]
    chart = {"kind": "bar", "categories": [r["username"] for r in found], "y_name": str(_("yuan")),
             "series": [{"name": str(_("used today")), "stack": "q", "data": [str(r["used"]) for r in found]},
                        {"name": str(_("remaining")), "stack": "q",
                         "data": [str(r["remaining"] or 0) for r in found]}]}
    return columns, rows, chart


def payouts_by_product_table(shop_id: int, date_from: dt.date, date_to: dt.date):
    found = reports.payouts_by_product(shop_id=shop_id, date_from=date_from, date_to=date_to)
    columns = [("product_id", _("related product")), ("count", _("payouts")), ("amount", _("amount (yuan)"))]
    chart = {"kind": "hbar", "categories": [r["product_id"] for r in reversed(found)], "y_name": str(_("yuan")),
             "series": [{"name": str(_("amount (yuan)")), "data": [str(r["amount"]) for r in reversed(found)]}]}
    return columns, found, chart


def interceptions_by_outlet_table(shop_id: int, date_from: dt.date, date_to: dt.date):
    found = reports.interceptions_by_outlet(shop_id=shop_id, date_from=date_from, date_to=date_to)
    columns = [("outlet", _("outlet code")), ("outlet_name", _("outlet")), ("courier", _("courier")),
               ("settlement", _("settlement")), ("requested", _("requested")), ("succeeded", _("succeeded")),
               ("failed", _("failed")), ("amount_due", _("amount due (yuan)"))]
    found = [{**r, "settlement": Settlement(r["settlement"]).label} for r in found]
    names = [f"{r['outlet_name'] or r['courier']} · {r['settlement']}" for r in found]
    chart = {"kind": "bar", "categories": names, "series": [
        {"name": str(_("succeeded")), "data": [r["succeeded"] for r in found]},
        {"name": str(_("failed")), "data": [r["failed"] for r in found]},
        {"name": str(_("requested")), "data": [r["requested"] for r in found]}]}
    return columns, found, chart


def reship_sla_table(shop_id: int, date_from: dt.date, date_to: dt.date):
    figures = reports.reship_sla(shop_id=shop_id, date_from=date_from, date_to=date_to)
    labels = {"requested": _("reship requests"), "auto_approved": _("approved automatically"),
              "shipped_in_time": _("shipped in time"), "late": _("shipped late or not at all"),
              "charged": _("charged for lateness (yuan)")}
    columns = [("figure", _("figure")), ("value", _("value"))]
    rows = [{"figure": labels[k], "value": v} for k, v in figures.items()]
    chart = {"kind": "bar", "categories": [str(labels[k]) for k in figures if k != "charged"],
             "series": [{"name": str(_("reship requests")), "data": [v for k, v in figures.items() if k != "charged"]}]}
    return columns, rows, chart


REPORTS = {
    "payouts-daily": (_("Payouts per day"), "RPT-01", payouts_daily_table),
    "quota-usage": (_("Quota usage per sub-account"), "RPT-02", quota_usage_table),
    "payouts-by-product": (_("Payouts by related product"), "RPT-03", payouts_by_product_table),
    "interceptions-by-outlet": (_("Interception reconciliation by outlet"), "RPT-04", interceptions_by_outlet_table),
    "reship-sla": (_("Reship service level"), "RPT-05", reship_sla_table),
}


def report_view(request, admin_site, slug: str):
    if slug not in REPORTS:
        raise Http404
    title, _rule, build = REPORTS[slug]
    user = request.user
    if not (user.is_shop_member or user.is_platform_staff):
        raise PermissionDenied
    if slug == "quota-usage" and not quota_usage_allowed(user):
        raise PermissionDenied
    reports = [(s, r) for s, r in REPORTS.items() if s != "quota-usage" or quota_usage_allowed(user)]
    context = {**admin_site.each_context(request), "title": title, "slug": slug, "reports": reports,
               "shops": Shop.objects.order_by("key") if user.is_platform_staff else None}
    try:
        shop = report_shop(user, request.GET.get("shop"))
        if slug == "quota-usage":
            day = parse_day(request.GET.get("date"), date_range({})[1])
            args, context["date"] = (day,), day
        else:
            date_from, date_to = date_range(request.GET)
            args, context["date_from"], context["date_to"] = (date_from, date_to), date_from, date_to
    except ApplicationError as exc:
        context["error"] = exc.text()
        return TemplateResponse(request, "admin/workbench/report.html", context, status=400)
    context["shop"] = shop
    if shop is not None:
        columns, rows, chart = build(shop.pk, *args)
        if request.GET.get("format") == "csv":
            return _csv(slug, columns, rows)
        context.update(columns=columns, rows=[[r[k] for k, _label in columns] for r in rows], chart=chart,
                       csv_query=request.GET.urlencode())
    return TemplateResponse(request, "admin/workbench/report.html", context)


def _csv(slug: str, columns, rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines([label for _k, label in columns], ([_s(r[k]) for k, _l in columns] for r in rows)))
    response["Content-Type"] = "text/csv; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="{slug}.csv"'
    return response
