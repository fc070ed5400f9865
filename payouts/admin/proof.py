"""到账凭证 (PAY-R02) on a succeeded payout's page: the rail asked now, its transfer id, time and amount shown
for the merchant to send to a buyer who says nothing came."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError

from ..proof import payout_proof


def proof_view(model_admin, request, object_id):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    payout = get_object_or_404(model_admin.get_queryset(request).select_related("order", "shop__profile"),
                               pk=object_id)
    proof, refusal = None, ""
    try:
        proof = payout_proof(payout=payout)
    except ApplicationError as exc:
        refusal = exc.text()
    context = {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, "original": payout,
        "proof": proof, "refusal": refusal, "title": _("Proof of payment"),
    }
    return TemplateResponse(request, "admin/payouts/payout/proof.html", context)
