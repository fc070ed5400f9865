"""Pages of the accounts app outside the ModelAdmins."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _


def signin_locked(request, credentials, *args, **kwargs):
    """SEC-01: the sign-in page again (nothing is checked: the lock holds even for the right password),
    saying in the page's language that this username is locked."""
    context = {
        **admin.site.each_context(request),
        "title": _("Log in"),
        "site_header": admin.site.site_header,
        "form": AdminAuthenticationForm(request),
        "app_path": request.get_full_path(),
        "username": (credentials or {}).get("username", ""),
        "locked_message": _("Too many failed sign-ins for this account: it is locked for 15 minutes. "
                            "Try again later, or ask platform staff to clear the lock."),
    }
    return TemplateResponse(request, "admin/login.html", context, status=403).render()
