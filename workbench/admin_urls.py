"""The report pages, inside the admin (signed-in, admin site context): /admin/workbench/reports/<slug>/."""

from django.contrib import admin
from django.urls import path

from .views import report_view


def _report(request, slug):
    return report_view(request, admin.site, slug)


urlpatterns = [
    path("reports/<slug:slug>/", admin.site.admin_view(_report), name="workbench_report"),
]
