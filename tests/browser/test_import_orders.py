"""Browser test of 导入订单导出文件 (CON-08): from the order list, a 抖店 XLSX export with a bad row is previewed
(orders to create, the bad row by row and column), imported with the bad rows skipped on purpose, and the
orders appear in 订单. Screenshots: test-artifacts/import-orders-form.png, import-orders-preview.png,
import-orders-result.png."""

import pytest

from orders.models import Order
from tests.platforms.import_samples import douyin_rows, douyin_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo1234")
    with page.expect_navigation():
        page.click("input[type=submit]")


def test_con08_browser_preview_then_import_with_bad_rows_skipped(demo, live_server, page, screenshot, tmp_path):
    rows = douyin_rows()
    rows[2][8] = "六十元"  # 订单应付金额 of the second order: not an amount
    path = tmp_path / "抖店订单导出.xlsx"
    path.write_bytes(douyin_xlsx(rows))

    login(page, live_server, "dy_admin")
    page.goto(f"{live_server.url}/admin/orders/order/")
    with page.expect_navigation():
        page.click("[data-testid=orders-import-link]")
    assert "导入订单导出文件" in page.inner_text("#content")
    screenshot("import-orders-form")
    page.set_input_files("input[type=file]", str(path))
    with page.expect_navigation():
        page.click("[data-testid=import-upload]")

    assert page.inner_text("[data-testid=count-create]") == "1"
    assert page.inner_text("[data-testid=count-errors]") == "1"
    errors = page.inner_text("[data-testid=import-errors]")
    assert "4" in errors and "订单应付金额" in errors and "不是以元为单位的金额" in errors
    assert "6920000000000000001" in page.inner_text("[data-testid=import-orders]")
    screenshot("import-orders-preview")
    assert not Order.objects.filter(order_no__startswith="69200000000000000").exists()

    # Without the box: nothing imported, the page says why.
    with page.expect_navigation():
        page.click("[data-testid=import-confirm]")
    assert page.is_visible("[data-testid=import-must-choose]")
    assert not Order.objects.filter(order_no__startswith="69200000000000000").exists()

    page.check("[data-testid=import-skip]")
    with page.expect_navigation():
        page.click("[data-testid=import-confirm]")
    assert page.inner_text("[data-testid=result-created]") == "1"
    assert page.inner_text("[data-testid=result-skipped]") == "1"
    screenshot("import-orders-result")
    assert list(Order.objects.filter(order_no__startswith="69200000000000000").values_list("order_no", flat=True)) == [
        "6920000000000000001"]

    page.goto(f"{live_server.url}/admin/orders/order/?q=6920000000000000001")
    assert "6920000000000000001" in page.inner_text("#result_list")
