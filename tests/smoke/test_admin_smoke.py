"""Smoke pass, also run on the embedded default (SQLite, `bin/test`'s second pass): every admin page that
every demo role can reach opens without a server error, and the order search works (SPEC §9)."""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from accounts.models import User

pytestmark = [pytest.mark.smoke, pytest.mark.django_db]

HREF = re.compile(r'href="(/admin/[^"#]*)"')
# Links that change something on a GET or end the session; the rest is read-only and is opened.
SKIP = re.compile(r"/logout/|/delete/|/password/|export|download|\.json$")
MAX_PAGES = 150


def demo_users(data) -> list[str]:
    names = [u["username"] for shop in data["shops"] for u in shop.get("users", [])]
    names += [u["username"] for u in data.get("platform_staff", [])]
    names += [u["username"] if isinstance(u, dict) else u for o in data.get("outlets", []) for u in o.get("users", [])]
    return names


def crawl(client, start="/admin/"):
    """Breadth first over the admin links of each page; per path, one query string (a filter) at most."""
    todo, seen, paths_with_query, opened = [start], set(), set(), []
    while todo and len(opened) < MAX_PAGES:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        opened.append((url, response.status_code))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            href = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(href)
            if SKIP.search(parts.path) or href in seen:
                continue
            if parts.query:
                if parts.path in paths_with_query:
                    continue
                paths_with_query.add(parts.path)
            todo.append(href)
    return opened


def test_every_admin_page_of_every_demo_role_opens_without_a_server_error(demo, client):
    """And no page links a role to a page it may not open (issue 11: roles see their own pages only)."""
    names = [n for n in demo_users(demo) if User.objects.filter(username=n, is_active=True).exists()]
    assert len(names) >= 8, names
    failures = []
    for name in names:
        client.force_login(User.objects.get(username=name))
        opened = crawl(client)
        assert len(opened) > 1, name
        failures += [(name, url, status) for url, status in opened if status >= 500 or status == 403]
        client.logout()
    assert failures == []


@pytest.mark.parametrize("term", ["DY1001", "DY-NOT-THERE", "P-1001"])
def test_order_search_answers_on_every_database(demo, client, term):
    client.force_login(User.objects.get(username="dy_admin"))
    response = client.get("/admin/orders/order/", {"q": term})
    assert response.status_code == 200
    if term == "DY1001":
        assert [o.order_no for o in response.context["cl"].result_list] == ["DY1001"]
