"""Sign-in lockout (SEC-01), hashed API tokens (SEC-02), throttled failed API authentication (SEC-03)."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import ApiToken, User
from accounts.services import api_token_create, api_token_revoke
from core.clock import now


def _sign_in(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})


def test_sec01_five_failures_lock_the_username_even_for_the_right_password(demo, client):
    """SEC-01: 5 failed sign-ins for one username from one address within 15 minutes lock it there for 15
    minutes, with a Chinese message; the right password is refused while locked."""
    for _ in range(4):
        assert _sign_in(client, "dy_admin", "wrong").status_code == 200
    assert _sign_in(client, "dy_admin", "wrong").status_code == 403  # the 5th failure locks
    response = _sign_in(client, "dy_admin", "demo1234")
    assert response.status_code == 403
    assert "锁定" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # not signed in
    # Another username is not locked, from the same address.
    assert _sign_in(client, "dy_cs1", "demo1234").status_code == 302


def test_sec01_failures_from_another_address_never_lock_the_owner_out_at_theirs(demo, client, settings):
    """SEC-01 (issue 22 item 4): the lock is per username AND address — an attacker's 5 wrong passwords from
    elsewhere lock the username there only; the owner at their own address still signs in. Behind a trusted
    proxy the address is the one the proxy reports, not one the client wrote."""
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "dy_admin", "password": "wrong", "next": "/admin/"},
                    REMOTE_ADDR="203.0.113.66")
    attacker = client.post(reverse("admin:login"), {"username": "dy_admin", "password": "demo1234", "next": "/admin/"},
                           REMOTE_ADDR="203.0.113.66")
    assert attacker.status_code == 403
    owner = client.post(reverse("admin:login"), {"username": "dy_admin", "password": "demo1234", "next": "/admin/"},
                        REMOTE_ADDR="198.51.100.20")
    assert owner.status_code == 302
    client.logout()
    settings.TRUSTED_PROXY_COUNT = 1
    for i in range(5):  # forged entries left of the proxy's do not spread the attempts
        client.post(reverse("admin:login"), {"username": "dy_cs1", "password": "wrong", "next": "/admin/"},
                    REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, 203.0.113.77")
    locked = client.post(reverse("admin:login"), {"username": "dy_cs1", "password": "demo1234", "next": "/admin/"},
                         REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.0.0.99, 203.0.113.77")
    assert locked.status_code == 403
    elsewhere = client.post(reverse("admin:login"), {"username": "dy_cs1", "password": "demo1234", "next": "/admin/"},
                            REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.21")
    assert elsewhere.status_code == 302


def test_sec01_the_lock_ends_after_15_minutes_and_a_success_resets(demo, client, time_machine):
    """SEC-01: after 15 minutes the right password works; a success resets the count."""
    time_machine.move_to(now())
    for _ in range(5):
        _sign_in(client, "pdd_admin", "wrong")
    assert _sign_in(client, "pdd_admin", "demo1234").status_code == 403
    time_machine.shift(dt.timedelta(minutes=16))
    assert _sign_in(client, "pdd_admin", "demo1234").status_code == 302
    client.logout()
    for _ in range(4):
        _sign_in(client, "pdd_admin", "wrong")
    assert _sign_in(client, "pdd_admin", "demo1234").status_code == 302  # 4 failures: not locked


def test_sec01_platform_staff_see_and_clear_lockouts(demo, client):
    """SEC-01: platform staff see the lockouts in the admin and clear one; the user can sign in again."""
    from axes.models import AccessAttempt

    for _ in range(5):
        _sign_in(client, "dy_cs2", "wrong")
    assert _sign_in(client, "dy_cs2", "demo1234").status_code == 403
    client.force_login(User.objects.get(username="ops1"))
    page = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200 and "dy_cs2" in page.content.decode()
    attempt = AccessAttempt.objects.get(username="dy_cs2")
    response = client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    client.logout()
    assert _sign_in(client, "dy_cs2", "demo1234").status_code == 302


def test_sec01_shop_people_do_not_see_lockouts(demo, client):
    client.force_login(User.objects.get(username="dy_admin"))
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


def _text_columns():
    with connection.cursor() as cursor:
        cursor.execute("""SELECT table_name, column_name FROM information_schema.columns
                          WHERE table_schema = 'public'
                            AND data_type IN ('text', 'character varying', 'jsonb', 'json')""")
        return cursor.fetchall()


def test_sec02_no_token_is_stored_in_clear(demo, api):
    """SEC-02: after loading the demo, no text column of the database holds a known token; the token works."""
    assert api("tok-dy_admin").get("/api/v1/shop/balance/").status_code == 200
    found = []
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE "{column}"::text LIKE %s LIMIT 1', ["%tok-dy_admin%"])
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    assert found == []


def test_sec02_a_new_token_works_once_shown_and_can_be_revoked_or_expire(demo, api):
    """SEC-02: a new key is returned once (only its digest and prefix are kept); revoked or expired keys fail;
    the last use is recorded."""
    user = User.objects.get(username="dy_cs1")
    token, key = api_token_create(user=user, name="飞鸽侧边栏")
    assert key not in (token.digest, token.prefix) and key.startswith(token.prefix)
    assert api(key).get("/api/v1/shop/balance/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    api_token_revoke(token=token, actor=User.objects.get(username="dy_admin"))
    assert api(key).get("/api/v1/shop/balance/").status_code == 401
    expiring, key2 = api_token_create(user=user, expires_at=now() - dt.timedelta(seconds=1))
    assert api(key2).get("/api/v1/shop/balance/").status_code == 401


def test_sec02_a_sub_account_cannot_revoke_another_persons_token(demo):
    from core.errors import ApplicationError

    token, _key = api_token_create(user=User.objects.get(username="dy_admin"))
    with pytest.raises(ApplicationError):
        api_token_revoke(token=token, actor=User.objects.get(username="dy_cs1"))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_sec02_token_page_shows_own_tokens_and_makes_one_shown_once(demo, client):
    """SEC-02: the 「API 令牌」 page: a user makes a named token, sees its key once, then only its prefix."""
    user = User.objects.get(username="dy_cs1")
    client.force_login(user)
    response = client.post(reverse("admin:accounts_apitoken_add"), {"name": "侧边栏"}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(user=user, name="侧边栏")
    assert token.channel == "chat_tool"  # PAY-E10: the default channel
    client.post(reverse("admin:accounts_apitoken_add"), {"name": "手机", "channel": "merchant_app"})
    assert ApiToken.objects.get(user=user, name="手机").channel == "merchant_app"
    shown = [str(m) for m in response.context["messages"]]
    assert any(token.prefix in m for m in shown)
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert "侧边栏" in listing
    assert "tok-dy_admin"[:8] not in listing or "dy_admin" not in listing  # not another person's tokens
    others = client.get(reverse("admin:accounts_apitoken_changelist")).context["cl"].result_list
    assert {t.user_id for t in others} == {user.pk}


def test_sec03_failed_api_authentication_is_throttled_per_address(demo, api, settings):
    """SEC-03: after 20 failed authentications a minute from one address, 429 throttled for the failures —
    but a valid token from that same address still answers (issue 22 item 3: no lock-out of valid tokens)."""
    from django.core.cache import cache

    cache.clear()
    client = api("tok-wrong")
    codes = [client.get("/api/v1/shop/balance/").status_code for _ in range(25)]
    assert set(codes[:20]) == {401} and set(codes[20:]) == {429}
    response = client.get("/api/v1/shop/balance/")
    assert response.status_code == 429 and response.json()["code"] == "throttled"
    assert api("tok-dy_admin").get("/api/v1/shop/balance/").status_code == 200
    assert api("tok-pdd_admin").get("/api/v1/shop/balance/").status_code == 200
    # Another address is not slowed by this one's failures.
    assert api("tok-wrong").get("/api/v1/shop/balance/", REMOTE_ADDR="10.9.9.9").status_code == 401
    cache.clear()


def test_sec03_a_forwarded_for_header_written_by_the_client_does_not_escape_the_throttle(demo, api, settings):
    """SEC-03 (issue 22 item 3): without trusted proxies, a different X-Forwarded-For per request still counts
    against the socket's address; with one trusted proxy only the entry it appended counts."""
    from django.core.cache import cache

    cache.clear()
    settings.TRUSTED_PROXY_COUNT = 0
    client = api("tok-wrong")
    codes = [client.get("/api/v1/shop/balance/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(21)]
    assert codes[-1] == 429
    cache.clear()
    settings.TRUSTED_PROXY_COUNT = 1
    # Behind one proxy (REMOTE_ADDR is the proxy): the client prepends forged entries, the proxy appends the real one.
    codes = [client.get("/api/v1/shop/balance/", REMOTE_ADDR="192.0.2.1",
                        HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, 198.51.100.7").status_code for i in range(21)]
    assert codes[-1] == 429
    # Another real client behind the same proxy is not slowed.
    assert client.get("/api/v1/shop/balance/", REMOTE_ADDR="192.0.2.1",
                      HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 401
    cache.clear()


def test_sec03_client_address_follows_the_trusted_proxy_count(settings):
    """SEC-03: core.net.client_address — the socket's address without proxies; the N-th entry from the right
    with N; the socket's when the header is too short or not an address."""
    from core.net import client_address

    meta = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7, 203.0.113.9"}
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(meta) == "192.0.2.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(meta) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(meta) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 4
    assert client_address(meta) == "192.0.2.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address({"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "not-an-ip"}) == "192.0.2.1"
    assert client_address({"REMOTE_ADDR": "192.0.2.1"}) == "192.0.2.1"


@pytest.mark.django_db(transaction=True)
def test_sec02_migration_turns_clear_text_tokens_into_digests_and_drops_the_table():
    """SEC-02: the migration keeps each DRF authtoken key as a digest (the key still works) and drops the
    clear-text table."""
    import importlib

    from django.apps import apps

    from accounts.tokens import token_digest

    migration = importlib.import_module("accounts.migrations.0004_api_tokens")
    user = User.objects.create_user("legacy", password="x", role="platform")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL,"
                       " user_id bigint NOT NULL)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", ["legacy-clear-text-key", user.pk])
    with connection.schema_editor() as editor:
        migration.tokens_to_digests(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=user)
    assert token.prefix == "legacy-c"
    # 0006 re-keys the plain SHA-256 digest with the pepper: the key still works (DRF keys: 40 characters,
    # so the prefix stays).
    with connection.schema_editor() as editor:
        importlib.import_module("accounts.migrations.0006_token_digests_keyed").rekey(apps, editor)
    token.refresh_from_db()
    assert token.digest == token_digest("legacy-clear-text-key") and token.prefix == "legacy-c"


def test_sec02_digest_is_keyed_with_the_pepper_and_the_prefix_never_holds_the_whole_key(demo, api, settings):
    """SEC-02 (issue 22 item 5): the stored digest is HMAC-SHA256 under TOKEN_PEPPER — neither the plain
    SHA-256 of the key nor anything a dump alone can check a guess against — and a short key's prefix is a
    quarter of it at most."""
    import hashlib

    from accounts.tokens import token_digest

    user = User.objects.get(username="dy_cs1")
    token, key = api_token_create(user=user, key="short-key")
    assert token.digest != hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == "sh" and len(token.prefix) < len(key)
    tiny, _ = api_token_create(user=user, key="abc")
    assert tiny.prefix == ""
    generated, long_key = api_token_create(user=user)
    assert generated.prefix == long_key[:8]
    assert api(key).get("/api/v1/shop/balance/").status_code == 200
    # Another pepper, another digest: the same key no longer matches.
    settings.TOKEN_PEPPER = "another-pepper"
    assert token_digest(key) != token.digest
    assert api(key).get("/api/v1/shop/balance/").status_code == 401


def test_sec02_the_loader_refuses_short_tokens_outside_demo_and_tests(db, settings):
    """SEC-02 (issue 22 item 5): `load_scenario` refuses a token under 20 characters unless
    TOKEN_SHORT_KEYS_ALLOWED (the demo's and the tests' settings); nothing is written."""
    from orders.scenario import ScenarioError, load_scenario

    def scenario(token):
        return {"shops": [{"key": "t1", "name": "令牌店", "profile": "douyin",
                           "users": [{"username": "t1_admin", "role": "main", "password": "pw", "token": token}]}]}

    settings.TOKEN_SHORT_KEYS_ALLOWED = False
    with pytest.raises(ScenarioError) as refused:
        load_scenario(scenario("tok-t1-admin"))
    assert any("at least 20 characters" in line for line in refused.value.errors)
    assert not User.objects.filter(username="t1_admin").exists()
    load_scenario(scenario("tok-t1-admin-" + "x" * 20))
    assert ApiToken.objects.filter(user__username="t1_admin").count() == 1
    settings.TOKEN_SHORT_KEYS_ALLOWED = True
    load_scenario(scenario("tok-t1-admin"))
