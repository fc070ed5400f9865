"""SEC-05 / issue 22 item 6: one export helper (core.export) for every CSV and XLSX the product writes, and
every cell of every export goes through it — the interception exports neutralise formula text as the payout
export does."""

import csv
import io
import pathlib
import re
from decimal import Decimal

import pytest

from core.export import csv_lines, spreadsheet_safe, xlsx_bytes
from tests.logistics.conftest import make_ticket, user  # noqa: F401 (fixtures)

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORMULA = "=HYPERLINK(\"http://evil\",\"x\")"


def test_sec05_one_export_helper_writes_every_csv_and_xlsx():
    """SEC-05: no module but core/export.py makes a CSV writer or an openpyxl Workbook."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "tests/", "bench/")) or rel == "core/export.py":
            continue
        if re.search(r"csv\.(writer|DictWriter)\(|\bWorkbook\(", path.read_text(encoding="utf-8")):
            offenders.append(rel)
    assert offenders == []


def test_sec05_the_helper_neutralises_every_text_cell_header_included():
    lines = "".join(csv_lines(["=head"], [["=1+1", "-12.50", "+x", "@SUM(A1)", 3, "正常"]]))
    rows = list(csv.reader(io.StringIO(lines.lstrip("\ufeff"))))
    assert rows == [["'=head"], ["'=1+1", "-12.50", "'+x", "'@SUM(A1)", "3", "正常"]]
    assert spreadsheet_safe("-12.50") == "-12.50" and spreadsheet_safe("-1+2") == "'-1+2"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx_bytes(["h"], [["=1+1", 2.5]], sheet="s"))).active
    assert [c.value for c in sheet[2]] == ["'=1+1", 2.5]


@pytest.mark.django_db
def test_sec05_interception_exports_neutralise_formula_text(make_ticket, api, user):  # noqa: F811
    """Issue 22 item 6: a shop name and an operator's username that start like a formula reach the
    interception CSV and XLSX quoted (the admin's export writes through the same selectors)."""
    from openpyxl import load_workbook

    from logistics.services import contract_open, interception_request
    from orders.models import Outlet

    shop = user("dy_admin").shop
    shop.name = FORMULA
    shop.save(update_fields=["name"])
    contract_open(shop=shop, courier="yto", outlets=list(Outlet.objects.filter(code="yto-hz-01")),
                  agreed_price=Decimal("2.40"), actor=user("dy_admin"))
    interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="offline",
                         actor=user("dy_cs1"))
    client = api("tok-dy_cs1")
    exported = client.get("/api/v1/interceptions/?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert "'" + FORMULA in rows[1] and FORMULA not in rows[1]
    xlsx = client.get("/api/v1/interceptions/?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for c in list(sheet.rows)[1]]
    assert "'" + FORMULA in values and FORMULA not in values
