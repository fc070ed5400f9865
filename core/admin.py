"""The base of every ModelAdmin in the product: role permissions and tenancy in one place.

A ModelAdmin says which roles may view, add, change and delete (`*_roles`); rows, related choices
(foreign keys, autocomplete) and history pages are scoped by `core.tenancy.scope_queryset`, and an
object the user may not see answers 404, exactly as one that does not exist.
"""

import contextvars
import json

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db import connection, models
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from .tenancy import scope_queryset

# Role groups are the accounts app's (`accounts.roles`): core knows only that a user has a `role` and may be
# platform staff (`is_platform_staff`), so the kernel imports no app.
PLATFORM_STAFF = frozenset({"__platform_staff__"})
NOBODY: frozenset = frozenset()


def _role_in(request, roles: frozenset) -> bool:
    user = request.user
    if not user.is_active:
        return False
    if user.is_superuser or user.role in roles:
        return True
    return roles is PLATFORM_STAFF and getattr(user, "is_platform_staff", False)


class EstimatedCountPaginator(Paginator):
    """Counts exactly where that is cheap, estimates only the unfiltered list (issue 14).

    A COUNT(*) over a big shop's payouts costs tens of milliseconds on every page (PERFORMANCE.md). One
    bounded count (`SELECT count(*) FROM (… LIMIT n + 1)`) answers exactly whenever the list has at most
    EXACT_UP_TO rows. Past that, the unfiltered list (the user's whole scope) takes PostgreSQL's planner
    estimate ("about 1,000,000" says as much; nobody pages to the end); a filtered or searched list never
    does — an estimate of a search that matched 22 rows once read 103,015 — it counts exactly up to
    FILTERED_EXACT_UP_TO and stops there (then the count is that bound: the pages one can reach).
    `filtered` is set by BackOfficeAdmin.get_paginator from the request.
    """

    EXACT_UP_TO = 10_000
    FILTERED_EXACT_UP_TO = 100_000
    filtered = True  # a paginator nobody told otherwise counts; it never shows an estimate

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if connection.vendor != "postgresql" or not isinstance(qs, models.QuerySet):
            return super().count
        n = _bounded_count(qs, self.EXACT_UP_TO)
        if n <= self.EXACT_UP_TO:
            return n
        if not self.filtered:
            return max(_planner_rows(qs), n)
        return min(_bounded_count(qs, self.FILTERED_EXACT_UP_TO), self.FILTERED_EXACT_UP_TO)


def _bounded_count(qs: models.QuerySet, limit: int) -> int:
    return qs.order_by().values("pk")[: limit + 1].count()


def _planner_rows(qs: models.QuerySet) -> int:
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


# The changelist's own parameters: anything else in the query string filters or searches the list.
_LIST_PARAMS = frozenset({"p", "o", "_changelist_filters", "_to_field", "_popup", "e", "all"})

# The request whose change page is being rendered: a read-only foreign key links to the related page only when
# the user may open it (Django's stock field links it regardless, and the click answers 403).
_rendering_for = contextvars.ContextVar("backoffice_admin_request", default=None)
_stock_admin_url = helpers.AdminReadonlyField.get_admin_url


def _admin_url_if_allowed(self, remote_field, remote_obj):
    request = _rendering_for.get()
    if request is not None and self.model_admin is not None:
        related = self.model_admin.admin_site._registry.get(remote_field.model)
        if related is None or not related.has_view_permission(request, remote_obj):
            return str(remote_obj)
    return _stock_admin_url(self, remote_field, remote_obj)


helpers.AdminReadonlyField.get_admin_url = _admin_url_if_allowed


class BackOfficeAdmin(admin.ModelAdmin):
    view_roles: frozenset = PLATFORM_STAFF  # configuration pages: platform staff unless an app says otherwise
    add_roles: frozenset = NOBODY
    change_roles: frozenset = NOBODY
    delete_roles: frozenset = NOBODY
    show_full_result_count = False  # the "N total" line is a second COUNT(*) on every page
    paginator = EstimatedCountPaginator
    list_per_page = 50

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        if isinstance(paginator, EstimatedCountPaginator):
            paginator.filtered = any(key not in _LIST_PARAMS for key in request.GET)
        return paginator

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            token = _rendering_for.set(request)
            try:
                response.render()
            finally:
                _rendering_for.reset(token)
        return response

    def changelist_view(self, request, extra_context=None):
        # A list is headed by its menu name (售后工作台, 订单), not Django's "选择订单查看" / "选择 订单 来修改".
        context = {"title": capfirst(self.model._meta.verbose_name_plural), **(extra_context or {})}
        return super().changelist_view(request, context)

    def has_view_permission(self, request, obj=None) -> bool:
        return _role_in(request, self.view_roles) or _role_in(request, self.change_roles)

    def has_add_permission(self, request, *args) -> bool:
        return _role_in(request, self.add_roles)

    def has_change_permission(self, request, obj=None) -> bool:
        return _role_in(request, self.change_roles)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _role_in(request, self.delete_roles)

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_queryset(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_queryset(field.queryset, request.user)
        return field

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with "doesn't exist"; a plain 404 says the same about another
        # shop's object without a round trip, and matches the API.
        raise Http404


class BackOfficeInline(admin.TabularInline):
    """Read-only by default; scoped like its parent (the parent row is already scoped)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)


class BackOfficeHistoryAdmin(SimpleHistoryAdmin, BackOfficeAdmin):
    """For admin-edited configuration that keeps a history of changes (profiles, quotas, calendar)."""

    def _check_visible(self, request, object_id) -> None:
        pk_name = self.model._meta.pk.attname
        if not self.get_queryset(request).filter(**{pk_name: object_id}).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        # simple_history falls back to the history rows when the object is outside the queryset,
        # which would show another shop's quota history: check visibility first.
        self._check_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)
