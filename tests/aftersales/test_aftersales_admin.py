"""Admin pages of 售后 (SPEC §9): the workbench, the open-entry page, decisions with versions, evidence, arbitration."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.selectors import ledger_drifts
from aftersales.models import AftersalesEntry, Ticket, TicketStatus
from aftersales.services import ticket_approve, ticket_create, ticket_reject
from tests.aftersales.helpers import order, user

pytestmark = pytest.mark.django_db


def reship(order_no="DY1022", reason="missing_items") -> Ticket:
    return ticket_create(order=order(order_no), buyer=user("buyer_ok"), type="reship", reason=reason)


def test_rs03_workbench_quick_filter_type_filter_and_countdown(demo, clock, client):
    """RS-03, SPEC §5: 「换货&补寄待处理」 lists pending exchange/reship tickets with "自动同意 N 小时后"."""
    waiting = reship("DY1022")
    ticket_create(order=order("DY1023"), buyer=user("buyer_ok"), type="refund_only", reason="x", amount=Decimal("5"))
    clock.shift(hours=45)
    client.force_login(user("dy_cs1"))
    url = reverse("admin:aftersales_ticket_changelist")
    page = client.get(url, {"quick": "exchange_reship_pending"}).content.decode()
    assert "换货&amp;补寄待处理" in page and "自动同意 3 小时后" in page
    assert f">{waiting.pk}<" in page and "DY1023" not in page
    page = client.get(url, {"type__exact": "refund_only"}).content.decode()
    assert "DY1023" in page and "DY1022" not in page


@pytest.mark.smoke  # also run on SQLite by bin/test
def test_ase_r01_open_entry_page_explains_and_confirms(demo, clock, client):
    """ASE-R01: the page lists ASE-E01..E06 with verdicts; opening needs the confirmation."""
    client.force_login(user("dy_admin"))
    url = reverse("admin:aftersales_open_entry", args=["DY1016"])
    assert url == "/admin/aftersales/ticket/open-entry/DY1016/"
    page = client.get(url).content.decode()
    assert page.count('class="rule-ok"') == 6 and 'id="open-entry-form"' in page
    client.post(url, {})
    assert not AftersalesEntry.objects.exists()
    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 302 and AftersalesEntry.objects.filter(order__order_no="DY1016").count() == 1
    assert 'id="entry-open"' in client.get(url).content.decode()


def test_ase_e02_open_entry_page_shows_the_failed_rule_and_no_form(demo, clock, client):
    """ASE-E02: an ineligible order shows the failing rule and no confirmation form."""
    client.force_login(user("dy_admin"))
    page = client.get(reverse("admin:aftersales_open_entry", args=["DY1019"])).content.decode()
    assert 'class="rule-failed" data-rule="ASE-E02"' in page and 'id="open-entry-form"' not in page


def test_ase_r01_open_entry_page_of_another_shop_is_404(demo, clock, client):
    """SPEC §1: another shop's order answers 404."""
    client.force_login(user("pdd_admin"))
    assert client.get(reverse("admin:aftersales_open_entry", args=["DY1016"])).status_code == 404
    assert client.post(reverse("admin:aftersales_open_entry", args=["DY1016"]), {"confirm": "yes"}).status_code == 404
    assert not AftersalesEntry.objects.exists()


@pytest.mark.smoke  # also run on SQLite by bin/test
def test_rs04_admin_approve_and_ship_send_the_page_version(demo, clock, client):
    """RS-04 and versions: a decision taken on a stale page changes nothing and says so."""
    ticket = reship()
    client.force_login(user("dy_cs1"))
    change = reverse("admin:aftersales_ticket_change", args=[ticket.pk])
    assert 'data-testid="approve"' in client.get(change).content.decode()
    decide = reverse("admin:aftersales_ticket_decide", args=[ticket.pk])
    client.post(decide, {"op": "approve", "version": "1"})
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.AWAITING_SHIPMENT
    response = client.post(decide, {"op": "reject", "version": "1", "reason": "x"}, follow=True)
    assert "售后单已被更新" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.AWAITING_SHIPMENT
    client.post(decide, {"op": "ship", "version": "2", "courier": "yto", "tracking_no": "YT8800000000001"})
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.SHIPPED


def test_rs09_evidence_pack_page_and_json_download(demo, clock, client):
    """RS-09: the evidence pack shows in the admin and downloads as JSON."""
    ticket = reship()
    client.force_login(user("ops1"))
    url = reverse("admin:aftersales_ticket_evidence", args=[ticket.pk])
    assert "evidence-timeline" in client.get(url).content.decode()
    response = client.get(url, {"format": "json"})
    assert response["Content-Disposition"] == f'attachment; filename="ticket-{ticket.pk}-evidence.json"'
    assert json.loads(response.content)["timeline"][0]["type"] == "created"
    client.force_login(user("pdd_admin"))
    assert client.get(url).status_code == 404


def test_rs09_platform_staff_decide_from_their_queue(demo, clock, client):
    """RS-09: the queue lists arbitration cases; deciding for the buyer refunds not_received in full."""
    ticket = ticket_reject(ticket=reship(reason="not_received"), actor=user("dy_admin"), reason="x")
    other = ticket_approve(ticket=reship("DY1023"), actor=user("dy_admin"))
    client.force_login(user("ops1"))
    page = client.get(reverse("admin:aftersales_arbitrationcase_changelist")).content.decode()
    assert "DY1022" in page and "DY1023" not in page
    assert client.get(reverse("admin:aftersales_arbitrationcase_change", args=[other.pk])).status_code == 404
    client.post(reverse("admin:aftersales_arbitration_decide", args=[ticket.pk]), {"outcome": "buyer", "note": "n"})
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.REFUNDED
    assert ledger_drifts() == []
    client.force_login(user("dy_admin"))
    assert client.get(reverse("admin:aftersales_arbitrationcase_changelist")).status_code == 403
