"""Station messages (站内信, SPEC §10: NTF-01..NTF-06): who gets which message, the NTF-04 clock, the inbox
page, the header count and the inbox API."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse

from accounts.models import User
from aftersales.models import Ticket
from aftersales.services import entry_close_due, entry_open, entry_request, ticket_create
from core.clocks import SWEEPS, run_all
from notifications.models import Notification
from orders.models import Order
from payouts.services import PayoutInput, payout_create, payout_request_approve, payout_request_create, payout_request_reject
from tests.aftersales.helpers import NOW
from workbench.sweeps import reship_auto_approve_soon

pytestmark = pytest.mark.django_db


def user(username: str) -> User:
    return User.objects.get(username=username)


def order(order_no: str) -> Order:
    return Order.objects.select_related("shop__profile", "buyer").get(order_no=order_no)


def pay(amount: str = "5.00") -> PayoutInput:
    return PayoutInput(type="shipping_fee", amount=Decimal(amount), reason="运费补偿", buyer_message="已为您补运费")


def inbox(username: str, kind: str | None = None) -> list[Notification]:
    qs = Notification.objects.filter(recipient__username=username, channel="station")
    return list(qs.filter(kind=kind) if kind else qs)


def test_ntf_01_a_failed_payout_tells_the_main_account_and_the_applicant(demo):
    """NTF-01: a payout failed → a station message to the shop's main account and to the payout's applicant,
    kind payout_failed; the shop's own record (PAY-S04) stays as it was."""
    payout = payout_create(order=order("PDD2005"), data=pay(), actor=user("pdd_cs1"))
    run_all()
    payout.refresh_from_db()
    assert payout.status == "failed"
    for username in ("pdd_admin", "pdd_cs1"):
        [message] = inbox(username, "payout_failed")
        assert message.about == payout and message.read_at is None and "PDD2005" in message.body
    assert inbox("pdd_lead") == [] and inbox("pdd_cs2") == []
    assert Notification.objects.filter(about_id=payout.pk, channel="station", recipient__isnull=True).count() == 1


def test_ntf_02_a_new_request_tells_every_approver(demo):
    """NTF-02: a new payout request → every approver: the main account, and on Pinduoduo the customer-service
    admins too; kind payout_request_created."""
    request = payout_request_create(order=order("PDD2001"), data=pay(), actor=user("pdd_cs2"))
    assert {m.recipient.username for m in Notification.objects.filter(kind="payout_request_created")} == {
        "pdd_admin", "pdd_lead"}
    assert inbox("pdd_admin", "payout_request_created")[0].about == request
    payout_request_create(order=order("DY1001"), data=pay(), actor=user("dy_cs2"))
    assert [m.recipient.username for m in Notification.objects.filter(kind="payout_request_created",
                                                                        shop__key="dy")] == ["dy_admin"]


def test_ntf_03_the_decision_tells_the_requester_with_the_reason(demo):
    """NTF-03: approved or rejected → the requester, kind payout_request_decided, with the reason on rejection."""
    approved = payout_request_create(order=order("PDD2001"), data=pay(), actor=user("pdd_cs2"))
    rejected = payout_request_create(order=order("PDD2007"), data=pay(), actor=user("pdd_cs1"))
    payout_request_approve(request=approved, actor=user("pdd_admin"))
    payout_request_reject(request=rejected, actor=user("pdd_lead"), reason="金额不对")
    [yes] = inbox("pdd_cs2", "payout_request_decided")
    [no] = inbox("pdd_cs1", "payout_request_decided")
    assert yes.about == approved and yes.title == "打款申请已通过"
    assert no.about == rejected and no.title == "打款申请被驳回" and "金额不对" in no.body
    assert inbox("pdd_admin", "payout_request_decided") == []


def test_ntf_04_the_clock_warns_once_within_six_hours_of_auto_approval(demo):
    """NTF-04: a reship request waiting for the merchant that the clock approves within 6 h → the main account,
    once per ticket, kind reship_auto_approve_soon; earlier nothing, and a rerun adds nothing."""
    with time_machine.travel(NOW, tick=False) as traveller:
        ticket = ticket_create(order=order("DY1022"), buyer=user("buyer_ok"), type="reship", reason="missing_items")
        assert ticket.deadline == NOW + dt.timedelta(hours=48)
        traveller.shift(dt.timedelta(hours=42, seconds=-1))
        reship_auto_approve_soon()
        assert inbox("dy_admin", "reship_auto_approve_soon") == []
        traveller.shift(dt.timedelta(seconds=1))
        assert reship_auto_approve_soon() == 1
        [message] = inbox("dy_admin", "reship_auto_approve_soon")
        assert message.about == ticket and "DY1022" in message.body and "2026-11-26 10:00" in message.body
        assert reship_auto_approve_soon() == 0
        assert Notification.objects.filter(kind="reship_auto_approve_soon").count() == 1
        assert inbox("dy_cs1") == [] and inbox("dy_cs2") == []


def test_ntf_04_the_clock_is_registered_and_in_the_beat_schedule(demo):
    """NTF-04: a registered sweep, run by beat."""
    assert "reship_auto_approve_soon" in SWEEPS
    assert settings.CELERY_BEAT_SCHEDULE["reship_auto_approve_soon"]["args"] == ("reship_auto_approve_soon",)


@pytest.mark.django_db(transaction=True)
def test_ntf_04_two_sweeps_at_once_send_one_message(demo):
    """NTF-04: two runs at once still warn once per ticket (the unique constraint holds the second insert)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        tickets = [ticket_create(order=order(no), buyer=user("buyer_ok"), type="reship", reason="missing_items")
                   for no in ("DY1022", "DY1023", "DY1025")]
        traveller.shift(dt.timedelta(hours=43))
        barrier = threading.Barrier(2)
        errors = []

        def run():
            try:
                barrier.wait()
                reship_auto_approve_soon()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(Notification.objects.filter(kind="reship_auto_approve_soon").values_list("about_id", flat=True)) == \
        sorted(t.pk for t in tickets)
    assert Ticket.objects.filter(status="pending_merchant").count() == 3


def test_ntf_05_a_buyer_asking_to_reopen_tells_the_main_account(demo):
    """NTF-05: a buyer asked to re-open the after-sales entry (ASE-R01) → the main account, kind
    entry_request_created; asking twice sends one."""
    with time_machine.travel(NOW, tick=False) as traveller:
        entry_open(order=order("DY1016"), actor=user("dy_cs1"))
        traveller.shift(dt.timedelta(days=5))
        entry_close_due()
        request = entry_request(order=order("DY1016"), buyer=user("buyer_ok"))
        entry_request(order=order("DY1016"), buyer=user("buyer_ok"))
    [message] = inbox("dy_admin", "entry_request_created")
    assert message.about == request and "DY1016" in message.body
    assert Notification.objects.filter(kind="entry_request_created").count() == 1


def _three_messages():
    payout_request_create(order=order("PDD2001"), data=pay(), actor=user("pdd_cs2"))
    payout_request_create(order=order("PDD2007"), data=pay(), actor=user("pdd_cs1"))
    payout_request_create(order=order("PDD2008"), data=pay(), actor=user("pdd_cs1"))
    return list(Notification.objects.filter(recipient__username="pdd_admin").order_by("id"))


def test_ntf_06_api_only_the_recipient_reads_and_marks(demo, api):
    """NTF-06: the inbox API lists the caller's own messages; one or all are marked read by their recipient only;
    another person's message answers 404."""
    first, second, third = _three_messages()
    admin, lead = api("tok-pdd_admin"), api("tok-pdd_lead")
    body = admin.get("/api/v1/inbox/").json()
    assert body["count"] == 3 and [m["id"] for m in body["results"]] == [third.pk, second.pk, first.pk]
    row = body["results"][0]
    assert row["kind"] == "payout_request_created" and row["object_type"] == "payout_request"
    assert row["read_at"] is None and set(row) == {"id", "kind", "title", "body", "object_type", "object_id",
                                                   "created_at", "read_at"}
    assert admin.get("/api/v1/inbox/unread-count/").json() == {"unread": 3}
    assert lead.post(f"/api/v1/inbox/{first.pk}/read/").status_code == 404
    assert api("tok-dy_admin").post(f"/api/v1/inbox/{first.pk}/read/").status_code == 404
    assert admin.post(f"/api/v1/inbox/{first.pk}/read/").status_code == 200
    assert admin.get("/api/v1/inbox/?unread=true").json()["count"] == 2
    assert lead.get("/api/v1/inbox/unread-count/").json() == {"unread": 3}
    assert admin.post("/api/v1/inbox/read-all/").json() == {"marked": 2}
    assert admin.get("/api/v1/inbox/unread-count/").json() == {"unread": 0}
    assert lead.get("/api/v1/inbox/unread-count/").json() == {"unread": 3}
    assert api("tok-buyer_ok").get("/api/v1/inbox/").status_code == 403
    assert api("tok-ops1").get("/api/v1/inbox/").status_code == 403


def test_ntf_06_inbox_page_unread_first_mark_one_and_all_and_the_header_count(demo, client):
    """NTF-06 and SPEC §10: the inbox page lists the signed-in person's messages unread first; opening one or the
    action marks it read, the button all; the header shows the unread count on every page; another person's
    message is not found."""
    first, second, third = _three_messages()
    client.force_login(user("pdd_admin"))
    changelist = reverse("admin:notifications_inboxmessage_changelist")
    page = client.get(reverse("admin:index"))
    assert b'data-testid="inbox-unread" data-unread="3"' in page.content
    client.get(reverse("admin:notifications_inboxmessage_change", args=[second.pk]))
    listed = client.get(changelist)
    assert [m.pk for m in listed.context["cl"].result_list] == [third.pk, first.pk, second.pk]
    assert b'data-unread="2"' in listed.content
    client.post(changelist, {"action": "mark_read", "_selected_action": [first.pk]})
    assert Notification.objects.get(pk=first.pk).read_at is not None
    client.post(reverse("admin:notifications_inboxmessage_read_all"))
    assert not Notification.objects.filter(recipient__username="pdd_admin", read_at__isnull=True).exists()
    client.force_login(user("pdd_lead"))
    assert client.get(reverse("admin:notifications_inboxmessage_change", args=[first.pk])).status_code in (302, 404)
    assert Notification.objects.filter(recipient__username="pdd_lead", read_at__isnull=True).count() == 3
    assert first.pk not in [m.pk for m in client.get(reverse("admin:notifications_notification_changelist"))
                            .context["cl"].result_list]
