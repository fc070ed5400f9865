"""Schemathesis over every operation of the OpenAPI schema (SEC-04, issue 13): bounded (a fixed number of
examples per operation), deterministic (derandomised, no example database), as a main account, a
sub-account and a buyer. It fails on any 5xx and on any answer the schema does not describe (status code,
content type, body)."""

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.utils.encoders import JSONEncoder
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 2


def _document() -> dict:
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), cls=JSONEncoder))


schema = schemathesis.openapi.from_dict(_document())
_app = None


def _wsgi():
    global _app
    if _app is None:
        _app = get_wsgi_application()
    return _app


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


def _fuzz(token: str):
    @schema.parametrize()
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def test(case, demo, no_auth_throttle):
        case.call_and_validate(app=_wsgi(), headers={"Authorization": f"Token {token}"}, checks=CHECKS)

    return test


test_sec04_schema_fuzz_as_main_account = _fuzz("tok-dy_admin")
test_sec04_schema_fuzz_as_sub_account = _fuzz("tok-dy_cs1")
test_sec04_schema_fuzz_as_buyer = _fuzz("tok-buyer_ok")
