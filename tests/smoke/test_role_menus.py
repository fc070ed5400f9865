"""Roles see their own pages only (issue 11): an outlet user sees contracts to review, their interceptions and
returns, nothing of the platform's configuration; shop people never see configuration pages they cannot use."""

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

PLATFORM_CONFIGURATION = ["admin:accounts_platformprofile_changelist", "admin:accounts_calendarday_changelist",
                          "admin:orders_category_changelist"]


def menu(client, username: str) -> str:
    client.force_login(User.objects.get(username=username))
    return client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize("username", ["yto_hz_01_user", "dy_admin", "dy_cs1", "pdd_lead"])
def test_platform_configuration_is_neither_listed_nor_opened_by_shops_and_outlets(demo, client, username):
    html = menu(client, username)
    for name in PLATFORM_CONFIGURATION:
        assert reverse(name) not in html, name
        assert client.get(reverse(name)).status_code == 403, name


def test_outlet_user_sees_contracts_interceptions_and_returns_only(demo, client):
    html = menu(client, "yto_hz_01_user")
    for name in ("admin:logistics_interceptioncontract_changelist", "admin:logistics_interception_changelist",
                 "admin:orders_parcel_changelist"):
        assert reverse(name) in html, name
    for name in ("admin:orders_outlet_changelist", "admin:orders_order_changelist", "admin:aftersales_ticket_changelist",
                 "admin:logistics_autointerceptrule_changelist"):
        assert reverse(name) not in html, name


def test_platform_staff_keep_their_configuration_pages(demo, client):
    html = menu(client, "ops1")
    for name in PLATFORM_CONFIGURATION:
        assert reverse(name) in html, name


def test_a_forbidden_page_answers_in_chinese(demo, client):
    client.force_login(User.objects.get(username="yto_hz_01_user"))
    response = client.get(reverse("admin:orders_order_changelist"))
    assert response.status_code == 403 and "您无权打开此页面" in response.content.decode()
