"""What every view of the payouts API shares: money fields, the documented error shapes, lookups that answer
the coded 404, the shop's order by number, pagination."""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, CommonError
from core.pagination import KeysetPagination
from orders.models import Order

MONEY = {"max_digits": 14, "decimal_places": 2}

ERROR_SCHEMA = inline_serializer(
    "Error",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "message_en": serializers.CharField(),
        "rule": serializers.CharField(required=False),
    },
)
INVALID_SCHEMA = inline_serializer(
    "InvalidInput", {"code": serializers.CharField(), "fields": serializers.DictField()}
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="≤ 255 chars: the same key and body answer the first response again; another body → 409.",
)


def errors(*codes: int) -> dict:
    return {code: OpenApiResponse(INVALID_SCHEMA if code == 400 else ERROR_SCHEMA) for code in codes}


class IsBuyer(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_buyer)


def get_object_or_404(qs: QuerySet, **lookup):
    """Like Django's, but as the coded error: `@idempotent` stores and replays it like any other refusal."""
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise ApplicationError(CommonError.NOT_FOUND)
    return obj


def invalid(**fields) -> ApplicationError:
    return ApplicationError(CommonError.INVALID, extra={"fields": fields})



def shop_order(request, order_no: str) -> Order:
    """The caller's shop's order by number; anyone else's is 404."""
    return get_object_or_404(
        Order.objects.select_related("shop__profile", "buyer").filter(shop_id=request.user.shop_id), order_no=order_no
    )


class Pagination(KeysetPagination):
    """Keyset pages (`next` carries a cursor; `?page=` for the first pages of a small result)."""


def paginated(view: APIView, qs: QuerySet, serializer_class) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(qs, view.request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
