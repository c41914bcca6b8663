"""Shared numeric helpers: work shared among threads."""

from __future__ import annotations

import threading

import pytest

from simulation import numeric
from simulation.errors import ScenarioError


def test_each_gives_results_in_the_order_of_the_items_on_several_threads(monkeypatch):
    monkeypatch.setattr(numeric, "cores", lambda: 2)
    both_started = threading.Barrier(2, timeout=5)  # passes only if two items run at once
    seen = []
    threads = threading.active_count()

    def work(item: int) -> int:
        seen.append(threading.get_ident())
        if item < 2:
            both_started.wait()
        return item * item

    assert numeric.each(work, list(range(7))) == [i * i for i in range(7)]
    assert len(set(seen)) == 2
    assert threading.get_ident() not in seen
    assert threading.active_count() == threads  # the threads have ended


def test_each_works_in_this_thread_with_one_core_or_one_item(monkeypatch):
    here = threading.get_ident()
    monkeypatch.setattr(numeric, "cores", lambda: 1)
    assert numeric.each(lambda _: threading.get_ident(), [1, 2, 3]) == [here] * 3
    monkeypatch.setattr(numeric, "cores", lambda: 4)
    assert numeric.each(lambda _: threading.get_ident(), [1]) == [here]


def test_each_passes_on_the_first_error(monkeypatch):
    monkeypatch.setattr(numeric, "cores", lambda: 2)

    def work(item: int) -> int:
        if item == 3:
            raise ValueError("three")
        return item

    with pytest.raises(ValueError, match="three"):
        numeric.each(work, list(range(6)))


def test_cores_counts_at_least_one():
    assert numeric.cores() >= 1


def test_the_threads_setting_caps_the_cores_used(monkeypatch):
    monkeypatch.delenv(numeric.THREADS_VARIABLE, raising=False)
    found = numeric.cores()
    monkeypatch.setenv(numeric.THREADS_VARIABLE, "1")
    assert numeric.cores() == 1
    monkeypatch.setenv(numeric.THREADS_VARIABLE, str(found + 5))
    assert numeric.cores() == found  # a cap, not more threads than cores


@pytest.mark.parametrize("setting", ["0", "two", "-1", "1.5", "\u00b2", "1" * 5000])
def test_a_bad_threads_setting_is_refused_with_what_was_expected(monkeypatch, setting):
    monkeypatch.setenv(numeric.THREADS_VARIABLE, setting)
    with pytest.raises(ScenarioError) as caught:
        numeric.cores()
    message = str(caught.value)
    assert numeric.THREADS_VARIABLE in message
    assert "a whole number, 1 or more" in message
    assert setting[:20] in message
