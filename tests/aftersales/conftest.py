import datetime as dt

import pytest
import time_machine

from tests.aftersales.helpers import NOW


@pytest.fixture
def clock():
    """The clock frozen at NOW; `clock.shift(hours=…)` moves it (time-machine, SPEC §8)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        class Clock:
            @staticmethod
            def shift(**delta) -> None:
                traveller.shift(dt.timedelta(**delta))

        yield Clock()


@pytest.fixture(autouse=True)
def ledger_never_drifts(db):
    """Every after-sales test ends with the shop ledger equal to its cached balances (SPEC §2)."""
    from accounts.selectors import ledger_drifts

    yield
    assert ledger_drifts() == []
