from django.urls import path

from . import views

app_name = "buyerpages"

urlpatterns = [
    path("card/<str:token>/", views.card, name="card"),  # PAY-B02
    path("wechat/callback/", views.wechat_callback, name="wechat-callback"),  # PAY-B03
    path("wechat/<str:token>/", views.identity, name="identity"),
    path("wechat/<str:token>/authorize/", views.authorize, name="authorize"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),  # PAY-B04
]
