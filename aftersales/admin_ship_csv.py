"""批量发货: ship several reships (and exchanges) from an uploaded CSV of order number, courier and tracking
number (issue 11, RS-04).

Upload → a page listing each row as read (which ticket it ships, or why it cannot) → confirm → each row shipped
through `ticket_ship` (RS-04's checks: the ticket awaiting shipment, the courier, the tracking number's format and
uniqueness) in its own savepoint, so a refused row changes nothing → a row-by-row result page. The confirm form
carries a one-time token (core.idempotency.once): a double submit shows the first run's results.
"""

import csv
import io
import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import idempotency
from core.errors import ApplicationError
from core.models import IdempotencyKey
from orders.couriers import COURIER_CHOICES

from .models import Ticket, TicketStatus, TicketType
from .services import ticket_ship

TEMPLATE = "admin/aftersales/ticket/ship_csv.html"
MAX_ROWS = 500
MAX_BYTES = 200_000
SHIPPING = (TicketType.RESHIP, TicketType.EXCHANGE)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_(
        "One row per parcel: order number, courier, tracking number (a header row is allowed). The courier by its "
        "name or code, e.g. 圆通速递 or yto."))


def _courier_code(value: str) -> str | None:
    value = value.strip()
    for code, name in COURIER_CHOICES:
        if value.lower() == code.lower() or value == str(name):
            return code
    return None


def parse(text: str) -> list[dict]:
    """The CSV's rows as {line, order_no, courier, courier_text, tracking_no, problem}; a header row is skipped."""
    rows = []
    for line, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if line == 1 and cells and not any(ch.isdigit() for ch in cells[0]):
            continue  # a header row
        order_no, courier_text, tracking_no = (cells + ["", "", ""])[:3]
        row = {"line": line, "order_no": order_no, "courier_text": courier_text, "courier": _courier_code(courier_text),
               "tracking_no": tracking_no, "problem": ""}
        if not order_no or not courier_text or not tracking_no:
            row["problem"] = gettext("Each row needs an order number, a courier and a tracking number.")
        elif row["courier"] is None:
            row["problem"] = gettext("Unknown courier.")
        rows.append(row)
        if len(rows) >= MAX_ROWS:
            break
    return rows


def _attach_tickets(rows: list[dict], tickets_qs) -> None:
    """Each row's ticket: the order's reship or exchange awaiting shipment, in the user's shops."""
    numbers = {row["order_no"] for row in rows if not row["problem"]}
    waiting = {}
    for ticket in tickets_qs.filter(order__order_no__in=numbers, type__in=SHIPPING,
                                    status=TicketStatus.AWAITING_SHIPMENT).select_related("order"):
        waiting.setdefault(ticket.order.order_no, ticket)
    seen = set()
    for row in rows:
        row["ticket"] = waiting.get(row["order_no"])
        if row["problem"]:
            continue
        if row["ticket"] is None:
            row["problem"] = gettext("No reship or exchange of this order is awaiting shipment.")
        elif row["order_no"] in seen:
            row["problem"] = gettext("This order appears twice in the file.")
        seen.add(row["order_no"])


def ship_csv_view(model_admin, request):
    user = request.user
    if not (user.is_active and user.is_shop_member):
        raise PermissionDenied
    context = {**model_admin.admin_site.each_context(request), "opts": Ticket._meta,
               "title": _("Ship reships from a CSV file"), "form": UploadForm()}
    if request.method != "POST":
        return TemplateResponse(request, TEMPLATE, context)
    tickets = model_admin.get_queryset(request)
    text = request.POST.get("csv_text")
    if text is None:  # the upload
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        if not form.is_valid():
            return TemplateResponse(request, TEMPLATE, context)
        raw = form.cleaned_data["file"].read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            form.add_error("file", gettext("The file is too large."))
            return TemplateResponse(request, TEMPLATE, context)
        text = raw.decode("utf-8-sig", errors="replace")
        rows = parse(text)
        _attach_tickets(rows, tickets)
        context.update(step="confirm", rows=rows, csv_text=text, token=secrets.token_urlsafe(24),
                       ready=sum(1 for r in rows if not r["problem"]))
        return TemplateResponse(request, TEMPLATE, context)

    token = (request.POST.get("token") or "").strip()[:200]
    rows = parse(text)
    _attach_tickets(rows, tickets)

    def run_each():
        results = []
        for row in rows:
            if row["problem"]:
                results.append([row["line"], False, row["problem"]])
                continue
            try:
                with transaction.atomic():
                    ticket_ship(ticket=row["ticket"], actor=user, courier=row["courier"], tracking_no=row["tracking_no"])
                results.append([row["line"], True, gettext("Shipped.")])
            except ApplicationError as exc:
                results.append([row["line"], False, exc.text()])
        return results

    try:
        outcome = idempotency.once(user=user, key=f"admin:ship-csv:{token}", wait=True,
                                   fingerprint=idempotency.fingerprint_of("ship_csv", text), run=run_each,
                                   store=lambda results: (200, {"results": results}))
    except ApplicationError as exc:
        messages.error(request, exc.text())
        return TemplateResponse(request, TEMPLATE, context)
    if isinstance(outcome, IdempotencyKey):
        messages.warning(request, gettext("This file was already shipped; nothing was done twice."))
        outcome = outcome.response_body["results"]
    by_line = {row["line"]: row for row in rows}
    results = []
    for line, ok, message in outcome:
        row = by_line.get(line, {"line": line})
        ticket = row.get("ticket")
        results.append({**row, "ok": ok, "message": message,
                        "url": reverse("admin:aftersales_ticket_change", args=[ticket.pk]) if ticket else ""})
    context.update(step="result", results=results, done=sum(1 for r in results if r["ok"]),
                   refused=sum(1 for r in results if not r["ok"]))
    return TemplateResponse(request, TEMPLATE, context)
