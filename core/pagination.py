"""REST list pagination that stays flat at any size (issue 14; API.md Conventions, docs/API.md "Long lists").

`KeysetPagination` keeps the list shape every client reads (`count`, `next`, `previous`, `results`) and adds
`cursor`-based links: `next` and `previous` carry an opaque `?cursor=` that names the last (first) row shown
by its ordering key — `(created_at, id)` for most lists — so the next page is an index range scan from that
key, never an OFFSET: page 1 and page 40,000 cost the same. `count` is exact up to `COUNT_UP_TO` rows (one
bounded count, `SELECT count(*) FROM (… LIMIT COUNT_UP_TO + 1)`); beyond that it is `null` and
`count_more_than` says how far it looked: a full COUNT over a million rows on every page is what made deep
lists slow.

`?page=N` still works (an OFFSET, with a `next` / `previous` of `?page=`): meant for the first pages of a
small result; a client walking a long list follows `next`.
"""

import base64
import datetime as dt
import json
import re
from collections import OrderedDict
from decimal import Decimal

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

COUNT_UP_TO = 10_000
# The highest `?page=` answered: beyond it (or past the last row) 404 `not_found`. Far below the database's
# bigint OFFSET, which a page number like 10**18 would overflow into a 500 (SEC-04; issue 22 item 2).
MAX_PAGE = 1_000_000


def _encode(values: list) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.datetime) else str(v) if isinstance(v, Decimal) else v
                      for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str) -> list:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        raise NotFound("Invalid cursor.") from None
    if not isinstance(values, list) or len(values) < 2:
        raise NotFound("Invalid cursor.")
    return values


class KeysetPagination(BasePagination):
    """Keyset pages on the queryset's ordering (its last field must be unique: `id`), a bounded count."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_param = "cursor"
    page_query_param = "page"
    default_ordering = ("-created_at", "-id")

    def get_page_size(self, request) -> int:
        """`?page_size=`: an integer, brought into 1..max_page_size; empty means not given; anything else is
        400 `invalid` (the schema says integer)."""
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not re.fullmatch(r"[+-]?[0-9]{1,4000}", raw):
            raise ValidationError({self.page_size_query_param: ["an integer"]})
        return max(1, min(int(raw), self.max_page_size))

    def _ordering(self, qs: QuerySet) -> tuple[str, ...]:
        ordering = tuple(qs.query.order_by) or tuple(qs.model._meta.ordering) or self.default_ordering
        if not all(isinstance(f, str) and f != "?" and "__" not in f for f in ordering):
            return ()  # an ordering by expression: pages by number only
        if ordering[-1].lstrip("-") not in ("id", "pk"):
            ordering = (*ordering, "-id" if ordering[0].startswith("-") else "id")
        return ordering

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.size = self.get_page_size(request)
        self.ordering = self._ordering(queryset)
        if self.ordering:
            queryset = queryset.order_by(*self.ordering)
        self.count, self.count_more_than = self._bounded_count(queryset)
        token = request.query_params.get(self.cursor_query_param) if self.ordering else None
        page = request.query_params.get(self.page_query_param) or (None if self.ordering else "1")
        self.mode = "cursor"
        if token:
            values = _decode(token)
            backwards = values[0] == "<"
            rows = self._after(queryset, values[1:], reverse=backwards)
            rows = list(rows[: self.size + 1])
            more = len(rows) > self.size
            rows = rows[: self.size]
            if backwards:
                rows.reverse()
                self.has_next, self.has_previous = True, more
            else:
                self.has_next, self.has_previous = more, True
        elif page:
            self.mode = "page"
            try:
                if not re.fullmatch(r"\+?[0-9]{1,12}", page):
                    raise ValueError
                self.page_number = int(page)
                if not 1 <= self.page_number <= MAX_PAGE:
                    raise ValueError
            except ValueError:
                raise NotFound("Invalid page.") from None
            start = (self.page_number - 1) * self.size
            rows = list(queryset[start : start + self.size + 1])
            if not rows and self.page_number > 1:
                raise NotFound("Invalid page.")
            self.has_next, self.has_previous = len(rows) > self.size, self.page_number > 1
            rows = rows[: self.size]
        else:
            rows = list(queryset[: self.size + 1])
            self.has_next, self.has_previous = len(rows) > self.size, False
            rows = rows[: self.size]
        self.rows = rows
        return rows

    def _bounded_count(self, qs: QuerySet) -> tuple[int | None, int | None]:
        n = qs.order_by().values("pk")[: COUNT_UP_TO + 1].count()
        return (n, None) if n <= COUNT_UP_TO else (None, COUNT_UP_TO)

    def _key(self, obj) -> list:
        values = []
        for field in self.ordering:
            value = obj
            for part in field.lstrip("-").split("__"):
                value = getattr(value, "pk" if part == "pk" else part)
            values.append(value)
        return values

    def _after(self, qs: QuerySet, values: list, *, reverse: bool) -> QuerySet:
        """Rows strictly after `values` in the ordering (before, with `reverse`): a row-value comparison
        written as the OR of prefixes, which PostgreSQL turns into an index range on the ordering's index."""
        if len(values) != len(self.ordering):
            raise NotFound("Invalid cursor.")
        condition = Q()
        for i, field in enumerate(self.ordering):
            name = field.lstrip("-")
            descending = field.startswith("-") != reverse
            step = Q(**{f"{name}__lt" if descending else f"{name}__gt": values[i]})
            for prev_field, prev_value in zip(self.ordering[:i], values[:i], strict=False):
                step &= Q(**{prev_field.lstrip("-"): prev_value})
            condition |= step
        # A leading bound on the first field lets the index scan start at the key, not at the list's head.
        first = self.ordering[0].lstrip("-")
        lead_desc = self.ordering[0].startswith("-") != reverse
        qs = qs.filter(Q(**{f"{first}__lte" if lead_desc else f"{first}__gte": values[0]}) & condition)
        if reverse:
            qs = qs.order_by(*[f[1:] if f.startswith("-") else f"-{f}" for f in self.ordering])
        return qs

    def _link(self, *, forward: bool) -> str | None:
        url = self.request.build_absolute_uri()
        if self.mode == "page":
            if forward and self.has_next:
                return replace_query_param(url, self.page_query_param, self.page_number + 1)
            if not forward and self.has_previous:
                return replace_query_param(url, self.page_query_param, self.page_number - 1)
            return None
        if forward and not self.has_next or not forward and not self.has_previous or not self.rows:
            return None
        url = remove_query_param(url, self.page_query_param)
        obj = self.rows[-1] if forward else self.rows[0]
        return replace_query_param(url, self.cursor_query_param, _encode([">" if forward else "<", *self._key(obj)]))

    def get_paginated_response(self, data):
        body = OrderedDict(count=self.count)
        if self.count is None:
            body["count_more_than"] = self.count_more_than
        body.update(next=self._link(forward=True), previous=self._link(forward=False), results=data)
        return Response(body)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer", "nullable": True, "example": 1,
                          "description": f"exact up to {COUNT_UP_TO}; null beyond (see count_more_than)"},
                "count_more_than": {"type": "integer", "nullable": True, "example": None,
                                    "description": "present when count is null"},
                "next": {"type": "string", "nullable": True, "format": "uri", "example": None},
                "previous": {"type": "string", "nullable": True, "format": "uri", "example": None},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "opaque position from `next` / `previous` (walk long lists this way)",
             "schema": {"type": "string"}},
            {"name": self.page_query_param, "required": False, "in": "query",
             "description": "page number (OFFSET): for the first pages of a small result; past the last page: 404",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"rows per page: 1 to {self.max_page_size} (a number outside is brought inside)",
             "schema": {"type": "integer"}},
        ]

