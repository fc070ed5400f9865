from django.contrib import admin

from core.admin import EVERYONE, PLATFORM, BackOfficeAdmin

from .models import Outlet


@admin.register(Outlet)
class OutletAdmin(BackOfficeAdmin):
    view_roles = EVERYONE
    change_roles = PLATFORM
    list_display = ("name", "code", "courier", "e_waybill")
    list_filter = ("courier", "e_waybill")
    search_fields = ("name", "code")
