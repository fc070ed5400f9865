import json
import pathlib

import pytest
from rest_framework.test import APIClient

from orders.scenario import load_scenario

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "scenario.json"


def demo_data() -> dict:
    return json.loads(DEMO.read_text(encoding="utf-8"))


@pytest.fixture
def demo(db) -> dict:
    """The demo scenario loaded: two shops (dy, pdd), their people, 47 orders, outlets, buyers, staff."""
    data = demo_data()
    load_scenario(data)
    return data


@pytest.fixture
def api():
    def client_for(token: str | None = None) -> APIClient:
        client = APIClient()
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return client_for
