"""Writes docs/chat-tools-examples.md: every call of docs/chat-tools.md, made for real against the demo.

    .venv/bin/python docs/chat_tools_examples.py

Drops and recreates its own database `backoffice_docs_chat` (BENCH_PG_URL overrides the server), migrates
it, loads the demo scenario, gives DY1027 a little history through the services, then makes the calls a
chat sidebar makes, in order, through Django's whole handler with the demo tokens, and writes each request
and the answer the product gave. Long lists in answers are cut to their first item (marked "…").
"""

import json
import os
import pathlib
import sys
from decimal import Decimal

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB = "backoffice_docs_chat"
SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
OUT = ROOT / "docs" / "chat-tools-examples.md"


def _cut(value, depth=0):
    """Lists of more than one item keep the first and say how many were left out."""
    if isinstance(value, list):
        items = [_cut(v, depth + 1) for v in value[:1]]
        return items + ([f"… {len(value) - 1} more"] if len(value) > 1 else [])
    if isinstance(value, dict):
        return {k: _cut(v, depth + 1) for k, v in value.items()}
    return value


def main() -> int:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": f"{SERVER}/{DB}",
        "CACHE_URL": "locmemcache://", "CELERY_BROKER_URL": "memory://",
    })
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    from aftersales.services import ticket_create
    from orders.models import Order
    from orders.scenario import load_scenario
    from tests.chattools.history import build_history

    setup_test_environment()
    call_command("migrate", verbosity=0)
    load_scenario(json.loads((ROOT / "demo" / "scenario.json").read_text(encoding="utf-8")))
    build_history("DY1027", payouts=2, tickets=2, interceptions=1, leave_open=False)
    order = Order.objects.select_related("buyer").get(order_no="DY1027")
    ticket = ticket_create(order=order, buyer=order.buyer, type="refund_only", reason="不想要了", amount=Decimal("10.00"))

    sections = []

    def call(title: str, token: str, method: str, path: str, body: dict | None = None, note: str = "") -> dict:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        headers = {"HTTP_IDEMPOTENCY_KEY": f"docs-{len(sections)}"} if method == "POST" else {}
        response = getattr(client, method.lower())(f"/api/v1/{path}", body, format="json", **headers)
        answer = response.json()
        request = f"{method} /api/v1/{path}\nAuthorization: Token {token}"
        if method == "POST":
            request += f"\nIdempotency-Key: docs-{len(sections)}\n\n" + json.dumps(body, ensure_ascii=False, indent=2)
        sections.append(f"## {title}\n\n{note}\n\n```http\n{request}\n```\n\n→ {response.status_code}\n\n```json\n"
                        + json.dumps(_cut(answer), ensure_ascii=False, indent=2) + "\n```\n")
        return answer

    call("1. Search by the buyer the chat is with", "tok-dy_admin", "GET", "orders/?q=buyer_ok2",
         note="`q` takes a buyer's username, an order number or its prefix, a product ID or a tracking number.")
    call("2. Search by an order number prefix", "tok-dy_admin", "GET", "orders/?q=DY102&status=shipped")
    call("3. The order's context", "tok-dy_admin", "GET", "orders/DY1027/context/",
         note="One call: the order, the payout panel, payouts, tickets, interceptions, the entry state and "
              "`actions`.")
    call("4. The tickets of the order", "tok-dy_admin", "GET", "tickets/?order_no=DY1027")
    call("5. Pay (offered because `actions.payout.allowed`)", "tok-dy_admin", "POST", "payouts/",
         {"order_no": "DY1022", "type": "shipping_fee", "amount": "6.00", "reason": "运费补偿",
          "buyer_message": "亲,已为您补偿运费"})
    call("6. A sub-account's context: paying refused, a request allowed", "tok-dy_cs2", "GET",
         "orders/DY1001/context/")
    call("7. Send a request instead (PAY-A01)", "tok-dy_cs2", "POST", "payout-requests/",
         {"order_no": "DY1001", "type": "other", "amount": "5.00", "reason": "破损补偿", "buyer_message": "抱歉"})
    call("8. Open the after-sales entry (offered because `actions.open_aftersales_entry.allowed`)", "tok-dy_admin",
         "POST", "orders/DY1018/aftersales-entry/", {})
    call("9. Intercept (the ticket and parcels come from `actions.intercept`)", "tok-dy_admin", "POST",
         f"tickets/{ticket.pk}/intercept/", {"parcels": ["YT7310000013644"], "mode": "online"})
    call("10. A refusal, as every action answers it", "tok-dy_admin", "POST", "orders/DY1018/aftersales-entry/", {})

    OUT.write_text("# Chat tools: example requests and answers\n\nGenerated by `docs/chat_tools_examples.py` from "
                   "real calls against the demo scenario (do not edit by hand). Times, IDs and tokens are the "
                   "demo's.\n\n" + "\n".join(sections), encoding="utf-8")
    from django.db import connection

    connection.close()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    print(f"wrote {OUT.relative_to(ROOT)} ({len(sections)} calls)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
