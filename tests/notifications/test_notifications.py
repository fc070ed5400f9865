"""One table for every message (issue 9): the service, the texts, the admin and the copy of the old tables."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from aftersales.models import Ticket, TicketType
from notifications import texts
from notifications.models import Channel, Notification
from notifications.selectors import notification_list_about
from notifications.services import notification_send
from orders.models import Order
from payouts.models import Payout


def a_payout(order: Order) -> Payout:
    at = timezone.now()
    return Payout.objects.create(
        shop_id=order.shop_id, order=order, type="other", amount=Decimal("5.00"), status="failed", reason="r",
        buyer_message="m", applicant=User.objects.get(username="dy_cs2"), day=at.date(), created_at=at, close_at=at)


def a_ticket(order: Order) -> Ticket:
    at = timezone.now()
    return Ticket.objects.create(order=order, shop=order.shop, buyer=order.buyer, type=TicketType.RESHIP,
                                 reason="other", created_at=at, updated_at=at)


@pytest.mark.django_db
def test_pay_s04_a_message_is_sent_in_the_products_language_on_each_channel(demo):
    """PAY-S04: the buyer reads Chinese even when an operator working in English triggered the message."""
    order = Order.objects.get(order_no="DY1001")
    payout = a_payout(order)
    with translation.override("en"):
        sent = notification_send(text=texts.PAYOUT_SUCCEEDED, channels=(Channel.APP, Channel.WECHAT),
                                 shop_id=order.shop_id, recipient_id=order.buyer_id, order_id=order.pk, about=payout,
                                 shop="抖音旗舰店", amount=payout.amount, order_no=order.order_no, message="抱歉",
                                 arrival=texts.ARRIVAL_DOUYIN_WALLET)
    assert [n.channel for n in sent] == ["app", "wechat"]
    rows = list(notification_list_about(about=payout))
    assert len(rows) == 2 and {n.kind for n in rows} == {"payout_succeeded"}
    assert rows[0].title == "商家补偿转账通知"
    assert rows[0].body == ("商家「抖音旗舰店」向您转账补偿 5.00 元,订单 DY1001。钱款已到您的抖音钱包,查看路径:【抖音】-【我】-"
                            "【右上角】-【钱包】-【我的零钱】。留言:抱歉")
    assert rows[0].about == payout and rows[0].recipient_id == order.buyer_id and rows[0].read_at is None


def test_every_text_has_a_chinese_title_and_body():
    """SPEC §9: every message text is translated; its placeholders survive the translation."""
    found = [t for t in vars(texts).values() if isinstance(t, texts.Text)]
    assert len(found) == 12  # 7 to buyers and shops, 5 station messages to shop people (SPEC §10)
    params = {k: "X" for k in ("shop", "amount", "order_no", "message", "reason", "days", "coupon", "requester", "at",
                                "arrival")}
    for text in found:
        with translation.override("en"):
            english = (str(text.title), str(text.body) % params)
        title, body = text.render(**params)
        assert title != english[0] and body != english[1] and "%(" not in body, text.kind


@pytest.mark.django_db
def test_the_admin_lists_messages_of_the_users_shop_with_what_they_are_about(demo, client):
    """SPEC §1: shop people see their shop's messages; the page links to what the message is about."""
    dy, pdd = Order.objects.get(order_no="DY1001"), Order.objects.get(order_no="PDD2001")
    ticket = a_ticket(dy)
    notification_send(text=texts.RESHIP_COUPON, channels=(Channel.STATION, Channel.PUSH), shop_id=dy.shop_id,
                      recipient_id=dy.buyer_id, order_id=dy.pk, about=ticket, coupon=Decimal("3.00"))
    notification_send(text=texts.RESHIP_COUPON, channels=(Channel.STATION,), shop_id=pdd.shop_id,
                      recipient_id=pdd.buyer_id, order_id=pdd.pk, coupon=Decimal("3.00"))
    client.force_login(User.objects.get(username="dy_admin"))
    page = client.get(reverse("admin:notifications_notification_changelist"))
    assert page.status_code == 200 and page.context["cl"].result_count == 2
    mine = Notification.objects.filter(shop_id=dy.shop_id).first()
    detail = client.get(reverse("admin:notifications_notification_change", args=[mine.pk])).content.decode()
    assert reverse("admin:aftersales_ticket_change", args=[ticket.pk]) in detail and "补寄超时赔付" in detail
    other = Notification.objects.get(shop_id=pdd.shop_id)
    assert client.get(reverse("admin:notifications_notification_change", args=[other.pk])).status_code == 404


BEFORE = [("notifications", None), ("payouts", "0001_initial"), ("aftersales", "0005_fewer_ticket_indexes")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.fixture
def real_migrations(settings):
    """The suite builds test databases from the models (--nomigrations); this test walks the real migrations.
    The schema is the latest migrations' state (tests/core/test_migrations.py checks no migration is missing),
    so every migration is recorded as applied before walking back."""
    settings.MIGRATION_MODULES = {}
    executor = MigrationExecutor(connection)
    executor.recorder.ensure_schema()
    applied = executor.recorder.applied_migrations()
    for app_label, name in executor.loader.graph.nodes:
        if (app_label, name) not in applied:
            executor.recorder.record_applied(app_label, name)


@pytest.mark.django_db(transaction=True)
def test_the_old_message_tables_are_copied_into_the_one_table_and_back(demo, real_migrations):
    """Issue 9: payouts.Notification and aftersales.BuyerNotification rows move to notifications.Notification
    (with what they are about), and a rollback puts them back."""
    dy, pdd = Order.objects.get(order_no="DY1001"), Order.objects.get(order_no="PDD2001")
    payout, ticket = a_payout(dy), a_ticket(pdd)
    notification_send(text=texts.CARD_CONFIRMED, channels=(Channel.CHAT,), shop_id=dy.shop_id,
                      recipient_id=dy.buyer_id, order_id=dy.pk, about=payout)
    at = timezone.now()
    try:
        old = migrate(BEFORE)
        OldPayoutNotification = old.get_model("payouts", "Notification")
        OldBuyerNotification = old.get_model("aftersales", "BuyerNotification")
        # Backwards: the row sent above went back to the payouts table.
        assert list(OldPayoutNotification.objects.values_list("payout_id", "channel", "kind")) == [
            (payout.pk, "chat", "card_confirmed")]
        OldPayoutNotification.objects.create(shop_id=dy.shop_id, recipient_id=None, payout_id=payout.pk,
                                             channel="station", kind="payout_failed", title="小额打款失败", body="b",
                                             created_at=at)
        OldBuyerNotification.objects.create(buyer_id=pdd.buyer_id, order_id=pdd.pk, ticket_id=ticket.pk,
                                            channel="push", kind="reship_coupon", title="补寄超时赔付", body="c",
                                            created_at=at)
        OldBuyerNotification.objects.create(buyer_id=dy.buyer_id, order_id=dy.pk, ticket_id=None,
                                            channel="station", kind="entry_opened", title="售后入口已打开", body="d",
                                            created_at=at)
    finally:
        executor = MigrationExecutor(connection)
        migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    rows = {(n.kind, n.channel): n for n in Notification.objects.all()}
    assert set(rows) == {("card_confirmed", "chat"), ("payout_failed", "station"), ("reship_coupon", "push"),
                         ("entry_opened", "station")}
    station = rows["payout_failed", "station"]
    assert (station.shop_id, station.recipient_id, station.order_id, station.about, station.title, station.created_at) \
        == (dy.shop_id, None, dy.pk, payout, "小额打款失败", at)
    coupon = rows["reship_coupon", "push"]
    assert (coupon.shop_id, coupon.recipient_id, coupon.order_id, coupon.about, coupon.body) == (
        pdd.shop_id, pdd.buyer_id, pdd.pk, ticket, "c")
    entry = rows["entry_opened", "station"]
    assert (entry.shop_id, entry.recipient_id, entry.order_id, entry.about_type_id) == (dy.shop_id, dy.buyer_id, dy.pk,
                                                                                      None)


def test_notifications_imports_no_feature_app():
    """Issue 9: core ← accounts ← orders ← notifications ← {payouts, aftersales, logistics}."""
    import ast
    import pathlib

    import notifications

    imported = set()
    for path in pathlib.Path(notifications.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    assert imported & {"payouts", "aftersales", "logistics"} == set()
