"""Shared numeric helpers: largest-remainder splits, work shared among threads."""

from __future__ import annotations

import threading
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation import numeric
from simulation.errors import ScenarioError


def test_rounded_split_gives_the_largest_remainders_the_persons_left_over():
    """Row 1: 5 over weights 1:2:3 is 0.83, 1.67, 2.5; the floors give 3, and the two persons
    left go to the two largest remainders (0.83, 0.67). Row 2: 6 over 3:0:1 is 4.5, 0, 1.5; the
    one person left goes to the first of the tied halves. Row 3: 10 in thirds, 3.33 each; the
    tie goes to the first column. Row 4: no weight, nothing to split."""
    weights = np.array([[1.0, 2.0, 3.0], [3.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    out = numeric.rounded_split(np.array([5.0, 6.0, 10.0, 0.0]), weights)
    assert out.tolist() == [[1.0, 2.0, 2.0], [5.0, 0.0, 1.0], [4.0, 3.0, 3.0], [0.0, 0.0, 0.0]]


@given(
    st.lists(st.lists(st.integers(0, 50), min_size=4, max_size=4), min_size=1, max_size=4),
    st.lists(st.integers(0, 200), min_size=4, max_size=4),
)
def test_rounded_split_adds_up_and_rounds_up_only_the_largest_remainders(rows, totals):
    """Against the exact quotas: each row adds up to its total, each cell is its quota rounded
    down or up, and no cell rounded down has a larger remainder than one rounded up."""
    totals = [t if sum(row) else 0 for row, t in zip(rows, totals, strict=False)]
    out = numeric.rounded_split(np.array(totals, dtype=float), np.array(rows, dtype=float))
    for row, total, cells in zip(rows, totals, out.tolist(), strict=False):
        assert sum(cells) == total
        quotas = [Fraction(w * total, sum(row) or 1) for w in row]
        remainders = [q - int(q) for q in quotas]
        up = [r for r, q, c in zip(remainders, quotas, cells, strict=True) if c == int(q) + 1]
        down = [r for r, q, c in zip(remainders, quotas, cells, strict=True) if c == int(q)]
        assert len(up) + len(down) == len(cells)
        if up and down:
            assert max(down) <= min(up) + Fraction(1, 10**9)


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
