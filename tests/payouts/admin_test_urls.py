"""The project's URLs plus an `admin:aftersales_open_entry` stand-in, for the order page's button test."""

from django.contrib import admin
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

admin_patterns = [
    path("open-entry/<str:order_no>/", lambda request, order_no: HttpResponse(order_no), name="aftersales_open_entry"),
    *admin.site.get_urls(),
]

urlpatterns = [
    path("admin/", (admin_patterns, "admin", admin.site.name)),
    *[p for p in project_urlpatterns if str(p.pattern) != "admin/"],
]
