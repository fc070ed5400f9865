from django.urls import path

from .views import ShopBalanceApi

urlpatterns = [
    path("shop/balance/", ShopBalanceApi.as_view(), name="shop-balance"),
]
