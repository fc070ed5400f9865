from django.urls import path

from .api import InboxListApi, InboxReadAllApi, InboxReadApi, InboxUnreadCountApi

urlpatterns = [
    path("inbox/", InboxListApi.as_view(), name="inbox-list"),
    path("inbox/unread-count/", InboxUnreadCountApi.as_view(), name="inbox-unread-count"),
    path("inbox/read-all/", InboxReadAllApi.as_view(), name="inbox-read-all"),
    path("inbox/<int:pk>/read/", InboxReadApi.as_view(), name="inbox-read"),
]
