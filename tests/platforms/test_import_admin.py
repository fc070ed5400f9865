"""The admin's 导入订单导出文件 page (CON-08) through Django's test client: upload → preview (to create, to
update, errors by row and column) → import; nothing written before the confirm; a bad row blocks the import
until skipped on purpose; importing again changes nothing; who may use it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Shop, User
from orders.models import Order
from tests.platforms.import_samples import douyin_xlsx, pdd_csv, pdd_rows

pytestmark = pytest.mark.django_db
URL = "platforms_import_orders"
PDD_NOS = ["231205-100000000000001", "231205-100000000000002", "231205-100000000000003"]


def login(client, username):
    client.force_login(User.objects.get(username=username))


def preview(client, shop_key, data, name="orders.csv"):
    page = client.post(reverse(URL), {"step": "preview", "shop": Shop.objects.get(key=shop_key).pk,
                                      "file": SimpleUploadedFile(name, data)})
    assert page.status_code == 200
    return page


def test_con08_admin_preview_then_import_then_again_unchanged(demo, client):
    login(client, "pdd_admin")
    orders_page = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert reverse(URL) in orders_page and "导入订单导出文件" in orders_page
    form = client.get(reverse(URL)).content.decode()
    assert "订单导出文件" in form and "预览" in form

    page = preview(client, "pdd", pdd_csv())
    html = page.content.decode()
    outcome = page.context["outcome"]
    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.errors) == (3, 0, 0, [])
    assert "将新建订单" in html and "231205-100000000000002" in html and "尚未写入任何数据" in html
    assert not Order.objects.filter(order_no__in=PDD_NOS).exists()  # a preview writes nothing

    done = client.post(reverse(URL), {"step": "import", "token": page.context["token"]})
    assert done.context["step"] == "result" and done.context["outcome"].created == 3
    assert "已新建订单" in done.content.decode()
    assert Order.objects.filter(order_no__in=PDD_NOS, shop__key="pdd").count() == 3
    # The order's operation log says where it came from.
    order = Order.objects.get(order_no=PDD_NOS[1])
    log = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "订单导出文件" in log

    # The same file again: the preview says unchanged, the import changes nothing.
    page = preview(client, "pdd", pdd_csv())
    assert (page.context["outcome"].created, page.context["outcome"].unchanged) == (0, 3)
    done = client.post(reverse(URL), {"step": "import", "token": page.context["token"]})
    assert (done.context["outcome"].created, done.context["outcome"].updated, done.context["outcome"].unchanged) == (
        0, 0, 3)


def test_con08_admin_bad_row_blocks_until_skipped_on_purpose(demo, client):
    rows = pdd_rows()
    rows[2][6] = "abc"  # 商品数量(件)
    login(client, "pdd_admin")
    page = preview(client, "pdd", pdd_csv(rows))
    html = page.content.decode()
    assert [(e.row, e.column) for e in page.context["outcome"].errors] == [(4, "商品数量(件)")]
    assert "错误行" in html and "不是整数" in html and "跳过有错误的行" in html
    token = page.context["token"]

    refused = client.post(reverse(URL), {"step": "import", "token": token})
    assert refused.context["step"] == "preview" and refused.context["must_choose"]
    assert "未导入任何数据" in refused.content.decode()
    assert not Order.objects.filter(order_no__in=PDD_NOS).exists()

    done = client.post(reverse(URL), {"step": "import", "token": token, "skip_bad_rows": "on"})
    assert done.context["step"] == "result"
    assert done.context["outcome"].created == 2 and done.context["outcome"].bad_orders == [PDD_NOS[2]]
    assert not Order.objects.filter(order_no=PDD_NOS[2]).exists()


def test_con08_admin_bad_files_are_messages_not_500(demo, client):
    login(client, "dy_admin")
    for data, name in [(b"", "empty.csv"), (b"\x00" * 50, "nul.csv"), (b"PK\x03\x04junk", "x.xlsx"),
                       (pdd_csv(), "pdd.csv")]:
        page = client.post(reverse(URL), {"step": "preview", "shop": Shop.objects.get(key="dy").pk,
                                          "file": SimpleUploadedFile(name, data)})
        assert page.status_code == 200
        if data:
            assert page.context["outcome"].file_error
            assert "import-file-error" in page.content.decode()
    # An unknown or expired token: back to the upload form, nothing written.
    page = client.post(reverse(URL), {"step": "import", "token": "nope"})
    assert page.status_code == 200 and page.context["expired"]


def test_con08_admin_douyin_xlsx_preview_lists_orders_with_their_rows(demo, client):
    login(client, "ops1")  # platform staff: any shop
    page = preview(client, "dy", douyin_xlsx(), name="抖店.xlsx")
    listing = page.context["listing"]
    assert [(r["order"].order_no, r["rows"], r["new"]) for r in listing] == [
        ("6920000000000000001", "2, 3", True), ("6920000000000000002", "4", True)]


def test_con08_who_may_import(demo, client):
    """A shop's main account for its own shop only; platform staff for any; other roles not at all."""
    for username in ("dy_cs1", "pdd_lead", "pdd_cs1"):
        login(client, username)
        assert client.get(reverse(URL)).status_code == 403
        assert reverse(URL) not in client.get(reverse("admin:orders_order_changelist")).content.decode()
    login(client, "dy_admin")
    page = client.get(reverse(URL))
    assert list(page.context["form"].fields["shop"].queryset.values_list("key", flat=True)) == ["dy"]
    # Another shop's id in the form is refused by the form (not a choice), nothing read or written.
    page = client.post(reverse(URL), {"step": "preview", "shop": Shop.objects.get(key="pdd").pk,
                                      "file": SimpleUploadedFile("p.csv", pdd_csv())})
    assert "shop" in page.context["form"].errors
    assert not Order.objects.filter(order_no__in=PDD_NOS).exists()
    # A token is bound to the user who uploaded: another user cannot import it.
    login(client, "pdd_admin")
    token = preview(client, "pdd", pdd_csv()).context["token"]
    login(client, "ops1")
    assert client.post(reverse(URL), {"step": "import", "token": token}).context["expired"]
    assert not Order.objects.filter(order_no__in=PDD_NOS).exists()
    login(client, "ops1")
    assert set(client.get(reverse(URL)).context["form"].fields["shop"].queryset.values_list("key", flat=True)) >= {
        "dy", "pdd"}


def test_con08_admin_too_large_file_is_a_form_error(demo, client, monkeypatch):
    from platforms.exports_import import views

    monkeypatch.setattr(views, "MAX_BYTES", 100)
    login(client, "pdd_admin")
    page = client.post(reverse(URL), {"step": "preview", "shop": Shop.objects.get(key="pdd").pk,
                                      "file": SimpleUploadedFile("big.csv", pdd_csv())})
    assert page.status_code == 200 and "file" in page.context["form"].errors
    assert not Order.objects.filter(order_no__in=PDD_NOS).exists()
