"""The filters of 打款记录 (PAY-R01) beyond Django's own (status, type, pay method)."""

import datetime as dt

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import SHOP_ROLES, User
from core.clock import SHANGHAI


class ApplicantFilter(admin.SimpleListFilter):
    """PAY-R01 申请人: the shop's people, from the users table (no DISTINCT over the payouts). Platform staff
    get no list (every shop's people) but may still filter with ?applicant=<username>."""

    title = _("applicant")
    parameter_name = "applicant"

    def lookups(self, request, model_admin):
        user = request.user
        if user.shop_id is None:
            return []
        people = User.objects.filter(shop_id=user.shop_id, role__in=sorted(SHOP_ROLES)).order_by("username")
        return [(u.username, u.username) for u in people]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(applicant__username=self.value())
        return queryset


def _parse_day(value: str | None) -> dt.date | None:
    try:
        # The admin's calendar writes 2026/11/01 in Chinese (DATE_INPUT_FORMATS), 2026-11-01 in English.
        return dt.date.fromisoformat((value or "").strip().replace("/", "-")) if value else None
    except ValueError:
        return None


class CreatedRangeFilter(admin.ListFilter):
    """PAY-R01 time range: creation time, which is the debit time of a balance payout (Asia/Shanghai days,
    both ends included). An unreadable date is ignored rather than refused."""

    title = _("created time")
    template = "admin/payouts/created_range_filter.html"
    parameters = ("created_from", "created_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.values[name] = value[-1] if isinstance(value, list) else value

    def has_output(self) -> bool:
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        start, end = _parse_day(self.values.get("created_from")), _parse_day(self.values.get("created_to"))
        if start:
            queryset = queryset.filter(created_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=SHANGHAI))
        if end:
            queryset = queryset.filter(
                created_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI))
        return queryset

    def choices(self, changelist):
        keep = [(k, v) for k, v in changelist.params.items() if k not in self.parameters and k != "p"]
        yield {
            "selected": bool(self.values),
            "created_from": self.values.get("created_from", ""),
            "created_to": self.values.get("created_to", ""),
            "keep": keep,
            "clear": changelist.get_query_string(remove=list(self.parameters)),
        }
