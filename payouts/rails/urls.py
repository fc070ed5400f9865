from django.urls import path

from . import views

app_name = "rails"

urlpatterns = [
    path("rails/wechat/<int:shop_id>/notify/", views.wechat_notify, name="wechat-notify"),
    path("rails/alipay/<int:shop_id>/notify/", views.alipay_notify, name="alipay-notify"),
]
