from django.urls import path

from notifications.api import BuyerNotificationListApi

from . import views

urlpatterns = [
    path("orders/<str:order_no>/aftersales-entry/", views.AftersalesEntryApi.as_view(), name="aftersales-entry"),
    path("orders/<str:order_no>/aftersales-entry/requests/", views.EntryRequestApi.as_view(),
         name="aftersales-entry-requests"),
    path("tickets/", views.TicketListApi.as_view(), name="ticket-list"),
    path("tickets/<int:pk>/", views.TicketDetailApi.as_view(), name="ticket-detail"),
    path("tickets/<int:pk>/approve/", views.TicketApproveApi.as_view(), name="ticket-approve"),
    path("tickets/<int:pk>/reject/", views.TicketRejectApi.as_view(), name="ticket-reject"),
    path("tickets/<int:pk>/ship/", views.TicketShipApi.as_view(), name="ticket-ship"),
    path("tickets/<int:pk>/withdraw/", views.TicketWithdrawApi.as_view(), name="ticket-withdraw"),
    path("tickets/<int:pk>/modify/", views.TicketModifyApi.as_view(), name="ticket-modify"),
    path("tickets/<int:pk>/intervene/", views.TicketInterveneApi.as_view(), name="ticket-intervene"),
    path("tickets/<int:pk>/evidence/", views.TicketEvidenceApi.as_view(), name="ticket-evidence"),
    path("arbitrations/", views.ArbitrationListApi.as_view(), name="arbitration-list"),
    path("arbitrations/<int:pk>/decide/", views.ArbitrationDecideApi.as_view(), name="arbitration-decide"),
    path("notifications/", BuyerNotificationListApi.as_view(), name="notification-list"),
]
