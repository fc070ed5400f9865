"""系统状态 (OPS-05) in the admin, for platform staff: /admin/ops/status/."""

from django.contrib import admin
from django.template.response import TemplateResponse

from . import status
from .models import Status


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin):
    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or getattr(user, "is_platform_staff", False))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": Status._meta.verbose_name,
                   "opts": Status._meta, **status.page_context()}
        return TemplateResponse(request, "admin/ops/status.html", context)
