"""Non-registered residents as arrays: synthesis, arrivals, ageing, compaction."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import population
from simulation.config import PopulationParams
from simulation.population import ACTIVE, DEPARTED, SETTLED
from simulation.rng import Streams
from tests.helpers import make_population


def test_in_place_updates_of_a_column_reach_the_stored_column():
    pop = make_population(3, age=[20, 30, 40])
    pop.age += 1
    pop.append({name: col[:1].copy() for name, col in pop.columns.items()})
    pop.compact()
    assert pop.age.tolist() == [21, 31, 41, 21]


def test_append_grows_beyond_capacity_and_compact_drops_inactive():
    pop = make_population(2, age=[20, 30])
    more = make_population(100, age=50)
    pop.append({name: getattr(more, name) for name in population.ATTRIBUTES})
    assert pop.n == 102
    pop.status[[0, 5]] = [SETTLED, DEPARTED]
    pop.compact()
    assert pop.n == 100
    assert pop.age[0] == 30
    assert np.all(pop.status == ACTIVE)


def test_synthesis_matches_each_districts_stock_to_within_one_agent():
    stock = np.array([10_007.0, 25_000.0, 0.0])
    for ppa in (1, 3, 10):
        pop = population.synthesize(
            Streams(1), PopulationParams(), stock, np.array([1.0, 0.5, 0.5]), ppa, 0.3
        )
        persons = population.census(pop, 3, ppa)["non_hukou"]
        assert np.all(np.abs(persons - stock) < ppa)


def test_synthesised_attributes_follow_their_shares():
    p = PopulationParams()
    pop = population.synthesize(Streams(2), p, np.array([200_000.0]), np.array([0.8]), 1, 0.3)
    shares = np.bincount(pop.education, minlength=4) / pop.n
    np.testing.assert_allclose(shares, p.education_shares, atol=0.01)
    assert abs(pop.willing.mean() - p.willing_share) < 0.01
    assert abs(pop.urban.mean() - 0.8) < 0.01
    assert pop.age.min() >= p.age_band_edges[0]
    assert pop.age.max() < p.age_band_edges[-1]
    assert not pop.graduate.any()  # pending policy cases settled before the base year
    assert np.all(pop.insurance_years[~pop.insured] == 0)


def test_ageing_adds_tenure_and_sends_heads_home_at_the_return_age():
    pop = make_population(
        3, age=[30, 59, 40], permit_years=[2, 0, 0], insured=[True, False, False], applied=True
    )
    leaving = population.age_one_year(pop, Streams(0), 2020, 0.0, 0.0, return_age=60)
    assert pop.age.tolist() == [31, 60, 41]
    assert pop.permit_years.tolist() == [3, 0, 0]
    assert pop.insurance_years.tolist() == [1, 0, 0]
    assert leaving.tolist() == [1]
    assert pop.status[1] == DEPARTED
    assert not pop.applied.any()


def test_departures_only_take_active_heads():
    pop = make_population(1000, status=0)
    pop.status[:500] = SETTLED
    leaving = population.depart(pop, np.random.default_rng(0), 1.0)
    assert leaving.tolist() == list(range(500, 1000))


def test_census_counts_dependents_and_urban_residents():
    pop = make_population(
        3, district=[0, 0, 1], dependents=[2, 0, 1], urban=[1, 0, 1], permit_years=[1, 0, 0]
    )
    c = population.census(pop, 2, ppa=10)
    assert c["non_hukou"].tolist() == [40.0, 20.0]
    assert c["urban_non_hukou"].tolist() == [30.0, 20.0]
    assert c["permit_heads"].tolist() == [10.0, 0.0]


def test_bernoulli_rows_draws_each_row_with_the_given_probability():
    rng = np.random.default_rng(3)
    n, p = 200_000, 0.02
    counts = np.zeros(n)
    for _ in range(20):
        rows = population.bernoulli_rows(rng, n, p)
        assert np.all(np.diff(rows) > 0)
        assert rows.min() >= 0
        assert rows.max() < n
        counts[rows] += 1
    assert counts.mean() / 20 == pytest.approx(p, rel=0.02)
    halves = counts[: n // 2].sum(), counts[n // 2 :].sum()
    assert halves[0] == pytest.approx(halves[1], rel=0.03)  # no drift along the rows
    assert len(population.bernoulli_rows(rng, 10, 0.0)) == 0
    assert population.bernoulli_rows(rng, 10, 1.0).tolist() == list(range(10))
