"""What every 小额打款 page shares: who sees the pages (PAY-L08, read by payouts.selectors), the tabs on top,
and one way to run a button: call a service, show its answer or its refusal (`ApplicationError.text()`:
the page's language, no rule ID, SEC-06)."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import SHOP_ROLES, PayoutQuota, Role
from core.admin import BackOfficeAdmin
from core.errors import ApplicationError

from ..selectors import payouts_hidden, payouts_may_pay

VIEWERS = frozenset({*SHOP_ROLES, Role.PLATFORM})


def quota_link_visible(request) -> bool:
    quota_admin = admin.site._registry.get(PayoutQuota)
    return bool(quota_admin and quota_admin.has_view_permission(request))


def section_context(request, current: str) -> dict:
    """The 小额打款 tabs shown on top of each page: 发起打款, 打款记录, 待处理, 客服打款配额."""
    return {
        "payout_tabs_current": current,
        "payout_tab_initiate": payouts_may_pay(user=request.user),
        "payout_tab_quota": quota_link_visible(request),
    }


def local_time(moment) -> str:
    """Asia/Shanghai, in the page's date format (2026年11月19日 14:20:00; Nov. 19, 2026 14:20:00 in English)."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'DATE_FORMAT')} {local:%H:%M:%S}"


class SmallPayoutsAdmin(BackOfficeAdmin):
    view_roles = VIEWERS
    section = ""  # the tab shown as current on this admin's pages
    list_title = None

    def changelist_view(self, request, extra_context=None):
        context = {**section_context(request, self.section), "title": self.list_title, **(extra_context or {})}
        return super().changelist_view(request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {**section_context(request, self.section), **(extra_context or {})}
        obj = self.get_object(request, object_id)
        if obj is not None:
            context["subtitle"] = f"#{obj.pk} {obj.order.order_no} {obj.get_type_display()} {obj.amount}"
            context.update(self.detail_context(request, obj))
        return super().change_view(request, object_id, form_url, context)

    def detail_context(self, request, obj) -> dict:
        """What the object's page shows beyond its fields: its buttons, panels and timeline."""
        return {}

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and not payouts_hidden(user=request.user)

    def change_url(self, obj) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    def act(self, request, object_id, do: Callable, *, pay: bool = False):
        """A button's POST: the object in the user's scope (404 otherwise), `do(obj)` — a service call that
        answers its success message — and back to the object's page with that message or the refusal.
        `pay`: only those who may pay (SPEC §1, PAY-L08) may press it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_view_permission(request) or (pay and not payouts_may_pay(user=request.user)):
            raise PermissionDenied
        try:
            message = do(obj)
        except ApplicationError as exc:
            self.message_user(request, exc.text(), messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(obj))

    def act_on_each(self, request, objects, do: Callable) -> int:
        """An action over the selected rows: `do(obj)` each; a refusal is shown with the row's number."""
        done = 0
        for obj in objects:
            try:
                do(obj)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"#{obj.pk}: {exc.text()}", messages.ERROR)
        return done
