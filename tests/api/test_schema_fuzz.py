"""Schemathesis over every operation of the OpenAPI schema, with all its checks (SEC-04; issue 22 item 2b):
the schema says what the server accepts, so a request the schema allows is never refused as malformed and
one it forbids is never accepted; no answer is a 5xx or outside the schema (status, content type, headers,
body).

Bounded and deterministic so the suite stays fast (about 55 s for all 66 operations and the three roles on
the 2-core CI machine; schemathesis's coverage cases are most of it): `EXAMPLES` examples per operation
(derandomised, no example database), and each generated request is sent once per role — a main account, a sub-account and a
buyer — in the same test. The configuration the CLI uses (`schemathesis.toml`) is read here too, so
`st run` against a live server and this test judge by the same rules.

`test_sec04_hostile_inputs_answer_4xx_on_every_operation` adds what random generation rarely finds: a NUL
and a lone surrogate in every path and query parameter and a page number past the database's integers, on
every operation (the five 500s of issue 22)."""

import json
import pathlib
import tomllib

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.utils.encoders import JSONEncoder
from schemathesis.config import SchemathesisConfig

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = 2
ROLES = {"main": "tok-dy_admin", "sub": "tok-dy_cs1", "buyer": "tok-buyer_ok"}


def _document() -> dict:
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), cls=JSONEncoder))


def _config() -> SchemathesisConfig:
    data = tomllib.loads((ROOT / "schemathesis.toml").read_text(encoding="utf-8"))
    data.setdefault("generation", {}).update({"max-examples": EXAMPLES, "deterministic": True})
    return SchemathesisConfig.from_dict(data)


schema = schemathesis.openapi.from_dict(_document(), config=_config())
schema.app = get_wsgi_application()  # in process, as schemathesis.openapi.from_wsgi does


@pytest.fixture
def no_auth_throttle(settings):
    """Fuzzing sends wrong tokens on purpose; the failed-auth throttle (SEC-03) is tested elsewhere. And, as
    Django's test client does, requests must not close the test's database connection (its transaction)."""
    from django.core import signals
    from django.db import close_old_connections

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"failed_auth": None}}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_sec04_schema_fuzz_every_role_all_checks(case, demo, no_auth_throttle):
    """SEC-04: every check of schemathesis, for a main account, a sub-account and a buyer."""
    for token in ROLES.values():
        case.call_and_validate(headers={"Authorization": f"Token {token}"})


def _operations():
    for path, item in schema.raw_schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_sec04_hostile_inputs_answer_4xx_on_every_operation(demo, api):
    """SEC-04 (issue 22 item 2): on every operation of the schema, as a main account — a NUL in each path
    parameter and each query parameter answers 400 `invalid`; a page number past the database's integers
    404; a JSON body with a `\\u0000` or a lone `\\ud800` escape never a 5xx (400 where the body is read)."""
    client = api(ROLES["main"])
    checked = 0
    for path, method, operation in _operations():
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        plain = path
        for name in names:
            plain = plain.replace("{" + name + "}", "1")
        call = getattr(client, method)
        for name in names:
            response = call(path.replace("{" + name + "}", "a%00b"), format="json")
            assert response.status_code == 400 and response.json()["fields"] == {"path": [
                "NUL characters and lone surrogates are not accepted"]}, (method, path, response.content[:200])
            checked += 1
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            response = call(f"{plain}?{parameter['name']}=x%00y", format="json")
            assert response.status_code == 400, (method, path, parameter["name"], response.content[:200])
            checked += 1
            if parameter["name"] == "page" and method == "get":
                response = call(f"{plain}?page=1000000000000000001")
                assert response.status_code in (403, 404), (path, response.content[:200])
        if "requestBody" in operation:
            for raw in ('{"x": "a\\u0000b"}', '{"x": "\\ud800"}'):
                response = call(plain, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"hostile-{checked}")
                assert response.status_code < 500, (method, path, response.content[:200])
                checked += 1
    assert checked > 100
