"""The report pages (RPT-01..RPT-05) and the home in the admin: filters, the table and its CSV, who may open
which, and no inline script (the CSP allows scripts only from our static files)."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from core.clock import shanghai_date
from orders.scenario import load_scenario
from tests.conftest import demo_data

pytestmark = pytest.mark.django_db

SLUGS = ("payouts-daily", "quota-usage", "payouts-by-product", "interceptions-by-outlet", "reship-sla")


@pytest.fixture
def busy(demo):
    load_scenario(demo_data(activity=True))


def signed_in(client, username: str):
    client.force_login(User.objects.get(username=username))
    return client


def test_rpt_01_page_table_and_csv_show_the_same_numbers(busy, client):
    """RPT-01: the page's table and its CSV export list every day of the range with the same figures."""
    today = shanghai_date().isoformat()
    signed_in(client, "dy_admin")
    url = reverse("workbench_report", args=["payouts-daily"]) + f"?from={today}&to={today}"
    page = client.get(url)
    assert page.status_code == 200
    [row] = page.context["rows"]
    # The demo's Douyin payouts of today: dy-p1 8.00, dy-p-busy 6.00 (pending: the rail was busy, still
    # counted, PAY-L05), dy-p2 20.00, dy-p3 50.00, dy-p6 6.00.
    assert row[0] == today and row[1] == 5 and str(row[2]) == "90.00"
    csv = b"".join(client.get(url + "&format=csv").streaming_content).decode("utf-8-sig").splitlines()
    assert len(csv) == 2 and csv[1].split(",")[:3] == [today, "5", "90.00"]


@pytest.mark.parametrize("username,forbidden", [("dy_admin", ()), ("pdd_lead", ()), ("dy_cs1", ("quota-usage",)),
                                                ("jt_gz_01_user", SLUGS)])
def test_rpt_report_pages_for_each_role(busy, client, username, forbidden):
    """SPEC §11: shop people see their shop's reports; quota usage is for approvers (RPT-02); outlets see none."""
    signed_in(client, username)
    for slug in SLUGS:
        response = client.get(reverse("workbench_report", args=[slug]))
        assert response.status_code == (403 if slug in forbidden else 200), slug


def test_rpt_platform_staff_pick_a_shop(busy, client):
    """SPEC §11: platform staff pick a shop; without one the page asks for it."""
    signed_in(client, "ops1")
    url = reverse("workbench_report", args=["payouts-by-product"])
    assert client.get(url).context.get("columns") is None
    rows = client.get(url + "?shop=dy").context["rows"]
    assert [r[0] for r in rows] == ["DY-SH-010", "DY-SN-001", "DY-SH-007"]  # 50.00, 20.00, 8.00


@pytest.mark.parametrize("path", ["/admin/", "/admin/workbench/reports/payouts-daily/"])
def test_rpt_06_pages_have_no_inline_script(busy, client, path):
    """CSP: every <script> loads a static file or is a JSON data block."""
    html = signed_in(client, "dy_admin").get(path).content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert "workbench/echarts/echarts.min.js" in html
