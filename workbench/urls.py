from django.urls import path

from .api import InterceptionsByOutletApi, PayoutsByProductApi, PayoutsDailyApi, QuotaUsageApi, ReshipSlaApi

urlpatterns = [
    path("reports/payouts-daily/", PayoutsDailyApi.as_view(), name="report-payouts-daily"),
    path("reports/quota-usage/", QuotaUsageApi.as_view(), name="report-quota-usage"),
    path("reports/payouts-by-product/", PayoutsByProductApi.as_view(), name="report-payouts-by-product"),
    path("reports/interceptions-by-outlet/", InterceptionsByOutletApi.as_view(), name="report-interceptions-by-outlet"),
    path("reports/reship-sla/", ReshipSlaApi.as_view(), name="report-reship-sla"),
]
