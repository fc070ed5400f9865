"""The import page inside the admin (signed in, the admin site's context): /admin/platforms/import-orders/."""

from django.contrib import admin
from django.urls import path

from .views import import_orders_view

urlpatterns = [
    path("import-orders/", admin.site.admin_view(import_orders_view), name="platforms_import_orders"),
]
