"""core.idempotency on PostgreSQL: the key claimed inside the run's one transaction (issue 14). API.md
Conventions: replay, 409 reused, 409 in use (or wait), a crash not stored, a refusal stored with its
effects rolled back."""

import threading

import pytest
from django.db import connection, connections, transaction

from accounts.models import User
from core import idempotency
from core.errors import ApplicationError, CommonError
from core.models import IdempotencyKey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user(demo):
    return User.objects.get(username="dy_admin")


def _store(result):
    return 201, {"made": result}


def test_replay_and_reused(user):
    made = []
    first = idempotency.once(user=user, key="k", fingerprint="a", run=lambda: made.append(1) or "x", store=_store)
    again = idempotency.once(user=user, key="k", fingerprint="a", run=lambda: made.append(2) or "y", store=_store)
    assert first == "x" and isinstance(again, IdempotencyKey) and again.response_body == {"made": "x"}
    assert made == [1]
    with pytest.raises(ApplicationError) as exc:
        idempotency.once(user=user, key="k", fingerprint="b", run=lambda: "z", store=_store)
    assert exc.value.error is idempotency.KEY_REUSED


def test_a_twin_while_the_first_runs_is_in_use_or_waits(user):
    started, release = threading.Event(), threading.Event()

    def first():
        def run():
            started.set()
            release.wait(10)
            return "first"
        try:
            idempotency.once(user=user, key="twin", fingerprint="a", run=run, store=_store)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    with pytest.raises(ApplicationError) as exc:
        idempotency.once(user=user, key="twin", fingerprint="a", run=lambda: "second", store=_store)
    assert exc.value.error is idempotency.KEY_IN_USE
    waiter: list = []

    def second():
        try:
            waiter.append(idempotency.once(user=user, key="twin", fingerprint="a", run=lambda: "second",
                                           store=_store, wait=True))
        finally:
            connections.close_all()

    waiting = threading.Thread(target=second)
    waiting.start()
    release.set()
    thread.join(10)
    waiting.join(10)
    assert isinstance(waiter[0], IdempotencyKey) and waiter[0].response_body == {"made": "first"}
    assert IdempotencyKey.objects.filter(key="twin").count() == 1


def test_a_crash_is_not_stored_and_rolls_back_its_effects(user):
    def run():
        User.objects.filter(pk=user.pk).update(first_name="changed")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        idempotency.once(user=user, key="crash", fingerprint="a", run=run, store=_store)
    assert not IdempotencyKey.objects.filter(key="crash").exists()
    assert User.objects.get(pk=user.pk).first_name != "changed"
    assert idempotency.once(user=user, key="crash", fingerprint="a", run=lambda: "again", store=_store) == "again"


def test_a_refusal_is_stored_with_its_effects_rolled_back(user):
    def run():
        User.objects.filter(pk=user.pk).update(first_name="changed")
        raise ApplicationError(CommonError.NOT_FOUND)

    def refusal(exc):
        return "refused" if isinstance(exc, ApplicationError) else None

    assert idempotency.once(user=user, key="no", fingerprint="a", run=run, store=_store, refusal=refusal) == "refused"
    assert User.objects.get(pk=user.pk).first_name != "changed"
    row = idempotency.once(user=user, key="no", fingerprint="a", run=lambda: "ran", store=_store, refusal=refusal)
    assert isinstance(row, IdempotencyKey) and row.response_body == {"made": "refused"}


def test_the_claim_is_one_statement_inside_the_transaction(user):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        idempotency.once(user=user, key="one", fingerprint="a", run=lambda: "x", store=_store)
    sqls = [q["sql"] for q in queries]
    assert not [s for s in sqls if "SAVEPOINT" in s.upper()]
    assert sqls[0] == "BEGIN" and sqls[-1] == "COMMIT" and len(sqls) == 4, sqls
    assert transaction.get_autocommit()
