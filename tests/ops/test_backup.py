"""OPS-06: the backup and restore drill on PostgreSQL: bin/backup dumps, bin/restore-check restores into a
scratch database, checks migrations and the ledger there, prints what it restored and drops the scratch."""

import os
import pathlib
import re
import subprocess
import sys

import pytest
from django.conf import settings

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                                reason="the drill is pg_dump / pg_restore: PostgreSQL only")


def _server_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def _env(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHON": sys.executable}


@pytest.fixture(scope="module")
def source():
    """A database made as a fresh clone makes it: every migration run, the demo scenario loaded, clocks run."""
    name = f"bo_{os.environ.get('TEST_NAMESPACE', '')}{os.environ.get('PYTEST_XDIST_WORKER', '')}_drill"
    admin = _server_url("postgres")
    _psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(admin, f'CREATE DATABASE "{name}"')
    url = _server_url(name)
    for command in (["migrate", "--noinput", "-v0"], ["load_scenario", "demo/scenario.json"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=_env(url), check=True,
                       capture_output=True)
    yield url
    _psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _backup(url: str, directory) -> pathlib.Path:
    result = subprocess.run(["bin/backup", str(directory)], cwd=ROOT, env=_env(url), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return pathlib.Path(result.stdout.strip().splitlines()[-1])


def _restore_check(url: str, file) -> subprocess.CompletedProcess:
    return subprocess.run(["bin/restore-check", str(file)], cwd=ROOT, env=_env(url), capture_output=True, text=True)


def _scratch_databases(url: str) -> list[str]:
    return _psql(url.rsplit("/", 1)[0] + "/postgres",
                 "SELECT datname FROM pg_database WHERE datname LIKE 'restore\\_check\\_%'").split()


def _own_scratch(out: str) -> str:
    """The scratch database this drill made (it says so): a drill of another test worker may be in flight, so
    the test asks about its own scratch, not the server's whole list."""
    return re.search(r"into scratch database (\S+)", out).group(1)


def test_ops_06_backup_and_restore_drill_passes(source, tmp_path):
    """OPS-06: a timestamped custom-format dump; the drill restores it, finds every migration applied and the
    ledger whole, prints the rows it restored (as many orders and payouts as the source has) and drops the
    scratch database."""
    file = _backup(source, tmp_path)
    assert re.fullmatch(r"backoffice-\d{8}T\d{6}Z\.dump", file.name)
    assert file.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    result = _restore_check(source, file)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "restore: ok" in out and "migrations: all applied" in out and "verify_ledger: ledger ok" in out
    for table in ("orders_order", "payouts_payout", "accounts_ledgerentry", "accounts_shop"):
        count = _psql(source, f"SELECT count(*) FROM {table}")
        assert re.search(rf"^\s+{table}\s+{count}$", out, re.M), table
    assert out.strip().splitlines()[-2:] == ["RESTORE CHECK PASSED", out.strip().splitlines()[-1]]
    assert "dropped" in out.strip().splitlines()[-1]
    assert _own_scratch(out) not in _scratch_databases(source)


def test_ops_06_drill_fails_on_ledger_drift_and_still_drops_the_scratch(source, tmp_path):
    """OPS-06: a backup whose balances do not add up fails the drill (verify_ledger), exit code non-zero."""
    first = "(SELECT min(id) FROM accounts_shopaccount)"
    _psql(source, f"UPDATE accounts_shopaccount SET balance = balance + 1 WHERE id = {first}")
    try:
        result = _restore_check(source, _backup(source, tmp_path))
    finally:
        _psql(source, f"UPDATE accounts_shopaccount SET balance = balance - 1 WHERE id = {first}")
    assert result.returncode != 0
    assert "FAILED: verify_ledger" in result.stdout and "RESTORE CHECK FAILED" in result.stdout
    assert _own_scratch(result.stdout) not in _scratch_databases(source)


def test_ops_06_drill_fails_when_migrations_are_missing(source, tmp_path):
    """OPS-06: a backup older than the code (a migration not applied in it) fails `migrate --check`."""
    row = _psql(source, "SELECT app, name, applied FROM django_migrations WHERE app = 'core' ORDER BY name DESC LIMIT 1")
    app, name, applied = row.split("|")
    _psql(source, f"DELETE FROM django_migrations WHERE app = '{app}' AND name = '{name}'")
    try:
        result = _restore_check(source, _backup(source, tmp_path))
    finally:
        _psql(source, f"INSERT INTO django_migrations (app, name, applied) VALUES ('{app}', '{name}', '{applied}')")
    assert result.returncode != 0
    assert "FAILED: migrate --check" in result.stdout


def test_ops_06_restore_check_refuses_a_file_that_is_not_a_dump(source, tmp_path):
    bad = tmp_path / "not-a-dump.dump"
    bad.write_text("hello")
    result = _restore_check(source, bad)
    assert result.returncode != 0 and "RESTORE CHECK FAILED" in result.stdout
