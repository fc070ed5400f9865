from django.db.models import QuerySet

from .tenancy import scope_queryset


class TenantScopedMixin:
    """For API views: `get_queryset()` returns only the rows the caller may see, so anything else is 404."""

    def scoped(self, qs: QuerySet) -> QuerySet:
        return scope_queryset(qs, self.request.user)
