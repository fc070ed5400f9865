from django.urls import path

from .api import OrderContextApi

urlpatterns = [
    path("orders/<str:order_no>/context/", OrderContextApi.as_view(), name="order-context"),
]
