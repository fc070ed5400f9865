"""Admin pages of 快递拦截服务: 开通服务, the outlet's review, the interception page, records export, claims,
the assistant rule."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import LedgerEntry
from accounts.selectors import ledger_drifts
from logistics.models import AutoInterceptRule, Claim, ContractStatus, Interception, InterceptionContract
from logistics.services import contract_open, interception_request, interception_return_report
from orders.models import Outlet

pytestmark = pytest.mark.django_db


def test_int_03_int_04_admin_open_service_reminds_and_outlet_reviews(demo, client, user):
    client.force_login(user("dy_admin"))
    url = reverse("admin:logistics_interceptioncontract_add")
    page = client.get(url)
    assert page.status_code == 200 and "网点" in page.content.decode()
    assert 'data-testid="contract-reminder"' in page.content.decode()
    jt = Outlet.objects.get(code="jt-gz-01")
    # Without confirming the terms were agreed, nothing is opened.
    client.post(url, {"courier": "jt", "outlets": [jt.pk], "agreed_price": "2.00"})
    assert not InterceptionContract.objects.exists()
    response = client.post(url, {"courier": "jt", "outlets": [jt.pk], "agreed_price": "2.00", "terms_agreed": "on"})
    assert response.status_code == 302
    contract = InterceptionContract.objects.get()
    assert contract.status == ContractStatus.PENDING_REVIEW
    # A sub-account may not open the service.
    client.force_login(user("dy_cs1"))
    assert client.get(url).status_code == 403
    # The outlet user reviews it.
    client.force_login(user("jt_gz_01_user"))
    review = reverse("admin:logistics_interceptioncontract_review", args=[contract.pk])
    assert client.get(review).status_code == 200
    client.post(review, {"reject": "1", "reason": "价格未谈妥"})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.REJECTED and contract.reject_reason == "价格未谈妥"
    client.force_login(user("jt_sz_02_user"))
    assert client.get(review).status_code == 404


def test_int_05_admin_open_service_with_outlet_without_e_waybill_shows_the_refusal(demo, client, user):
    client.force_login(user("dy_admin"))
    sh = Outlet.objects.get(code="yto-sh-02")
    response = client.post(reverse("admin:logistics_interceptioncontract_add"),
                           {"courier": "yto", "outlets": [sh.pk], "agreed_price": "2.00", "terms_agreed": "on"})
    assert response.status_code == 200 and "电子面单" in response.content.decode()
    assert not InterceptionContract.objects.exists()


@pytest.mark.smoke  # also run on SQLite by bin/test
def test_int_07_admin_intercept_page_shows_parcel_goods_fee_and_results(make_ticket, client, user, run_clocks):
    ticket = make_ticket("DY1027", amount=Decimal("60.00"))
    client.force_login(user("dy_cs1"))
    url = reverse("admin:logistics_intercept", args=[ticket.pk])
    page = client.get(url).content.decode()
    assert "YT7310000012507" in page and "YT7310000013644" in page and "3.00" in page and "智能摄像头" in page
    response = client.post(url, {"parcels": ["YT7310000012507"], "mode": "online"})
    assert response.status_code == 302
    again = client.post(url, {"parcels": ["YT7310000012507"], "mode": "online"}, follow=True)
    assert "请勿重复" in again.content.decode()
    assert Interception.objects.count() == 1
    run_clocks()
    page = client.get(url).content.decode()
    assert 'data-result="YT7310000012507"' in page
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).count() == 1
    assert ledger_drifts() == []
    # Another shop's member gets a 404; an outlet user may not open the page.
    client.force_login(user("pdd_admin"))
    assert client.get(url).status_code == 404
    client.force_login(user("yto_hz_01_user"))
    assert client.get(url).status_code == 403


def test_int_08_admin_export_follows_the_list_filters(make_ticket, client, user):
    contract_open(shop=user("dy_admin").shop, courier="yto", outlets=list(Outlet.objects.filter(code="yto-hz-01")),
                  agreed_price=Decimal("2.40"), actor=user("dy_admin"))
    interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="offline",
                         actor=user("dy_cs1"))
    interception_request(ticket=make_ticket("DY1003"), tracking_nos=["JT5280000002053"], mode="online",
                         actor=user("dy_cs1"))
    client.force_login(user("dy_cs1"))
    listing = client.get(reverse("admin:logistics_interception_changelist") + "?settlement__exact=offline")
    assert listing.status_code == 200 and "export-csv" in listing.content.decode()
    csv_url = reverse("admin:logistics_interception_export", args=["csv"])
    body = b"".join(client.get(csv_url + "?settlement__exact=offline").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2 and "YT7310000001137" in rows[1] and "2.40" in rows[1]
    body = b"".join(client.get(csv_url).streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 3
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    body = b"".join(client.get(csv_url + f"?created_at__gte={tomorrow}").streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 1
    today = dt.date.today().isoformat()
    ranged = client.get(reverse("admin:logistics_interception_changelist") + f"?created_at__gte={today}")
    assert ranged.status_code == 200 and ranged.context["cl"].result_count == 2
    ranged = client.get(reverse("admin:logistics_interception_changelist") + f"?created_at__gte={tomorrow}")
    assert ranged.context["cl"].result_count == 0
    xlsx = client.get(reverse("admin:logistics_interception_export", args=["xlsx"]) + "?courier__exact=jt")
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and "JT5280000002053" in rows[1]
    client.force_login(user("pdd_admin"))
    body = b"".join(client.get(csv_url).streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 1  # the other shop's rows are not exported


def test_int_09_admin_claim_filed_by_shop_decided_by_platform_confirmed_paid(make_ticket, client, user, run_clocks):
    interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="online",
                         actor=user("dy_cs1"))
    run_clocks()
    interception = Interception.objects.get()
    client.force_login(user("yto_hz_01_user"))
    client.post(reverse("admin:logistics_interception_return", args=[interception.pk]), {"outcome": "lost"})
    interception.refresh_from_db()
    assert interception.status == "return_failed"
    entries = LedgerEntry.objects.count()
    with time_machine.travel(interception.succeeded_at + dt.timedelta(days=8), tick=False):
        client.force_login(user("dy_cs1"))
        page = client.get(reverse("admin:logistics_interception_change", args=[interception.pk]))
        assert reverse("admin:logistics_interception_claim", args=[interception.pk]) in page.content.decode()
        client.post(reverse("admin:logistics_interception_claim", args=[interception.pk]),
                    {"kind": "lost", "amount": "100.00", "description": "丢件"})
        claim = Claim.objects.get()
        client.force_login(user("ops1"))
        page = client.get(reverse("admin:logistics_claim_change", args=[claim.pk])).content.decode()
        assert reverse("admin:logistics_claim_decide", args=[claim.pk]) in page
        client.post(reverse("admin:logistics_claim_decide", args=[claim.pk]),
                    {"outcome": "approve", "compensation": "90.00", "note": "ok"})
        claim.refresh_from_db()
        assert claim.status == "approved" and claim.compensation == Decimal("90.00")
        client.force_login(user("dy_admin"))
        client.post(reverse("admin:logistics_claim_confirm_paid", args=[claim.pk]))
        claim.refresh_from_db()
    assert claim.status == "paid"
    assert LedgerEntry.objects.count() == entries
    assert ledger_drifts() == []


def test_int_06_admin_rule_switch_main_only_and_dry_run(make_ticket, client, user):
    make_ticket("DY1027")
    url = reverse("admin:logistics_autointercept_settings")
    client.force_login(user("dy_cs1"))
    page = client.get(url)
    assert page.status_code == 200 and "YT7310000012507" in page.content.decode()
    client.post(url, {"enabled": "on"})
    assert not AutoInterceptRule.objects.filter(enabled=True).exists()
    client.force_login(user("dy_admin"))
    client.post(url, {"enabled": "on"})
    assert AutoInterceptRule.objects.get(shop__key="dy").enabled


def test_int_07_admin_outlet_reports_the_return_of_its_parcels_only(make_ticket, client, user, run_clocks):
    interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="online",
                         actor=user("dy_cs1"))
    run_clocks()
    interception = Interception.objects.get()
    client.force_login(user("jt_gz_01_user"))
    assert client.post(reverse("admin:logistics_interception_return", args=[interception.pk]),
                       {"outcome": "returned"}).status_code == 404
    client.force_login(user("yto_hz_01_user"))
    page = client.get(reverse("admin:logistics_interception_change", args=[interception.pk])).content.decode()
    assert "outcome" in page
    client.post(reverse("admin:logistics_interception_return", args=[interception.pk]), {"outcome": "returned"})
    interception.refresh_from_db()
    assert interception.status == "returned"
    with pytest.raises(Exception):  # noqa: B017 - a second report is refused by the service
        interception_return_report(interception=interception, outcome="lost", actor=user("yto_hz_01_user"))


def test_custom_interception_pages_are_chinese(make_ticket, client, user, run_clocks):
    """The custom pages (not crawled by tests/core/test_translations.py) show no English names either."""
    import re

    from tests.core.test_translations import english_names

    ticket = make_ticket("DY1001")
    interception_request(ticket=ticket, tracking_nos=["YT7310000001137"], mode="online", actor=user("dy_cs1"))
    run_clocks()
    interception = Interception.objects.get()
    interception_return_report(interception=interception, outcome="lost", actor=user("yto_hz_01_user"))
    [contract] = contract_open(shop=user("dy_admin").shop, courier="jt",
                               outlets=list(Outlet.objects.filter(code="jt-gz-01")), agreed_price=Decimal("2"),
                               actor=user("dy_admin"))
    pages = {
        "dy_admin": [reverse("admin:logistics_interceptioncontract_add"),
                     reverse("admin:logistics_autointercept_settings")],
        "dy_cs1": [reverse("admin:logistics_intercept", args=[ticket.pk]),
                   reverse("admin:logistics_interception_claim", args=[interception.pk]),
                   reverse("admin:logistics_interception_change", args=[interception.pk])],
        "jt_gz_01_user": [reverse("admin:logistics_interceptioncontract_review", args=[contract.pk])],
    }
    english = english_names()
    for username, urls in pages.items():
        client.force_login(user(username))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            text = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", response.content.decode(), flags=re.S)
            shown = {n for n in english if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text, re.I)}
            assert shown == set(), (url, shown)


def test_int_01_ticket_page_shows_the_intercept_button_only_when_available(make_ticket, client, user):
    """INT-01: 快递拦截 on the ticket page for an unfinished refund-only ticket with a parcel in transit."""
    from django.urls import reverse

    client.force_login(user("dy_cs1"))
    available = make_ticket("DY1027")
    html = client.get(reverse("admin:aftersales_ticket_change", args=[available.pk])).content.decode()
    assert reverse("admin:logistics_intercept", args=[available.pk]) in html and "快递拦截" in html
    for ticket in (make_ticket("DY1022"), make_ticket("DY1001", type="reship", reason="other")):  # signed; reship
        html = client.get(reverse("admin:aftersales_ticket_change", args=[ticket.pk])).content.decode()
        assert reverse("admin:logistics_intercept", args=[ticket.pk]) not in html
