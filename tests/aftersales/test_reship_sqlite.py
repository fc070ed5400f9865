"""RS-03 on the embedded SQLite setup (bin/run): the per-row fallback of `ticket_auto_approve_due`, run on a
real SQLite database. Collected only when the suite runs on SQLite; on PostgreSQL, test_reship.py runs this
file in a child pytest with an SQLite DATABASE_URL (issue 22, item 18: no faked vendor)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.models import Ticket, TicketStatus
from aftersales.services import ticket_auto_approve_due, ticket_create
from tests.aftersales.helpers import NOW, order, user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only (test_reship.py runs it on SQLite)"),
]


def test_rs03_on_sqlite_the_per_row_sweep_moves_a_due_ticket_like_the_set_based_one(demo, clock):
    """RS-03: on SQLite, a reship ticket unanswered for 48 h is approved by the per-row path: the same status,
    version, ship deadline and timeline event as the PostgreSQL statement gives; a ticket not yet due stays."""
    assert connection.vendor == "sqlite"
    due = ticket_create(order=order("DY1022"), buyer=user("buyer_ok"), type="reship", reason="missing_items")
    clock.shift(hours=1)
    later = ticket_create(order=order("DY1023"), buyer=user("buyer_ok"), type="reship", reason="missing_items")
    clock.shift(hours=47)
    with CaptureQueriesContext(connection) as queries:
        assert ticket_auto_approve_due(batch=10) == 1
    assert not any("RETURNING t.id" in q["sql"] for q in queries.captured_queries)  # not the PostgreSQL statement
    due, later = Ticket.objects.get(pk=due.pk), Ticket.objects.get(pk=later.pk)
    assert due.status == TicketStatus.AWAITING_SHIPMENT and due.version == 2
    assert due.deadline == NOW + dt.timedelta(hours=96) and due.deadline_action == "ship_deadline"
    assert [e.type for e in due.events.order_by("at", "id")] == ["created", "auto_approved"]
    assert later.status == TicketStatus.PENDING_MERCHANT and later.version == 1
    assert ticket_auto_approve_due(batch=10) == 0  # nothing due twice
