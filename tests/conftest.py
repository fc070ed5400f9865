"""Shared fixtures, and the one demo scenario loaded once per test database instead of once per test.

How the demo rows stay shared yet every test stays isolated:

- A test that asks for `demo` (directly or through another fixture) gets the demo scenario committed in its
  worker's test database BEFORE its test transaction opens; the test's own writes are rolled back as usual,
  so the next demo test finds the same rows and nothing is reloaded.
- A test that does not ask for `demo` finds a database without demo rows (only what migrations make: the
  default platform profiles and Django's own rows), as it always did.
- `transaction=True` tests (threads, live_server) end with Django flushing every table; the next test that
  needs the demo loads it again.

`_db_state` remembers, per process (so per xdist worker, each with its own database), what is committed.
The collection order puts the non-demo tests of each kind before (database tests) or after (transactional
tests) the demo ones, so a whole run loads the demo a handful of times.
"""

import json
import pathlib

import pytest
from rest_framework.test import APIClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "scenario.json"

# What the test database holds, committed: "migrated" (what migrations leave: profiles, content types),
# "flushed" (after a transactional test: every table empty), "demo" (migrated + the demo scenario) or
# None (unknown, e.g. a database kept with --reuse-db).
_db_state: dict[str, str | None] = {"committed": None}


def demo_data() -> dict:
    return json.loads(DEMO.read_text(encoding="utf-8"))


def _transactional(request: pytest.FixtureRequest) -> bool:
    from pytest_django.fixtures import validate_django_db

    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if marker:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    return "transactional_db" in names or "live_server" in names


def _commit_demo() -> None:
    from orders.scenario import load_scenario

    if _db_state["committed"] not in ("migrated", "flushed"):
        _flush()
    load_scenario(demo_data())
    _db_state["committed"] = "demo"


def _commit_migrated() -> None:
    from accounts.services import profiles_ensure_defaults

    if _db_state["committed"] != "flushed":
        _flush()
    profiles_ensure_defaults()
    _db_state["committed"] = "migrated"


# Rows Django derives from the code itself (post_migrate): kept when a test's tables are emptied.
KEPT_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


def _empty_tables(using: str = "default") -> None:
    """What `manage.py flush` does at the end of a transactional test, ten times faster on these small tables:
    DELETE every row in one transaction (PostgreSQL foreign keys are deferred) instead of TRUNCATE, and keep
    the content types and permissions instead of deleting and re-creating them."""
    from django.db import connections, transaction

    connection = connections[using]
    tables = [t for t in connection.introspection.django_table_names(only_existing=True, include_views=False)
              if t not in KEPT_TABLES]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def _flush() -> None:
    _empty_tables()
    _db_state["committed"] = "flushed"


@pytest.fixture(scope="session", autouse=True)
def _fast_transactional_teardown():
    """Transactional tests (threads, live_server) end by emptying the tables with `_empty_tables`."""
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def fixture_teardown(self) -> None:
        if self.available_apps is not None or self.serialized_rollback:
            return original(self)
        for db_name in self._databases_names(include_mirrors=False):
            _empty_tables(db_name)

    TransactionTestCase._fixture_teardown = fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_use_migrations, request):
    """The test database as pytest-django makes it (bin/test: from the models, --nomigrations; the
    migrations are checked by tests/core/test_migrations.py); a kept one (--reuse-db) is emptied first."""
    reused = request.config.getoption("reuse_db", False) and not request.config.getoption("create_db", False)
    if reused:
        _db_state["committed"] = None
    else:  # without migrations, the default profiles of accounts/migrations/0002 are not there yet
        _db_state["committed"] = "migrated" if django_db_use_migrations else "flushed"
    yield


@pytest.fixture
def _demo_committed_state(request, django_db_setup, django_db_blocker):
    """Runs before the test transaction opens: commits the demo if the test wants it, or takes it away."""
    wants_demo = "demo" in request.fixturenames
    with django_db_blocker.unblock():
        if wants_demo and _db_state["committed"] != "demo":
            _commit_demo()
        elif not wants_demo and not _transactional(request) and _db_state["committed"] != "migrated":
            _commit_migrated()
        elif not wants_demo and _db_state["committed"] in ("demo", None):
            _flush()  # a transactional test starts from what the previous one left: no rows at all
    yield


@pytest.fixture
def _django_db_helper(_demo_committed_state, _django_db_helper, request):
    """pytest-django's database fixture, with the demo state settled before it opens the test transaction."""
    transactional = _transactional(request)
    yield
    if transactional:
        # pytest-django's teardown (right after this one) flushes every table.
        _db_state["committed"] = "flushed"


@pytest.fixture
def demo(db) -> dict:
    """The demo scenario loaded: two shops (dy, pdd), their people, 47 orders, outlets, buyers, staff.

    Normally already committed (see the module docstring); a test that only asked for it late
    (request.getfixturevalue) gets it loaded inside its own transaction."""
    data = demo_data()
    if _db_state["committed"] != "demo":
        from orders.scenario import load_scenario

        load_scenario(data)
    return data


def _demo_order(item: pytest.Item) -> int:
    """Within pytest-django's order (database tests, transactional tests, the rest): database tests without
    the demo first, then those with it; transactional tests with the demo first (the first one finds it
    committed), then those without."""
    from pytest_django.fixtures import validate_django_db

    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    transactional = "transactional_db" in names or "live_server" in names
    if marker:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        transactional = transactional or transaction or reset_sequences
    uses_db = bool(marker) or "db" in names or transactional
    wants_demo = "demo" in names
    if not uses_db:
        return 4
    if transactional:
        return 2 if wants_demo else 3
    return 1 if wants_demo else 0


def pytest_collection_modifyitems(config, items):
    items.sort(key=_demo_order)


@pytest.fixture
def api():
    def client_for(token: str | None = None) -> APIClient:
        client = APIClient()
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return client_for
