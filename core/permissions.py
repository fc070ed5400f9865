"""API permissions by role. Row visibility is core.tenancy's job; these only say who may call."""

from rest_framework.permissions import BasePermission


class IsShopMember(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_shop_member)


class IsShopMemberOrBuyer(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_shop_member or user.is_buyer))
