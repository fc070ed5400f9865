from django.urls import path

from notifications.api import PayoutNotificationListApi

from . import views

urlpatterns = [
    path("orders/<str:order_no>/payout-panel/", views.PayoutPanelApi.as_view(), name="payout-panel"),
    path("payouts/", views.PayoutsApi.as_view(), name="payout-list"),
    path("payouts/<int:payout_id>/", views.PayoutDetailApi.as_view(), name="payout-detail"),
    path("payouts/<int:payout_id>/continue/", views.PayoutContinueApi.as_view(), name="payout-continue"),
    path("payouts/<int:payout_id>/resend-card/", views.PayoutResendCardApi.as_view(), name="payout-resend-card"),
    path("sandbox/top-ups/<int:payout_id>/pay/", views.SandboxTopUpPayApi.as_view(), name="sandbox-top-up-pay"),
    path("payout-cards/<str:card_id>/", views.PayoutCardSubmitApi.as_view(), name="payout-card-submit"),
    path("payout-requests/", views.PayoutRequestsApi.as_view(), name="payout-request-list"),
    path("payout-requests/<int:request_id>/approve/", views.PayoutRequestApproveApi.as_view(),
         name="payout-request-approve"),
    path("payout-requests/<int:request_id>/reject/", views.PayoutRequestRejectApi.as_view(),
         name="payout-request-reject"),
    path("quotas/<str:username>/", views.QuotaApi.as_view(), name="quota"),
    path("gateway/callback/", views.GatewayCallbackApi.as_view(), name="gateway-callback"),
    path("payout-notifications/", PayoutNotificationListApi.as_view(), name="payout-notification-list"),
]
