from django.urls import path

from . import views

app_name = "platforms"

urlpatterns = [
    path("douyin/push/", views.douyin_push, name="douyin-push"),
    path("<str:platform>/authorize/", views.authorize, name="authorize"),
    path("<str:platform>/authorized/", views.authorized, name="authorized"),
]
