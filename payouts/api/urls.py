from django.urls import path

from notifications.api import PayoutNotificationListApi

from . import actions, callback, panel, proof, quotas, records, requests

urlpatterns = [
    path("orders/<str:order_no>/payout-panel/", panel.PayoutPanelApi.as_view(), name="payout-panel"),
    path("payouts/", records.PayoutsApi.as_view(), name="payout-list"),
    path("payouts/<int:payout_id>/", records.PayoutDetailApi.as_view(), name="payout-detail"),
    path("payouts/<int:payout_id>/continue/", actions.PayoutContinueApi.as_view(), name="payout-continue"),
    path("payouts/<int:payout_id>/proof/", proof.PayoutProofApi.as_view(), name="payout-proof"),
    path("payouts/<int:payout_id>/resend-card/", actions.PayoutResendCardApi.as_view(), name="payout-resend-card"),
    path("sandbox/top-ups/<int:payout_id>/pay/", actions.SandboxTopUpPayApi.as_view(), name="sandbox-top-up-pay"),
    path("payout-cards/<str:card_id>/", actions.PayoutCardSubmitApi.as_view(), name="payout-card-submit"),
    path("payout-requests/", requests.PayoutRequestsApi.as_view(), name="payout-request-list"),
    path("payout-requests/<int:request_id>/approve/", requests.PayoutRequestApproveApi.as_view(),
         name="payout-request-approve"),
    path("payout-requests/<int:request_id>/reject/", requests.PayoutRequestRejectApi.as_view(),
         name="payout-request-reject"),
    path("quotas/<str:username>/", quotas.QuotaApi.as_view(), name="quota"),
    path("gateway/callback/", callback.GatewayCallbackApi.as_view(), name="gateway-callback"),
    path("payout-notifications/", PayoutNotificationListApi.as_view(), name="payout-notification-list"),
]
