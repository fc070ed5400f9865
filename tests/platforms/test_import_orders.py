"""Importing the platforms' order export files (CON-08), mapped as the sync maps (CON-04), from the shell and
through the service the admin page calls: dry run first, then for real, then again with nothing changed; bad
rows named by row and column and nothing imported unless skipped on purpose; bad files never a crash."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Shop
from orders.models import Order, OrderEvent, OrderItem, Parcel
from platforms.exports_import.services import order_export_import
from tests.platforms.import_samples import (
    DOUYIN_HEADER,
    PDD_HEADER,
    csv_bytes,
    douyin_rows,
    douyin_xlsx,
    pdd_csv,
    pdd_rows,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

PDD_NOS = ["231205-100000000000001", "231205-100000000000002", "231205-100000000000003"]
DY_NOS = ["6920000000000000001", "6920000000000000002"]


def run(*args) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("import_orders", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + f"ERROR {exc}", 1
    return out.getvalue(), 0


def snapshot(nos):
    """Everything an import may write about these orders."""
    orders = list(Order.objects.filter(order_no__in=nos).order_by("order_no").values())
    items = list(OrderItem.objects.filter(order__order_no__in=nos).order_by("order_id", "product_id").values())
    parcels = list(Parcel.objects.filter(order__order_no__in=nos).order_by("tracking_no").values())
    events = OrderEvent.objects.filter(order__order_no__in=nos).count()
    return orders, items, parcels, events


@pytest.fixture
def pdd_file(tmp_path):
    path = tmp_path / "拼多多订单导出.csv"
    path.write_bytes(pdd_csv())  # GB18030, ids guarded by a tab or an apostrophe
    return path


@pytest.fixture
def douyin_file(tmp_path):
    path = tmp_path / "抖店订单导出.xlsx"
    path.write_bytes(douyin_xlsx())
    return path


def test_con08_con04_con07_pdd_csv_dry_run_then_import_then_nothing_changes(demo, pdd_file):
    out, code = run("pdd", str(pdd_file), "--dry-run")
    assert code == 0
    assert out.splitlines()[0] == "dry run: created 3, updated 0, unchanged 0, errors 0"
    assert not Order.objects.filter(order_no__in=PDD_NOS).exists()

    out, code = run("pdd", str(pdd_file))
    assert (code, out.splitlines()[0]) == (0, "created 3, updated 0, unchanged 0, errors 0")
    shop = Shop.objects.get(key="pdd")
    waiting, shipped, received = (Order.objects.get(order_no=no) for no in PDD_NOS)
    assert {o.shop_id for o in (waiting, shipped, received)} == {shop.pk}
    # CON-04, as the sync maps a Pinduoduo order: yuan amounts, status, items, parcels, refund state, times.
    assert (waiting.status, waiting.paid_amount, waiting.source_app, waiting.payment) == (
        "stocking", Decimal("59.80"), "pinduoduo", "online")
    assert waiting.created_at.isoformat() == "2026-12-01T02:00:00+00:00"  # 10:00 Beijing
    assert waiting.group_formed_at == waiting.created_at
    assert list(waiting.items.values_list("product_id", "name", "price", "quantity")) == [
        ("400001", "保温杯", Decimal("29.90"), 2)]
    assert shipped.status == "shipped" and shipped.paid_amount == Decimal("30.00")
    assert list(shipped.parcels.values_list("tracking_no", "courier")) == [("YT1000000000001", "yto")]
    assert received.status == "completed" and received.refund_state == "in_progress"
    assert received.confirmed_receipt_at.isoformat() == "2026-11-23T04:00:00+00:00"
    assert list(received.parcels.values_list("tracking_no", "courier")) == [("JT1000000000003", "jt")]
    # CON-07: the buyer is the order's own identity; the name and phone columns are not read anywhere.
    assert waiting.buyer.role == "buyer" and waiting.buyer != shipped.buyer
    assert "张" not in str(Order.objects.filter(order_no__in=PDD_NOS).values())
    before = snapshot(PDD_NOS)

    out, code = run("pdd", str(pdd_file))
    assert (code, out.splitlines()[0]) == (0, "created 0, updated 0, unchanged 3, errors 0")
    assert snapshot(PDD_NOS) == before


def test_con08_con04_douyin_xlsx_one_row_per_item_dry_run_import_again(demo, douyin_file):
    out, code = run("dy", str(douyin_file), "--dry-run")
    assert (code, out.splitlines()[0]) == (0, "dry run: created 2, updated 0, unchanged 0, errors 0")
    assert not Order.objects.filter(order_no__in=DY_NOS).exists()

    out, code = run("dy", str(douyin_file))
    assert (code, out.splitlines()[0]) == (0, "created 2, updated 0, unchanged 0, errors 0")
    two_items = Order.objects.get(order_no=DY_NOS[0])
    # Two rows, one order: the items of both rows, the sum of the sub-orders' 订单应付金额, one parcel.
    assert two_items.paid_amount == Decimal("169.80")
    assert sorted(two_items.items.values_list("product_id", "price", "quantity")) == [
        ("3600000000001", Decimal("150.00"), 1), ("3600000000002", Decimal("9.90"), 2)]
    assert (two_items.status, two_items.refund_state, two_items.source_app) == ("shipped", "partial", "douyin")
    assert list(two_items.parcels.values_list("tracking_no", "courier")) == [("YT2000000000001", "yto")]
    lite = Order.objects.get(order_no=DY_NOS[1])
    assert (lite.status, lite.source_app, lite.paid_amount) == ("stocking", "douyin_lite", Decimal("60.00"))
    assert lite.paid_at.isoformat() == "2026-12-02T07:31:00+00:00"
    before = snapshot(DY_NOS)

    out, code = run("dy", str(douyin_file))
    assert (code, out.splitlines()[0]) == (0, "created 0, updated 0, unchanged 2, errors 0")
    assert snapshot(DY_NOS) == before


def test_con08_a_later_export_updates_what_changed(demo):
    """CON-08 with CON-04: the next export of the same orders (shipped now) updates them, and only them."""
    shop = Shop.objects.get(key="dy")
    assert order_export_import(shop=shop, data=douyin_xlsx()).created == 2
    rows = douyin_rows()
    rows[2][14], rows[2][16], rows[2][17] = "已发货", "极兔速递 JT2000000000002", "JT2000000000002"
    outcome = order_export_import(shop=shop, data=douyin_xlsx(rows))
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 1)
    lite = Order.objects.get(order_no=DY_NOS[1])
    assert lite.status == "shipped"
    assert list(lite.parcels.values_list("tracking_no", "courier")) == [("JT2000000000002", "jt")]


def test_con08_bad_row_names_row_and_column_and_imports_nothing_unless_skipped(demo, tmp_path):
    rows = pdd_rows()
    rows[1][4] = "1E2"  # SEC-05: an exponent is not an amount
    path = tmp_path / "bad.csv"
    path.write_bytes(pdd_csv(rows))
    out, code = run("pdd", str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "created 0, updated 0, unchanged 0, errors 1"
    assert lines[1] == "row 3, column 用户实付金额(元): 不是以元为单位的金额，例如 12.50"
    assert "nothing imported (without the bad rows' orders: created 2, updated 0, unchanged 0)" in out
    assert not Order.objects.filter(order_no__in=PDD_NOS).exists()

    out, code = run("pdd", str(path), "--dry-run")
    assert code == 1 and out.splitlines()[0] == "dry run: created 2, updated 0, unchanged 0, errors 1"
    out, code = run("pdd", str(path), "--dry-run", "--skip-bad-rows")
    assert code == 0 and not Order.objects.filter(order_no__in=PDD_NOS).exists()

    out, code = run("pdd", str(path), "--skip-bad-rows")
    assert code == 0
    assert out.splitlines()[0] == "created 2, updated 0, unchanged 0, errors 1"
    assert set(Order.objects.filter(order_no__in=PDD_NOS).values_list("order_no", flat=True)) == {
        PDD_NOS[0], PDD_NOS[2]}


def test_con08_douyin_bad_item_row_leaves_its_whole_order_out(demo):
    """One bad row of a two-item order: skipping leaves the whole order out, never half of it."""
    rows = douyin_rows()
    rows[1][4] = "两"  # 商品数量
    outcome = order_export_import(shop=Shop.objects.get(key="dy"), data=douyin_xlsx(rows))
    assert [str(e) for e in outcome.errors] == ["row 3, column 商品数量: 不是整数"]
    assert outcome.refused and not Order.objects.filter(order_no__in=DY_NOS).exists()
    outcome = order_export_import(shop=Shop.objects.get(key="dy"), data=douyin_xlsx(rows), skip_bad_rows=True)
    assert outcome.created == 1 and outcome.bad_orders == [DY_NOS[0]]
    assert list(Order.objects.filter(order_no__in=DY_NOS).values_list("order_no", flat=True)) == [DY_NOS[1]]


@pytest.mark.parametrize(("value", "column"), [
    ("１２.００", "用户实付金额(元)"),  # full-width digits
    ("NaN", "用户实付金额(元)"),
    ("12.345", "用户实付金额(元)"),
    ("-5.00", "用户实付金额(元)"),
    ("=1+1", "用户实付金额(元)"),  # a formula is never an amount
])
def test_con08_sec05_amounts_are_plain_decimals(demo, value, column):
    rows = pdd_rows()
    rows[0][4] = value
    outcome = order_export_import(shop=Shop.objects.get(key="pdd"), data=pdd_csv(rows))
    assert [(e.row, e.column) for e in outcome.errors] == [(2, column)]
    assert not Order.objects.filter(order_no__in=PDD_NOS).exists()


def test_con08_excel_mangled_ids_and_formula_text(demo):
    rows = pdd_rows()
    rows[0][0] = "2.31205E+20"  # Excel showed the id as a number: its digits are gone
    rows[1][8] = "=HYPERLINK(\"http://x\",\"数据线\")"  # a formula-looking name is only text
    outcome = order_export_import(shop=Shop.objects.get(key="pdd"), data=pdd_csv(rows), skip_bad_rows=True)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "订单号")]
    assert "Excel" in outcome.errors[0].message
    assert OrderItem.objects.get(order__order_no=PDD_NOS[1]).name.startswith("=HYPERLINK")


def test_con08_xlsx_number_cells_and_title_rows(demo):
    """An XLSX with a title line above the header, amounts and counts as number cells, a long id as a number
    cell beyond Excel's 15 digits (refused)."""
    rows = douyin_rows()
    rows[2][8], rows[2][7], rows[2][4] = 60.0, 20.0, 3
    rows[0][0] = rows[1][0] = 6920000000000000001.0
    data = xlsx_bytes(DOUYIN_HEADER, rows, title_rows=[["抖店订单导出 2026-12-05"]])
    outcome = order_export_import(shop=Shop.objects.get(key="dy"), data=data, dry_run=True)
    assert {(e.row, e.column) for e in outcome.errors} == {(3, "主订单编号"), (4, "主订单编号")}
    assert [o.order_no for o in outcome.orders] == [DY_NOS[1]] and outcome.orders[0].paid_amount == Decimal("60.00")


def test_con08_duplicate_rows_are_named(demo):
    rows = douyin_rows()
    rows.append(list(rows[2]))
    outcome = order_export_import(shop=Shop.objects.get(key="dy"), data=douyin_xlsx(rows), dry_run=True)
    assert [(e.row, e.column) for e in outcome.errors] == [(5, "子订单编号")]
    assert "4" in outcome.errors[0].message
    rows = pdd_rows()
    rows.append(list(rows[0]))
    outcome = order_export_import(shop=Shop.objects.get(key="pdd"), data=pdd_csv(rows), dry_run=True)
    assert [(e.row, e.column) for e in outcome.errors] == [(5, "商品id")]


@pytest.mark.parametrize("data", [
    b"",
    b"\x00\x01\x02\x03" * 100,  # NUL bytes
    "订单号,商品id\n".encode("utf-16-le"),  # no BOM: not text the reader knows
    b"\xff\xfe\xd8\x00",  # broken UTF-16
    b"PK\x03\x04not really a zip",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # an old .xls
    b"hello,world\n1,2\n",  # no export header
    ",".join(PDD_HEADER).encode("utf-8"),  # a header and no rows
    "订单号,订单状态\n1,待发货\n".encode("gb18030"),  # required columns missing
    b"\x81\x30\x81",  # neither UTF-8 nor GB18030
    "订单号,商品id,\"unterminated\n".encode() * 3,
])
def test_con08_unreadable_files_are_one_clear_error_never_a_crash(demo, data):
    outcome = order_export_import(shop=Shop.objects.get(key="pdd"), data=data)
    assert outcome.file_error and outcome.refused and not outcome.written
    assert "Traceback" not in outcome.file_error


def test_con08_huge_file_is_refused_by_size_and_by_rows(demo, monkeypatch):
    from platforms.exports_import import reader

    outcome = order_export_import(shop=Shop.objects.get(key="pdd"), data=b"x" * (reader.MAX_BYTES + 1))
    assert "10 MB" in outcome.file_error
    monkeypatch.setattr(reader, "MAX_ROWS", 2)
    outcome = order_export_import(shop=Shop.objects.get(key="pdd"), data=pdd_csv())
    assert "2" in outcome.file_error and not Order.objects.filter(order_no__in=PDD_NOS).exists()


def test_con08_utf8_bom_and_tab_separated_and_wrong_platform(demo):
    assert order_export_import(shop=Shop.objects.get(key="pdd"), data=pdd_csv(encoding="utf-8-sig"),
                               dry_run=True).created == 3
    tabbed = "\n".join("\t".join(r) for r in [PDD_HEADER, *[[c.strip("\t'") for c in row] for row in pdd_rows()]])
    assert order_export_import(shop=Shop.objects.get(key="pdd"), data=tabbed.encode("gb18030"),
                               dry_run=True).created == 3
    outcome = order_export_import(shop=Shop.objects.get(key="dy"), data=pdd_csv())
    assert "拼多多" in outcome.file_error and not Order.objects.filter(order_no__in=PDD_NOS).exists()


def test_con08_another_shops_order_number_is_refused(demo):
    taken = Order.objects.filter(shop__key="dy").first()
    rows = pdd_rows()
    rows[0][0] = taken.order_no
    outcome = order_export_import(shop=Shop.objects.get(key="pdd"), data=pdd_csv(rows))
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "订单号")]
    assert outcome.refused
    taken.refresh_from_db()
    assert taken.shop.key == "dy"


def test_con04_con08_unknown_status_is_kept_raw_and_flagged(demo):
    rows = pdd_rows()
    rows[0][1] = "待成团（新状态）"
    out_rows = order_export_import(shop=Shop.objects.get(key="pdd"), data=pdd_csv(rows))
    assert not out_rows.errors and out_rows.created == 3
    order = Order.objects.get(order_no=PDD_NOS[0])
    assert order.status == "stocking"
    assert order.review_flags == {"订单状态": "待成团（新状态）"}


def test_con08_csv_cells_stay_text(demo):
    """A CSV cell is read as text, whatever it looks like; csv_bytes round-trips the guards."""
    data = csv_bytes(PDD_HEADER, pdd_rows(), encoding="utf-8")
    assert order_export_import(shop=Shop.objects.get(key="pdd"), data=data, dry_run=True).error_count == 0


def test_con08_csv_formula_guarded_ids_and_a_shared_parcel(demo):
    """`="…"` ids (another Excel guard) read as the id; two orders shipped together (合并发货) share a tracking
    number: the first keeps the parcel, the second keeps the number raw and is flagged for review (CON-04)."""
    rows = pdd_rows()
    rows[0][0] = '="231205-100000000000001"'
    rows[0][11], rows[0][12] = "YT1000000000001", "圆通快递"  # the same parcel as the second order
    outcome = order_export_import(shop=Shop.objects.get(key="pdd"), data=pdd_csv(rows, encoding="utf-8"))
    assert outcome.errors == [] and outcome.created == 3
    first, second = Order.objects.get(order_no=PDD_NOS[0]), Order.objects.get(order_no=PDD_NOS[1])
    assert list(first.parcels.values_list("tracking_no", flat=True)) == ["YT1000000000001"]
    assert not second.parcels.exists()
    assert second.review_flags == {"快递单号": f"YT1000000000001 ({PDD_NOS[0]})"}


def test_con08_con04_courier_from_the_name_or_the_tracking_number():
    from platforms.exports_import.convert import courier_code

    assert courier_code("圆通速递", "YT2000000000001") == "yto"
    assert courier_code("极兔速递", "X123456789") == "jt"  # the name tells
    assert courier_code("", "JT2000000000002") == "jt"  # the number's pattern tells
    assert courier_code("圆通速递 , 极兔速递", "JT2000000000002") == "jt"  # several named: the pattern decides
    assert courier_code("中通快递", "ZT123456789") == ""  # unknown: kept raw by the caller


@pytest.mark.django_db(transaction=True)
def test_con08_two_imports_of_one_file_at_once_store_each_order_once(demo):
    """Two people import the same export at the same moment: the second waits for the first's commit (the shop's
    upsert lock) and finds its orders stored — every order once, no error, no 500."""
    import threading
    import time

    from django.db import connection, transaction

    from orders.models import Category

    Category.objects.get_or_create(code="unassigned")  # else the two would queue on creating it, not on the orders
    shop = Shop.objects.get(key="dy")
    data = douyin_xlsx()
    first_wrote = threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = order_export_import(shop=shop, data=data)
                first_wrote.set()
                time.sleep(0.5)  # the second import reaches its INSERT and waits on the unique index
        finally:
            connection.close()

    def second():
        try:
            first_wrote.wait(10)
            outcomes["second"] = order_export_import(shop=shop, data=data)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes["first"].created == 2
    assert (outcomes["second"].file_error, outcomes["second"].created, outcomes["second"].unchanged) == ("", 0, 2)
    assert Order.objects.filter(order_no__in=DY_NOS).count() == 2
    assert OrderItem.objects.filter(order__order_no__in=DY_NOS).count() == 3
    assert OrderEvent.objects.filter(order__order_no__in=DY_NOS).count() == 2


@pytest.mark.parametrize("value", ["1,234.00", "¥12.00", "12.500", "1e2", "inf", " "])
def test_con08_sec05_no_separators_signs_or_extra_places(demo, value):
    rows = pdd_rows()
    rows[0][4] = value
    outcome = order_export_import(shop=Shop.objects.get(key="pdd"), data=pdd_csv(rows), dry_run=True)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "用户实付金额(元)")]


@pytest.mark.parametrize(("shop", "name", "created"), [("pdd", "拼多多订单导出示例.csv", 3), ("dy", "抖店订单导出示例.xlsx", 2)])
def test_con08_demo_sample_exports_import_cleanly(demo, shop, name, created):
    """The sample files shipped for trying the import page (demo/exports/) stay importable."""
    from tests.conftest import ROOT

    out, code = run(shop, str(ROOT / "demo" / "exports" / name), "--dry-run")
    assert (code, out.splitlines()[0]) == (0, f"dry run: created {created}, updated 0, unchanged 0, errors 0")
