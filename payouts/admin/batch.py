"""Batch work with a confirmation page (issue 11): approve or reject several requests of 待处理 (PAY-A02), continue
several pending payouts of 打款记录 (PAY-S02).

An action first answers a page listing the selected rows with their amounts and the total; only its confirm
button runs the service, once per row, each in its own savepoint: every row is checked again by the service
and a refusal changes nothing of that row. The page then lists each row's result. The confirm form carries a
one-time token (the Idempotency-Key, `core.idempotency.once`): a double submit shows the first run's results.
"""

import secrets
from collections.abc import Callable
from decimal import Decimal

from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core import idempotency
from core.errors import ApplicationError
from core.models import IdempotencyKey

from ..services import payout_continue, payout_request_approve, payout_request_reject

TEMPLATE_CONFIRM = "admin/payouts/batch_confirm.html"
TEMPLATE_RESULT = "admin/payouts/batch_result.html"


def confirm_then_run(model_admin, request, queryset, *, action: str, title, question, run: Callable,
                     needs_reason: bool = False):
    """The confirmation page of an admin action, then `run(obj, reason) -> message` on each selected row."""
    objects = list(queryset.select_related("order"))
    ids = sorted(obj.pk for obj in objects)
    reason = (request.POST.get("reason") or "").strip()
    context = {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, "title": title,
        "question": question, "action": action, "needs_reason": needs_reason, "reason": reason,
        "rows": [{"obj": obj, "url": model_admin.change_url(obj)} for obj in objects],
        "total": sum((obj.amount for obj in objects), Decimal("0")),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    token = (request.POST.get("batch_token") or "").strip()
    if request.POST.get("batch_confirmed") != "yes" or not token or len(token) > 200:
        return TemplateResponse(request, TEMPLATE_CONFIRM, {**context, "token": secrets.token_urlsafe(24)})
    if needs_reason and not reason:
        messages.error(request, gettext("Give a reason for the rejection."))
        return TemplateResponse(request, TEMPLATE_CONFIRM, {**context, "token": token})

    def run_each():
        results = []
        for obj in objects:
            try:
                with transaction.atomic():
                    results.append([obj.pk, True, str(run(obj, reason))])
            except ApplicationError as exc:
                results.append([obj.pk, False, exc.text()])
        return results

    try:
        outcome = idempotency.once(
            user=request.user, key=f"admin:batch:{token}", wait=True,
            fingerprint=idempotency.fingerprint_of(action, ids, reason),
            run=run_each, store=lambda results: (200, {"results": results}))
    except ApplicationError as exc:
        messages.error(request, exc.text())
        return None
    if isinstance(outcome, IdempotencyKey):
        messages.warning(request, gettext("These rows were already handled; nothing was done twice."))
        outcome = outcome.response_body["results"]
    by_pk = {obj.pk: obj for obj in objects}
    rows = [{"obj": by_pk.get(pk), "ok": ok, "text": text,
             "url": model_admin.change_url(by_pk[pk]) if pk in by_pk else ""} for pk, ok, text in outcome]
    done = sum(1 for row in rows if row["ok"])
    return TemplateResponse(request, TEMPLATE_RESULT, {**context, "rows": rows, "done": done,
                                                       "refused": len(rows) - done})


class RequestBatchActions:
    """Mixed into the 待处理 admin: approve or reject several requests, for those who decide (PAY-A02)."""

    actions = ["approve_selected", "reject_selected"]

    def has_decide_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_shop_member and user.role in (Role.MAIN, Role.CS_ADMIN))

    @admin.action(description=_("Approve the selected requests"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        def approve(obj, reason):
            payout = payout_request_approve(request=obj, actor=request.user)
            return gettext("Approved: payout #%(id)s was created.") % {"id": payout.pk}

        return confirm_then_run(self, request, queryset, action="approve_selected",
                                title=_("Approve several requests"),
                                question=_("Approve these requests? Each is checked again; each approved one pays "
                                           "its amount from the shop balance."), run=approve)

    @admin.action(description=_("Reject the selected requests"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        def reject(obj, reason):
            payout_request_reject(request=obj, actor=request.user, reason=reason)
            return gettext("The request was rejected.")

        return confirm_then_run(self, request, queryset, action="reject_selected",
                                title=_("Reject several requests"),
                                question=_("Reject these requests? The requesters see your reason."), run=reject,
                                needs_reason=True)


def continue_selected(model_admin, request, queryset):
    """继续打款 for several pending payouts (PAY-S02), after a page stating each amount and the total."""
    def go_on(obj, reason):
        payout_continue(payout=obj, actor=request.user)
        return gettext("The payout was submitted.")

    return confirm_then_run(model_admin, request, queryset, action="continue_payouts",
                            title=_("Continue several payouts"),
                            question=_("Submit these payouts to the buyers now?"), run=go_on)
