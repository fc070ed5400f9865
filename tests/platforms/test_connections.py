"""CON-01..07 against the fake open platforms: connect, sync, refresh, throttling, push, resume, sealing."""

import datetime as dt
import io
import json
import time
import urllib.parse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db

from core.clock import SHANGHAI, now
from notifications.models import Notification
from orders.models import Order
from platforms.adapters import PlatformError
from platforms.adapters.douyin import sign as douyin_sign
from platforms.adapters.pinduoduo import sign as pdd_sign
from platforms.models import PlatformConnection
from platforms.selectors import connections_health
from platforms.services import connection_connect, connection_refresh, connection_sync
from platforms.sweeps import platform_sync_sweep, platform_tokens_refresh_sweep
from tests.factories import PinduoduoShopFactory, ShopFactory, UserFactory
from tests.platforms.fake_platforms import DOUYIN_SHOP, PDD_SHOP
from tests.platforms.payloads import douyin_raw, pdd_raw

pytestmark = pytest.mark.django_db(transaction=True)

T0 = int(time.time()) - 6 * 3600  # orders updated six hours ago


def _douyin_orders(fake, n, *, start=T0, shop=DOUYIN_SHOP, **extra):
    for i in range(n):
        fake.add_douyin(shop, douyin_raw(f"69200000000{i:08d}", update_time=start + i * 60, shop_id=int(shop),
                                         **extra))


def _connect(fake, shop, platform="douyin", platform_shop=None):
    code = fake.code_for(platform, platform_shop or (DOUYIN_SHOP if platform == "douyin" else PDD_SHOP))
    return connection_connect(shop=shop, code=code)


def _since():
    return dt.datetime.fromtimestamp(T0 - 600, SHANGHAI)


# --- signing, against the SDKs' documented scheme --------------------------------------------------------------

def test_con03_douyin_sign_matches_the_sdk_scheme():
    """The doudian SDK: HMAC-SHA256(app_secret) over secret + app_key…method…param_json…timestamp…v2 + secret."""
    import hashlib
    import hmac

    pattern = "sapp_keykmethodorder.searchListparam_json{\"a\":1}timestamp2024-12-05 10:00:00v2s"
    assert douyin_sign(app_key="k", app_secret="s", method="order.searchList", param_json='{"a":1}',
                       timestamp="2024-12-05 10:00:00") == hmac.new(b"s", pattern.encode(), hashlib.sha256).hexdigest()
    assert douyin_sign(app_key="k", app_secret="s", method="order.searchList", param_json='{"a":1}',
                       timestamp="2024-12-05 10:00:00", sign_method="md5") == hashlib.md5(pattern.encode()).hexdigest()


def test_con03_pdd_sign_is_upper_md5_of_sorted_pairs():
    import hashlib

    assert pdd_sign({"type": "x", "b": "2", "a": "1"}, "sec") == hashlib.md5(b"seca1b2typexsec").hexdigest().upper()


# --- CON-01 ---------------------------------------------------------------------------------------------------

def test_con01_platform_connect_with_a_code(fake):
    shop = ShopFactory()
    code = fake.code_for("douyin", DOUYIN_SHOP)
    out = io.StringIO()
    call_command("platform_connect", shop.key, "--code", code, stdout=out)
    conn = PlatformConnection.objects.get(shop=shop)
    assert conn.status == "connected" and conn.platform == "douyin" and conn.platform_shop_id == DOUYIN_SHOP
    assert conn.access_expires_at > now() + dt.timedelta(days=6)
    assert conn.tokens()["access_token"] in fake.tokens
    assert "connected to douyin" in out.getvalue()


def test_con01_refused_code_exits_non_zero_and_stores_nothing(fake):
    shop = ShopFactory()
    with pytest.raises(CommandError, match="授权码无效|code"):
        call_command("platform_connect", shop.key, "--code", "not-a-code")
    assert not PlatformConnection.objects.exists()


def test_con01_pinduoduo_connect_and_tokens_never_in_clear(fake):
    """CON-01: tokens sealed at rest — a dump of the database holds no token in clear."""
    shop = PinduoduoShopFactory()
    conn = _connect(fake, shop, "pinduoduo")
    tokens = conn.tokens()
    with db.cursor() as cur:
        cur.execute("SELECT * FROM platforms_platformconnection")
        dump = repr(cur.fetchall())
        cur.execute("SELECT params FROM platforms_connectionevent")
        dump += repr(cur.fetchall())
    assert tokens["access_token"] not in dump and tokens["refresh_token"] not in dump
    assert repr(conn.tokens) and "access_token" not in str(conn)


def test_con01_platform_must_match_profile(fake):
    from core.errors import ApplicationError

    shop = PinduoduoShopFactory()
    with pytest.raises(ApplicationError) as exc:
        connection_connect(shop=shop, code=fake.code_for("douyin", DOUYIN_SHOP), platform="douyin")
    assert exc.value.code == "platform_mismatch"


# --- CON-03 / CON-04 --------------------------------------------------------------------------------------------

def test_con03_sync_then_sync_again_changes_nothing(fake):
    shop = ShopFactory()
    _douyin_orders(fake, 250)
    conn = _connect(fake, shop)
    out = io.StringIO()
    call_command("platform_sync", shop.key, stdout=out)
    assert "created 250" in out.getvalue()
    assert Order.objects.filter(shop=shop).count() == 250
    sizes = [p["size"] for m, p in fake.calls if m == "order.searchList"]
    assert sizes and max(sizes) == 100
    conn.refresh_from_db()
    assert conn.checkpoint is not None and conn.last_sync_at is not None and conn.last_error_code == ""
    r = connection_sync(connection_id=conn.pk, since=_since())
    assert (r.created, r.updated, r.unchanged) == (0, 0, 250)


def test_con03_first_sync_reads_back_30_days(fake, settings):
    shop = ShopFactory()
    fake.add_douyin(DOUYIN_SHOP, douyin_raw("6920000000000000001", update_time=int(time.time()) - 29 * 86400))
    fake.add_douyin(DOUYIN_SHOP, douyin_raw("6920000000000000002", update_time=int(time.time()) - 31 * 86400))
    conn = _connect(fake, shop)
    connection_sync(connection_id=conn.pk)
    assert list(Order.objects.values_list("order_no", flat=True)) == ["6920000000000000001"]


def test_con03_later_platform_update_wins_on_next_sync(fake):
    shop = ShopFactory()
    _douyin_orders(fake, 3)
    conn = _connect(fake, shop)
    connection_sync(connection_id=conn.pk, until=now() - dt.timedelta(minutes=10))
    # the platform ships order 1 two minutes ago
    fake.add_douyin(DOUYIN_SHOP, douyin_raw("6920000000000000001", status=3, update_time=int(time.time()) - 120,
                                            logistics_info=[{"tracking_no": "YT1234567890123", "company": "yuantong"}]))
    r = connection_sync(connection_id=conn.pk)
    assert r.updated == 1
    o = Order.objects.get(order_no="6920000000000000001")
    assert o.status == "shipped" and o.parcels.get().tracking_no == "YT1234567890123"
    assert o.events.filter(type="sync_updated").exists()


def test_con03_pdd_windows_at_most_30_minutes_ending_3_minutes_before_now(fake):
    shop = PinduoduoShopFactory()
    stamp = dt.datetime.fromtimestamp(T0, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    for i in range(120):
        fake.add_pdd(PDD_SHOP, pdd_raw(f"241205-{i:09d}", updated_at=stamp))
    conn = _connect(fake, shop, "pinduoduo")
    r = connection_sync(connection_id=conn.pk, since=_since())
    assert r.created == 120
    calls = [p for m, p in fake.calls if m == "pdd.order.number.list.increment.get"]
    assert all(int(p["end_updated_at"]) - int(p["start_updated_at"]) <= 1800 for p in calls)
    assert max(int(p["end_updated_at"]) for p in calls) <= time.time() - 180
    assert {p["page_size"] for p in calls} == {"100"} and {"1", "2"} <= {p["page"] for p in calls}
    o = Order.objects.get(order_no="241205-000000007")
    assert o.source_app == "pinduoduo" and str(o.paid_amount) == "25.90" and o.group_formed_at is not None


def test_con04_unknown_value_stored_raw_flagged_and_sync_goes_on(fake):
    shop = ShopFactory()
    _douyin_orders(fake, 3)
    fake.add_douyin(DOUYIN_SHOP, douyin_raw("6920000000000099999", status=999, update_time=T0 + 30))
    conn = _connect(fake, shop)
    r = connection_sync(connection_id=conn.pk, since=_since())
    assert r.created == 4 and r.flagged == 1
    assert Order.objects.get(order_no="6920000000000099999").review_flags == {"order_status": 999}


# --- CON-02 ---------------------------------------------------------------------------------------------------

def test_con02_expired_access_token_refreshed_and_call_made_again(fake):
    shop = ShopFactory()
    _douyin_orders(fake, 5)
    conn = _connect(fake, shop)
    old = conn.tokens()["access_token"]
    fake.expire_access_tokens(DOUYIN_SHOP)  # the platform says expired though our clock thinks it is good
    r = connection_sync(connection_id=conn.pk, since=_since())
    assert r.created == 5
    conn.refresh_from_db()
    assert conn.tokens()["access_token"] != old and conn.status == "connected"
    assert conn.events.filter(type="tokens_refreshed").exists()


def test_con02_clock_refreshes_before_expiry(fake, settings):
    shop = PinduoduoShopFactory()
    conn = _connect(fake, shop, "pinduoduo")
    PlatformConnection.objects.filter(pk=conn.pk).update(access_expires_at=now() + dt.timedelta(minutes=20))
    assert platform_tokens_refresh_sweep() == 1
    conn.refresh_from_db()
    assert conn.access_expires_at > now() + dt.timedelta(days=6)


def test_con02_refused_refresh_marks_needs_reauth_and_messages_the_main_account(fake):
    shop = ShopFactory()
    main = UserFactory(shop=shop, role="main")
    conn = _connect(fake, shop)
    fake.refused_shops.add(DOUYIN_SHOP)
    with pytest.raises(PlatformError):
        connection_refresh(connection_id=conn.pk)
    conn.refresh_from_db()
    assert conn.status == "needs_reauth" and conn.last_error_code.startswith("30007")
    message = Notification.objects.get(kind="platform_reauth_needed")
    assert message.recipient_id == main.pk and message.shop_id == shop.pk
    assert "CON-" not in message.body
    # the sync clock leaves it alone; a new authorization brings it back
    assert platform_sync_sweep() == 0
    conn = _connect(fake, shop)
    assert conn.status == "connected" and conn.last_error_code == ""


def test_con03_platform_sync_of_an_unconnected_shop_exits_non_zero(fake):
    shop = ShopFactory()
    with pytest.raises(CommandError, match="not connected"):
        call_command("platform_sync", shop.key)


# --- CON-06 ---------------------------------------------------------------------------------------------------

def test_con06_throttling_backs_off_and_retries(fake):
    shop = ShopFactory()
    _douyin_orders(fake, 10)
    conn = _connect(fake, shop)
    fake.throttle["order.searchList"] = 2
    r = connection_sync(connection_id=conn.pk, since=_since())
    assert r.created == 10 and fake.throttle["order.searchList"] == 0


def test_con06_persistent_throttling_recorded_with_the_platforms_words_and_held_back(fake):
    shop = ShopFactory()
    _douyin_orders(fake, 10)
    conn = _connect(fake, shop)
    fake.throttle["order.searchList"] = 99
    with pytest.raises(PlatformError):
        connection_sync(connection_id=conn.pk, since=_since())
    conn.refresh_from_db()
    assert conn.last_error_code == "50002/isp.flow-limit" and conn.last_error_message == "触发限流，请稍后重试"
    assert conn.retry_after > now() and conn.failures == 1
    assert conn.checkpoint is None and not Order.objects.exists()
    health = connections_health()
    assert health[0]["last_error_code"] == "50002/isp.flow-limit" and health[0]["state"] == "connected"


def test_con06_one_failing_shop_does_not_stop_another(fake):
    bad, good = ShopFactory(), PinduoduoShopFactory()
    _connect(fake, bad)
    stamp = dt.datetime.fromtimestamp(int(time.time()) - 3600, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    fake.add_pdd(PDD_SHOP, pdd_raw("241205-000000001", updated_at=stamp))
    _connect(fake, good, "pinduoduo")
    fake.fail["order.searchList"] = 99  # Douyin answers 500s for the first shop
    platform_sync_sweep()
    assert Order.objects.filter(shop=good).count() == 1
    bad_conn = PlatformConnection.objects.get(shop=bad)
    assert bad_conn.last_error_code == "http_500" and bad_conn.retry_after is not None
    assert PlatformConnection.objects.get(shop=good).last_error_code == ""


# --- CON-03: killed mid-sync ---------------------------------------------------------------------------------------

def test_con03_killed_mid_sync_resumes_with_nothing_lost_or_doubled(fake):
    shop = ShopFactory()
    _douyin_orders(fake, 300, start=T0)  # 5 hours of orders, one a minute: 5 one-hour windows
    conn = _connect(fake, shop)

    class Killed(BaseException):
        pass

    seen = []

    def kill_after_two(lower, upper, stored):
        seen.append(upper)
        if len(seen) == 2:
            raise Killed

    with pytest.raises(Killed):
        connection_sync(connection_id=conn.pk, since=_since(), on_window=kill_after_two)
    conn.refresh_from_db()
    stored_after_kill = Order.objects.filter(shop=shop).count()
    assert 0 < stored_after_kill < 300 and conn.checkpoint == seen[1]
    # the killed worker's lease is gone with it (released in finally; a hard kill lets it run out)
    r = connection_sync(connection_id=conn.pk)
    assert Order.objects.filter(shop=shop).count() == 300
    assert r.created == 300 - stored_after_kill
    assert Order.objects.filter(shop=shop).values("order_no").distinct().count() == 300


def test_con03_hard_killed_worker_resumes_after_its_lease(fake):
    shop = ShopFactory()
    _douyin_orders(fake, 30)
    conn = _connect(fake, shop)
    PlatformConnection.objects.filter(pk=conn.pk).update(lease_until=now() + dt.timedelta(minutes=5))
    assert connection_sync(connection_id=conn.pk, since=_since()).busy  # a run is (or was) going
    PlatformConnection.objects.filter(pk=conn.pk).update(lease_until=now() - dt.timedelta(seconds=1))
    assert connection_sync(connection_id=conn.pk, since=_since()).created == 30


# --- CON-05 ---------------------------------------------------------------------------------------------------

def test_con05_forged_push_refused_and_changes_nothing(fake, client):
    shop = ShopFactory()
    conn = _connect(fake, shop)
    _douyin_orders(fake, 1)
    body = fake.push_body([(101, DOUYIN_SHOP, "6920000000000000000")])
    headers = fake.push_headers(body)
    forged = {**headers, "event-sign": "0" * 32}
    r = client.post("/platforms/douyin/push/", body, content_type="application/json",
                    headers={k: v for k, v in forged.items() if k != "Content-Type"})
    assert r.status_code == 401 and r.json()["code"] == "push_signature_invalid"
    r = client.post("/platforms/douyin/push/", body, content_type="application/json")
    assert r.status_code == 401
    tampered = body.replace(b"101", b"102")
    r = client.post("/platforms/douyin/push/", tampered, content_type="application/json",
                    headers={k: v for k, v in headers.items() if k != "Content-Type"})
    assert r.status_code == 401
    assert not Order.objects.exists() and not fake.calls
    assert conn.pk


@pytest.mark.parametrize("method", ["md5", "hmac-sha256"])
def test_con05_signed_push_brings_its_order_in_duplicates_harmless(fake, client, method):
    shop = ShopFactory()
    _connect(fake, shop)
    fake.add_douyin(DOUYIN_SHOP, douyin_raw("6920000000000000042", status=3, update_time=int(time.time()) - 30))
    body = fake.push_body([(102, DOUYIN_SHOP, "6920000000000000042"), (102, DOUYIN_SHOP, "6920000000000000042")])
    headers = {k: v for k, v in fake.push_headers(body, method).items() if k != "Content-Type"}
    for _ in range(2):  # the same push delivered twice
        r = client.post("/platforms/douyin/push/", body, content_type="application/json", headers=headers)
        assert r.status_code == 200 and r.json() == {"code": 0, "msg": "success"}
    o = Order.objects.get(order_no="6920000000000000042")
    assert o.status == "shipped" and o.events.count() == 1
    assert [m for m, _ in fake.calls].count("order.orderDetail") == 2  # re-read, once per delivery


def test_con05_push_out_of_order_is_harmless(fake, client):
    """The push re-reads the order, so an old message after a newer state changes nothing."""
    shop = ShopFactory()
    _connect(fake, shop)
    fake.add_douyin(DOUYIN_SHOP, douyin_raw("6920000000000000043", status=5, update_time=int(time.time()) - 30))
    for tag in (102, 101):  # shipped message arrives, then an older "paid" one
        body = fake.push_body([(tag, DOUYIN_SHOP, "6920000000000000043")])
        headers = {k: v for k, v in fake.push_headers(body).items() if k != "Content-Type"}
        assert client.post("/platforms/douyin/push/", body, content_type="application/json",
                           headers=headers).status_code == 200
    assert Order.objects.get(order_no="6920000000000000043").status == "completed"


def test_con05_signed_but_malformed_push_is_a_400(fake, client):
    body = b'{"not": "a list"}'
    headers = {k: v for k, v in fake.push_headers(body).items() if k != "Content-Type"}
    r = client.post("/platforms/douyin/push/", body, content_type="application/json", headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "push_body_invalid"


# --- CON-07 ---------------------------------------------------------------------------------------------------

def test_con07_nothing_personal_stored_or_logged(fake, caplog):
    shop = ShopFactory()
    fake.throttle["order.searchList"] = 1
    _douyin_orders(fake, 3)
    conn = _connect(fake, shop)
    with caplog.at_level("DEBUG"):
        connection_sync(connection_id=conn.pk, since=_since())
    text = caplog.text + json.dumps(list(Order.objects.values_list("review_flags", flat=True)))
    assert "张**" not in text and "#enc#" not in text and "buyerOpenId" not in text
    assert conn.tokens()["access_token"] not in caplog.text
    buyer = Order.objects.first().buyer
    assert buyer.username.startswith("dy_") and "buyerOpenId" not in buyer.username


# --- payouts on a synced order (the product works on platform orders) ------------------------------------------

def test_con04_payout_created_through_the_api_on_a_synced_order(fake, api):
    from decimal import Decimal

    from payouts.models import Payout

    shop = ShopFactory(funds=("500.00", "0", "1000.00"))
    UserFactory(shop=shop, role="main", token="tok-con-main")
    fake.add_douyin(DOUYIN_SHOP, douyin_raw("6920000000000000077", status=3, update_time=T0, pay_amount=9900,
                                            logistics_info=[{"tracking_no": "YT1234567890777",
                                                             "company": "yuantong"}]))
    conn = _connect(fake, shop)
    connection_sync(connection_id=conn.pk, since=_since())
    client = api("tok-con-main")
    r = client.post("/api/v1/payouts/", {"order_no": "6920000000000000077", "amount": "5.00", "type": "shipping_fee",
                                         "reason": "运费", "buyer_message": "补您运费"}, format="json",
                    headers={"Idempotency-Key": "con-sync-payout-1"})
    assert r.status_code == 201, r.content
    assert Payout.objects.get().amount == Decimal("5.00")


def test_con03_sigkilled_sync_process_resumes_with_nothing_lost_or_doubled(fake, settings):
    """A real worker process killed (SIGKILL) halfway through a sync: the windows it stored stay, the next run
    (once the dead run's lease has run out) resumes at the checkpoint, and every order is there once."""
    import os
    import signal
    import subprocess
    import sys

    shop = ShopFactory()
    _douyin_orders(fake, 300, start=T0)  # 5 one-hour windows
    conn = _connect(fake, shop)
    fake.delay = 0.3
    db_settings = db.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": f"postgres://{db_settings['USER']}@{db_settings['HOST']}:{db_settings['PORT'] or 5432}/"
                           f"{db_settings['NAME']}",
           "PAYMENT_RAIL_KEYS": settings.PAYMENT_RAIL_KEYS[0], "DOUYIN_APP_KEY": settings.DOUYIN_APP_KEY,
           "DOUYIN_APP_SECRET": settings.DOUYIN_APP_SECRET, "DOUYIN_OPEN_URL": settings.DOUYIN_OPEN_URL}
    since = _since().isoformat()
    worker = subprocess.Popen([sys.executable, "manage.py", "platform_sync", shop.key, "--since", since], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            conn.refresh_from_db()
            if conn.checkpoint is not None:
                break
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=10)
    conn.refresh_from_db()
    stored = Order.objects.filter(shop=shop).count()
    assert conn.checkpoint is not None and 0 < stored < 300, stored
    assert conn.lease_until is not None  # the dead run never released it
    assert connection_sync(connection_id=conn.pk).busy  # nobody syncs the shop twice at once
    PlatformConnection.objects.filter(pk=conn.pk).update(lease_until=now() - dt.timedelta(seconds=1))
    fake.delay = 0
    r = connection_sync(connection_id=conn.pk)
    assert Order.objects.filter(shop=shop).count() == 300 and r.created == 300 - stored


# --- the authorization round trip (views) ------------------------------------------------------------------------

def test_con01_authorize_round_trip_and_refusals(fake, client):
    from django.core import signing

    from tests.factories import SubAccountFactory

    shop = ShopFactory()
    main = UserFactory(shop=shop, role="main")
    client.force_login(main)
    r = client.get(f"/platforms/pinduoduo/authorize/?shop={shop.key}")
    assert r.status_code == 400 and r.json()["code"] == "platform_mismatch"  # a Douyin shop
    r = client.get(f"/platforms/douyin/authorize/?shop={shop.key}")
    assert r.status_code == 302 and r["Location"].startswith(fake.url + "/douyin/authorize?")
    # the platform's page (the fake's) approves and answers with its redirect back to us
    back = fake._authorize("douyin", dict(urllib.parse.parse_qsl(r["Location"].split("?", 1)[1])))[1][0][1]
    path = back.split("testserver", 1)[-1]
    assert path.startswith("/platforms/douyin/authorized/?code=")
    r = client.get(path.replace("state=", "state=x"))  # a tampered state
    assert r.status_code == 400 and r.json()["code"] == "authorization_state_invalid"
    assert not PlatformConnection.objects.exists()
    r = client.get(path)
    assert r.status_code == 302 and PlatformConnection.objects.get().status == "connected"
    # another shop's people may not start it; a state made for someone else is refused
    other = ShopFactory()
    r = client.get(f"/platforms/douyin/authorize/?shop={other.key}")
    assert r.status_code == 403
    sub = SubAccountFactory(shop=shop)
    client.force_login(sub)
    assert client.get(f"/platforms/douyin/authorize/?shop={shop.key}").status_code == 403
    state = signing.dumps({"shop": shop.key, "platform": "douyin", "user": main.pk}, salt="platforms.authorize")
    r = client.get(f"/platforms/douyin/authorized/?code=x&state={state}")
    assert r.status_code == 400


def test_con01_disconnect_forgets_the_tokens_and_the_sync_stops(fake):
    from platforms.services import connection_disconnect

    shop = ShopFactory()
    conn = _connect(fake, shop)
    connection_disconnect(connection_id=conn.pk)
    conn.refresh_from_db()
    assert conn.status == "disconnected" and conn.sealed == "" and conn.access_expires_at is None
    with pytest.raises(CommandError, match="not connected"):
        call_command("platform_sync", shop.key)
