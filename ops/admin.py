"""系统状态 (OPS-05) in the admin, for platform staff: /admin/ops/status/."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from core.admin import BackOfficeAdmin

from . import status
from .models import Status


@admin.register(Status)
class StatusAdmin(BackOfficeAdmin):
    """One page, no rows: the list URL shows the status; nothing can be added, changed or deleted."""

    def get_queryset(self, request):
        return Status.objects.none()  # no table

    def get_urls(self):
        return [path("", self.admin_site.admin_view(self.changelist_view),
                     name=f"{self.opts.app_label}_{self.opts.model_name}_changelist")]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": Status._meta.verbose_name,
                   "opts": Status._meta, **status.page_context()}
        return TemplateResponse(request, "admin/ops/status.html", context)
