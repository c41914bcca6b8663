"""Keyed random streams and the yearly account checks."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import accounts
from simulation.errors import AccountError
from simulation.rng import Streams, key_words, stream


def test_a_stream_is_fixed_by_seed_and_key():
    a = stream(1, "arrivals", 2020, 0).random(5)
    assert np.array_equal(a, stream(1, "arrivals", 2020, 0).random(5))
    assert not np.array_equal(a, stream(2, "arrivals", 2020, 0).random(5))
    assert not np.array_equal(a, stream(1, "arrivals", 2020, 1).random(5))
    assert not np.array_equal(a, stream(1, "departures", 2020, 0).random(5))


def test_key_digest_is_stable_across_processes():
    # Python's hash() of strings is salted per process; the key digest must not be.
    assert key_words(("arrivals", 2020, 0)) == key_words(("arrivals", 2020, 0))
    assert key_words(("a", "b")) != key_words(("ab",))
    assert key_words(("x",)) == (1162095172, 728184689, 12654642, 1794623613)


def test_streams_object_is_stateless():
    s = Streams(5)
    first = s("x").random(3)
    s("y").random(1000)
    assert np.array_equal(first, s("x").random(3))


def test_balance_check_names_year_district_and_quantity():
    ok = np.array([10.0, 5.0])
    accounts.check_balance(2020, ("A", "B"), "people", ok, ok, ok, ok)
    with pytest.raises(AccountError, match="2020, district B, people") as info:
        accounts.check_balance(2020, ("A", "B"), "people", ok, ok, ok, ok + np.array([0.0, 1.0]))
    assert info.value.district == "B"


def test_quota_check_refuses_overuse():
    accounts.check_quota(2021, ("ALL",), "points", np.array([6000.0]), np.array([6000.0]))
    with pytest.raises(AccountError, match="points quota"):
        accounts.check_quota(2021, ("ALL",), "points", np.array([6000.0]), np.array([6001.0]))


@pytest.mark.parametrize(
    ("stock", "linked", "message"),
    [
        (-1.0, 0.0, "negative"),
        (11.0, 0.0, "above its ceiling"),
        (5.0, 3.0, "above the entitlement"),
    ],
)
def test_land_check_bounds(stock, linked, message):
    with pytest.raises(AccountError, match=message):
        accounts.check_land(
            2022,
            ("A",),
            np.array([stock]),
            np.array([10.0]),
            np.array([linked]),
            np.array([2.0]),
            previous=np.array([9.0]),
        )


def test_a_ceiling_lowered_below_the_stock_takes_no_land_away():
    """A plan may lower the ceiling below what exists: that stops new land, it is no error."""
    stock = np.array([12.0])
    accounts.check_land(2022, ("A",), stock, np.array([10.0]), np.zeros(1), np.zeros(1), stock)
