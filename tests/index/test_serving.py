"""The served snapshot: a replaced one is closed when its last lease ends, never before."""

from __future__ import annotations

import pytest

from index.store.serving import Served


class FakeSnapshot:
    """Counts its closes."""

    def __init__(self, name: str) -> None:
        self.name, self.closed = name, 0

    def close(self) -> None:
        self.closed += 1


def test_a_replaced_snapshot_closes_after_its_last_lease_and_an_unleased_one_at_once():
    served = Served()
    with pytest.raises(RuntimeError), served.lease():
        pass
    first, second, third = FakeSnapshot("1"), FakeSnapshot("2"), FakeSnapshot("3")
    served.replace(first)
    with served.lease() as a, served.lease() as b:
        assert a is b is first
        served.replace(second)
        served.replace(third)  # `second` was never leased: closed at once
        assert (first.closed, second.closed) == (0, 1)
        with served.lease() as c:
            assert c is third
        assert third.closed == 0
        served.replace(third)  # the same one again: nothing to close
    assert (first.closed, second.closed, third.closed) == (1, 1, 0)
    with served.lease() as d:
        assert d is third
    assert served.current is third and third.closed == 0
