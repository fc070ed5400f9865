from django.urls import path

from . import views

urlpatterns = [
    path("interception-contracts/", views.ContractListCreateApi.as_view(), name="interception-contract-list"),
    path("interception-contracts/<int:pk>/", views.ContractDetailApi.as_view(), name="interception-contract-detail"),
    path("interception-contracts/<int:pk>/end/", views.ContractEndApi.as_view(), name="interception-contract-end"),
    path("interception-contracts/<int:pk>/approve/", views.ContractApproveApi.as_view(),
         name="interception-contract-approve"),
    path("interception-contracts/<int:pk>/reject/", views.ContractRejectApi.as_view(),
         name="interception-contract-reject"),
    path("tickets/<int:pk>/intercept/", views.TicketInterceptApi.as_view(), name="ticket-intercept"),
    path("interceptions/", views.InterceptionListApi.as_view(), name="interception-list"),
    path("interceptions/<int:pk>/", views.InterceptionDetailApi.as_view(), name="interception-detail"),
    path("interceptions/<int:pk>/return-result/", views.InterceptionReturnResultApi.as_view(),
         name="interception-return-result"),
    path("interceptions/<int:pk>/claims/", views.InterceptionClaimCreateApi.as_view(), name="interception-claims"),
    path("courier/callback/", views.CourierCallbackApi.as_view(), name="courier-callback"),
    path("claims/", views.ClaimListApi.as_view(), name="claim-list"),
    path("claims/<int:pk>/decide/", views.ClaimDecideApi.as_view(), name="claim-decide"),
    path("claims/<int:pk>/confirm-paid/", views.ClaimConfirmPaidApi.as_view(), name="claim-confirm-paid"),
    path("assistant-rules/auto-intercept/", views.AutoInterceptRuleApi.as_view(), name="auto-intercept-rule"),
    path("assistant-rules/auto-intercept/preview/", views.AutoInterceptPreviewApi.as_view(),
         name="auto-intercept-preview"),
]
