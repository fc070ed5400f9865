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
