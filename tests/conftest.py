"""Shared fixtures, and the demo scenario loaded once per test database instead of once per test.

How the demo rows are shared while every test stays isolated:

- A test that asks for `demo` (directly or through another fixture) finds the demo scenario committed in
  its worker's test database BEFORE its test transaction opens; the test's own writes are rolled back as
  usual, so the next demo test finds the same rows and nothing is reloaded.
- A test that does not ask for `demo` finds a database without demo rows: only the default platform
  profiles (what accounts/migrations/0002 makes) and Django's content types and permissions.
- A `transaction=True` test (threads, live_server) ends with every table emptied (`_empty_tables`, a quick
  DELETE instead of Django's flush); the next test that needs the demo gets it back from a COPY snapshot of
  the first load.

`_db_state` remembers, per process (so per xdist worker, each with its own database), what is committed.
The collection order puts the database tests without the demo before those with it, and the transactional
tests with it before those without, so each worker loads the demo once and restores it a few times.
"""

import datetime as dt
import json
import pathlib
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "scenario.json"
# The moment the tests load the demo at: its times are relative to the load ("-10d", "-2h"), so the tests fix
# the load at the demo's "today" and the orders keep the dates they assert on (tests.aftersales.helpers.NOW).
DEMO_LOADED_AT = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

# What the test database holds, committed: "migrated" (default profiles, content types, permissions),
# "flushed" (as a transactional test leaves it: no rows but content types and permissions), "demo"
# (migrated + the demo scenario) or None (unknown: a database kept with --reuse-db).
_db_state: dict[str, str | None] = {"committed": None}

# Rows Django derives from the code (post_migrate): kept when the tables are emptied.
KEPT_TABLES = {"django_migrations", "django_content_type", "auth_permission"}

# The demo rows as first loaded in this process, table by table (PostgreSQL COPY format): restoring them
# takes a fraction of what load_scenario takes.
_demo_snapshot: dict[str, bytes] = {}


def demo_data(*, activity: bool = False) -> dict:
    """The demo scenario; without its `activity` unless asked (tests assert on the synced rows alone)."""
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    if not activity:
        data.pop("activity", None)
    return data


# --- what a test needs --------------------------------------------------------------------------------------

def _db_kind(node, names) -> str:
    """"transactional", "db" or "none", as pytest-django decides it."""
    from pytest_django.fixtures import validate_django_db

    marker = node.get_closest_marker("django_db")
    transactional = "transactional_db" in names or "live_server" in names
    if marker:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        transactional = transactional or transaction or reset_sequences
    if transactional:
        return "transactional"
    return "db" if marker or "db" in names else "none"


def _demo_order(item: pytest.Item) -> int:
    """Within pytest-django's order (database tests, transactional tests, the rest): database tests without
    the demo, then with it; transactional tests with the demo (the first finds it committed), then without."""
    names = getattr(item, "fixturenames", ())
    kind, wants_demo = _db_kind(item, names), "demo" in names
    if kind == "transactional":
        return 2 if wants_demo else 3
    if kind == "db":
        return 1 if wants_demo else 0
    return 4


def pytest_collection_modifyitems(config, items):
    items.sort(key=_demo_order)  # stable: pytest-django's order (tryfirst) stays within each group


# --- committed states ---------------------------------------------------------------------------------------

def _tables(connection) -> list[str]:
    return [t for t in connection.introspection.django_table_names(only_existing=True, include_views=False)
            if t not in KEPT_TABLES]


def _empty_tables(using: str = "default") -> None:
    """What `manage.py flush` does after a transactional test, ten times faster on these small tables: DELETE
    every row in one transaction (PostgreSQL checks the foreign keys at commit) instead of TRUNCATE, and keep
    the content types and permissions instead of deleting and re-creating them."""
    from django.db import connections, transaction

    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in _tables(connection):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def _flush() -> None:
    _empty_tables()
    _db_state["committed"] = "flushed"


def _commit_migrated() -> None:
    from accounts.services import profiles_ensure_defaults

    if _db_state["committed"] != "flushed":
        _flush()
    profiles_ensure_defaults()
    _db_state["committed"] = "migrated"


def _commit_demo() -> None:
    from django.db import connection, transaction

    from orders.scenario import load_scenario

    postgres = connection.vendor == "postgresql"
    if _db_state["committed"] not in ("migrated", "flushed") or (_demo_snapshot and postgres):
        _flush()
    if _demo_snapshot and postgres:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table, data in _demo_snapshot.items():
                with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} FROM STDIN") as copy:
                    copy.write(data)
    else:
        load_scenario(demo_data(), now=DEMO_LOADED_AT)
        if postgres:
            with connection.cursor() as cursor:
                for table in _tables(connection):
                    with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} TO STDOUT") as copy:
                        data = b"".join(bytes(block) for block in copy)
                    if data:
                        _demo_snapshot[table] = data
    _db_state["committed"] = "demo"


# --- fixtures -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_use_migrations, request):
    """The test database as pytest-django makes it (from the models: --nomigrations in pyproject.toml; the
    migrations are checked by tests/core/test_migrations.py). A kept one (--reuse-db) is emptied first."""
    reused = request.config.getoption("reuse_db", False) and not request.config.getoption("create_db", False)
    if reused:
        _db_state["committed"] = None
    else:  # without migrations the default profiles of accounts/migrations/0002 are not there yet
        _db_state["committed"] = "migrated" if django_db_use_migrations else "flushed"
    yield


@pytest.fixture(scope="session", autouse=True)
def _fast_transactional_teardown():
    """Transactional tests end with `_empty_tables` instead of Django's `flush`."""
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


@pytest.fixture(autouse=True)
def _process_caches_forgotten():
    """Each test starts with empty per-process caches (core.localcache): its rows came by COPY or went with
    a rollback, neither of which tells the caches."""
    from core.localcache import clear_all

    clear_all()
    yield


@pytest.fixture
def _demo_committed_state(request, django_db_setup, django_db_blocker):
    """Runs before the test transaction opens: commits the demo where the test wants it, takes it away
    where it does not."""
    wants_demo = "demo" in request.fixturenames
    state = _db_state["committed"]
    with django_db_blocker.unblock():
        if wants_demo:
            if state != "demo":
                _commit_demo()
        elif _db_kind(request.node, request.fixturenames) != "transactional":
            if state != "migrated":
                _commit_migrated()
        elif state in ("demo", None):
            _flush()  # a transactional test starts as the previous one left the database: no rows
    yield


@pytest.fixture
def _django_db_helper(_demo_committed_state, _django_db_helper, request):
    """pytest-django's database fixture, with the committed state settled before its test transaction."""
    transactional = _db_kind(request.node, request.fixturenames) == "transactional"
    yield
    if transactional:  # pytest-django's teardown, right after this one, empties every table
        _db_state["committed"] = "flushed"


@pytest.fixture
def demo(db) -> dict:
    """The demo scenario loaded: two shops (dy, pdd), their people, 47 orders, outlets, buyers, staff.

    Already committed (see above); a test that asks for it late (request.getfixturevalue) gets it loaded
    inside its own transaction."""
    data = demo_data()
    if _db_state["committed"] != "demo":
        from orders.scenario import load_scenario

        load_scenario(data, now=DEMO_LOADED_AT)
    return data


@pytest.fixture
def api():
    def client_for(token: str | None = None) -> APIClient:
        client = APIClient()
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return client_for
