"""The served snapshot: a replaced one is closed when its last lease ends, never before."""

from __future__ import annotations

import time

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


def test_a_failed_question_reads_the_snapshot_no_longer_than_its_lease(seed_index, monkeypatch):
    """When the encoder fails, the question's word side (run in a worker thread) has finished
    with the snapshot before the error reaches the caller, who then ends the lease."""
    from index.search import hybrid

    finished = []
    real = hybrid._lexical_side

    def slow_words(*args):
        time.sleep(0.3)
        result = real(*args)
        finished.append(True)
        return result

    class BrokenEncoder:
        def embed_query(self, text: str):
            raise RuntimeError("encoder failed")

    monkeypatch.setattr(hybrid, "_lexical_side", slow_words)
    with pytest.raises(RuntimeError, match="encoder failed"):
        hybrid.rank(seed_index.snapshot(), BrokenEncoder(), "Why did Erdoğan approve Sweden?")
    assert finished == [True]
