from django.urls import path

from .views import OperationLogApi, OrderDetailApi, OrderListApi

urlpatterns = [
    path("orders/", OrderListApi.as_view(), name="order-list"),
    path("orders/<str:order_no>/", OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:order_no>/operation-log/", OperationLogApi.as_view(), name="order-operation-log"),
]
