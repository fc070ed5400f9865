"""The reports of API.md "Reports" (RPT-01..RPT-05): thin views over `workbench.reports`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError

from . import reports
from .errors import WorkbenchError
from .scope import date_range, parse_day, quota_usage_allowed, report_shop

RANGE = [OpenApiParameter("from", OpenApiTypes.DATE, description="YYYY-MM-DD (Asia/Shanghai), inclusive; at most "
                          "366 days before `to` (else 422 `invalid_date_range`)"),
         OpenApiParameter("to", OpenApiTypes.DATE, description="YYYY-MM-DD (Asia/Shanghai), inclusive"),
         OpenApiParameter("shop", str, description="platform staff: the shop's key")]


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


class ReportApi(APIView):
    permission_classes = [IsAuthenticated]

    def shop(self, request):
        shop = report_shop(request.user, request.query_params.get("shop"))
        if shop is None:
            raise ApplicationError(WorkbenchError.SHOP_REQUIRED)
        return shop


class PayoutsDailyApi(ReportApi):
    @extend_schema(operation_id="report_payouts_daily", parameters=RANGE, responses={200: dict})
    def get(self, request):
        shop = self.shop(request)
        date_from, date_to = date_range(request.query_params)
        days = reports.payouts_daily(shop_id=shop.pk, date_from=date_from, date_to=date_to)
        return Response({"days": [{"date": d["date"].isoformat(), "count": d["count"], "amount": _money(d["amount"]),
                                   "by_type": {k: _money(v) for k, v in d["by_type"].items()}} for d in days]})


class QuotaUsageApi(ReportApi):
    @extend_schema(operation_id="report_quota_usage", parameters=[OpenApiParameter("date", OpenApiTypes.DATE), RANGE[2]],
                   responses={200: dict})
    def get(self, request):
        if not quota_usage_allowed(request.user):
            raise ApplicationError(WorkbenchError.MAIN_ACCOUNT_ONLY)
        shop = self.shop(request)
        day = parse_day(request.query_params.get("date"), date_range({})[1])
        rows = reports.quota_usage(shop_id=shop.pk, date=day)
        return Response({"date": day.isoformat(), "rows": [
            {"username": r["username"], "per_payout": _money(r["per_payout"]), "daily": _money(r["daily"]),
             "used": _money(r["used"]), "count": r["count"], "remaining": _money(r["remaining"])} for r in rows]})


class PayoutsByProductApi(ReportApi):
    @extend_schema(operation_id="report_payouts_by_product", parameters=RANGE, responses={200: dict})
    def get(self, request):
        shop = self.shop(request)
        date_from, date_to = date_range(request.query_params)
        rows = reports.payouts_by_product(shop_id=shop.pk, date_from=date_from, date_to=date_to)
        return Response({"rows": [{**r, "amount": _money(r["amount"])} for r in rows]})


class InterceptionsByOutletApi(ReportApi):
    @extend_schema(operation_id="report_interceptions_by_outlet", parameters=RANGE, responses={200: dict})
    def get(self, request):
        shop = self.shop(request)
        date_from, date_to = date_range(request.query_params)
        rows = reports.interceptions_by_outlet(shop_id=shop.pk, date_from=date_from, date_to=date_to)
        return Response({"rows": [{**r, "amount_due": _money(r["amount_due"])} for r in rows]})


class ReshipSlaApi(ReportApi):
    @extend_schema(operation_id="report_reship_sla", parameters=RANGE, responses={200: dict})
    def get(self, request):
        shop = self.shop(request)
        date_from, date_to = date_range(request.query_params)
        figures = reports.reship_sla(shop_id=shop.pk, date_from=date_from, date_to=date_to)
        return Response({**figures, "charged": _money(figures["charged"])})
