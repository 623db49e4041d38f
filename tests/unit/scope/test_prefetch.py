"""The extraction's read-ahead thread: order kept, errors raised, bounded, stoppable."""

from __future__ import annotations

import threading
import time

import pytest

from ariane.scope.prefetch import prefetch


def test_items_arrive_in_order():
    assert list(prefetch(lambda: iter(range(1000)), depth=3)) == list(range(1000))


def test_an_error_of_the_producer_is_raised_to_the_consumer():
    def make():
        yield 1
        raise ValueError("source broke")

    got = []
    with pytest.raises(ValueError, match="source broke"):
        for x in prefetch(make):
            got.append(x)
    assert got == [1]


def test_the_producer_runs_at_most_depth_items_ahead():
    produced = []

    def make():
        for i in range(100):
            produced.append(i)
            yield i

    it = prefetch(make, depth=2)
    assert next(it) == 0
    time.sleep(0.3)
    assert len(produced) <= 1 + 2 + 1  # the one consumed, the queue, the one waiting to enter
    it.close()


def test_closing_early_stops_the_worker_and_closes_its_iterator():
    closed = threading.Event()

    def make():
        try:
            yield from range(10**9)
        finally:
            closed.set()

    before = threading.active_count()
    it = prefetch(make, depth=1)
    assert next(it) == 0
    it.close()
    assert closed.wait(2)
    assert threading.active_count() == before
