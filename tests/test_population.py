"""Non-registered residents as arrays: synthesis, arrivals, ageing, compaction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import numeric, population, synthesis
from simulation.config import PopulationParams
from simulation.hazard import Hazard
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


@pytest.mark.parametrize("many_heads", [0, 10**9])  # counting keys, summing weights
def test_persons_by_district_count_each_household_whole(monkeypatch, many_heads):
    monkeypatch.setattr(population, "MANY_HEADS", many_heads)
    pop = make_population(4, district=[0, 1, 1, 0], dependents=[0, 2, 1, 127], reg_district=2)
    heads = np.array([0, 1, 3])
    by_home = population.persons_by_district(pop, heads, 10, 3)
    assert by_home.tolist() == [(1 + 128) * 10, 3 * 10, 0]
    by_registration = population.persons_by_district(pop, heads, 10, 3, by="reg_district")
    assert by_registration.tolist() == [0, 0, (1 + 3 + 128) * 10]
    rows = population.persons_by_district(pop, slice(1, 4), 10, 3)  # a slice of rows
    assert rows.tolist() == [128 * 10, (3 + 2) * 10, 0]


def test_reserved_rows_filled_in_place_become_heads_step_by_step():
    pop = make_population(2, age=[20, 30])
    room = pop.reserve(3)
    room["age"][:] = [40, 50, 60]
    room["status"][:] = ACTIVE
    assert pop.n == 2  # filled rows are not heads yet
    with pytest.raises(RuntimeError):
        pop.compact()  # rows must not move while some are reserved
    pop.extend(1)
    assert pop.age.tolist() == [20, 30, 40]
    pop.extend(2)
    assert pop.age.tolist() == [20, 30, 40, 50, 60]
    with pytest.raises(RuntimeError):
        pop.extend(1)  # nothing reserved is left


def test_reserving_beyond_the_room_grows_the_columns_and_keeps_the_heads():
    pop = population.Population.empty(2)
    room = pop.reserve(2)
    room["age"][:] = [20, 30]
    pop.extend(2)
    more = pop.reserve(population.Population.room(2) + 5)
    more["age"][:] = 50
    pop.extend(len(more["age"]))
    assert pop.age[:3].tolist() == [20, 30, 50]
    assert pop.n == 2 + population.Population.room(2) + 5


def spec(params=None, n=1, **kw):
    values = {
        "params": params or PopulationParams(),
        "names": tuple(f"d{i}" for i in range(n)),
        "agri_share": 0.3,
        "work_weights": np.full(n, 1 / n),
        "leave": Hazard([0.1]),
        "permit": Hazard([0.15]),
        "insurance": Hazard([0.05]),
        "permit_delay": 0.5,
        **kw,
    }
    return synthesis.HeadSpec(**values)


def synthesize(stock, urban, ppa=1, seed=1, params=None):
    return synthesis.synthesize(Streams(seed), spec(params, len(stock)), stock, urban, ppa)


def test_synthesis_matches_each_districts_stock_to_within_one_agent():
    stock = np.array([10_007.0, 25_000.0, 0.0])
    for ppa in (1, 3, 10):
        persons = population.census(synthesize(stock, stock / 2, ppa), 3, ppa)["non_hukou"]
        assert np.all(np.abs(persons - stock) < ppa)


def test_synthesis_matches_urban_residents_to_within_one_household_whatever_the_seed():
    stock, urban = np.array([10_000.0, 30_000.0]), np.array([10_000.0, 12_345.0])
    for seed in range(4):
        pop = synthesize(stock, urban, seed=seed)
        counted = population.census(pop, 2, 1)["urban_non_hukou"]
        assert counted[0] == 10_000
        assert 0 <= urban[1] - counted[1] <= 1 + pop.dependents.max()


def test_synthesised_attributes_follow_their_shares():
    p = PopulationParams()
    pop = synthesize(np.array([200_000.0]), np.array([160_000.0]), seed=2)
    shares = np.bincount(pop.education, minlength=4) / pop.n
    np.testing.assert_allclose(shares, p.education_shares, atol=0.01)
    assert abs(pop.willing.mean() - p.willing_share) < 0.01
    assert abs(pop.urban.mean() - 0.8) < 0.01
    assert pop.age.min() >= p.age_band_edges[0]
    assert pop.age.max() < p.age_band_edges[-1]
    assert not pop.graduate.any()  # pending policy cases settled before the base year
    assert np.all(pop.insurance_years[~pop.insured] == 0)


def test_departure_among_due_heads_takes_those_whose_time_has_come_and_are_here():
    pop = make_population(5, leave_at=[0.2, 0.6, 0.4, 0.1, 0.9], status=[0, 0, 0, SETTLED, 0])
    due = np.array([0, 1, 2, 3, 4])
    times = pop.leave_at[due].copy()
    times[4] = 0.3  # the times given are the ones that count, not the column
    assert population.depart(pop, 0.5, due, times).tolist() == [0, 2, 4]
    assert pop.status.tolist() == [DEPARTED, ACTIVE, DEPARTED, SETTLED, DEPARTED]
    assert pop.left_at[[0, 2, 4]].tolist() == [0.5, 0.5, 0.5]


def test_ageing_adds_tenure_and_sends_heads_home_at_the_return_age():
    pop = make_population(
        3,
        age=[30, 59, 40],
        permit_years=[2, 0, 0],
        permit_at=[np.inf, np.inf, 2.5],
        insured=[True, False, False],
        insured_at=[np.inf, 2.9, np.inf],
        applied=True,
    )
    leaving = population.age_one_year(pop, 3.0, return_age=60)
    assert pop.age.tolist() == [31, 60, 41]
    assert pop.permit_years.tolist() == [3, 0, 1]  # the third head's permit came during the year
    assert pop.insurance_years.tolist() == [1, 0, 0]
    assert pop.insured.tolist() == [True, True, False]
    assert leaving.tolist() == [1]
    assert pop.status[1] == DEPARTED
    assert not pop.applied.any()


def test_departures_take_active_heads_whose_time_has_come():
    pop = make_population(4, leave_at=[0.5, 0.5, 2.0, np.inf], status=[0, SETTLED, 0, 0])
    assert population.depart(pop, 1.0).tolist() == [0]
    assert population.depart(pop, 2.0).tolist() == [2]


def test_district_shares_replace_the_citywide_ones_where_given():
    params = PopulationParams(by_district=(("d1", "education_shares", (0.0, 0.0, 0.0, 1.0)),))
    pop = synthesize(np.array([50_000.0, 50_000.0]), np.array([0.0, 0.0]), params=params)
    in_d1 = pop.district == 1
    assert np.all(pop.education[in_d1] == 3)
    shares = np.bincount(pop.education[~in_d1], minlength=4) / (~in_d1).sum()
    np.testing.assert_allclose(shares, params.education_shares, atol=0.01)


def test_arrivals_hold_no_permit_and_can_have_one_only_after_half_a_year():
    s = spec(permit=Hazard([0.9]))
    cohort = synthesis.Cohort(2.25, 0, np.zeros(20_000, dtype=np.int64), np.ones(1), False)
    heads = synthesis.draw_heads(Streams(3), ("a",), s, cohort)
    assert not heads["permit_years"].any()
    assert heads["permit_at"].min() >= 2.75
    base = synthesis.Cohort(0.0, 0, np.zeros(20_000, dtype=np.int64), np.ones(1), True)
    held = synthesis.draw_heads(Streams(3), ("b",), s, base)["permit_years"]
    assert (held > 0).mean() == pytest.approx(PopulationParams().permit_share, abs=0.02)


def test_some_heads_work_outside_their_home_district():
    s = spec(PopulationParams(works_in_home_district=0.6), n=2, work_weights=np.array([0, 1.0]))
    cohort = synthesis.Cohort(1.0, 0, np.zeros(50_000, dtype=np.int64), np.ones(2), False)
    work = synthesis.draw_heads(Streams(4), ("w",), s, cohort)["work_district"]
    assert (work == 1).mean() == pytest.approx(0.4, abs=0.01)  # only d1 takes commuters


def test_census_counts_dependents_and_urban_residents():
    pop = make_population(
        3, district=[0, 0, 1], dependents=[2, 0, 1], urban=[1, 0, 1], permit_years=[1, 0, 0]
    )
    c = population.census(pop, 2, ppa=10)
    assert c["non_hukou"].tolist() == [40.0, 20.0]
    assert c["urban_non_hukou"].tolist() == [30.0, 20.0]
    assert c["permit_heads"].tolist() == [10.0, 0.0]


def test_a_population_survives_pickling_for_worker_processes():
    import pickle

    pop = make_population(5, age=[20, 21, 22, 23, 24])
    pop.age[0] = 20  # the column is read as an attribute before pickling
    copy = pickle.loads(pickle.dumps(pop))
    assert copy.age.tolist() == [20, 21, 22, 23, 24]
    copy.age += 1
    assert pop.age[0] == 20
    assert copy.columns["age"][:5].tolist() == [21, 22, 23, 24, 25]  # a view, not a copy


def test_columns_read_as_attributes_follow_new_rows_and_grown_columns():
    pop = make_population(2, age=[20, 30])
    assert pop.age.tolist() == [20, 30]
    room = pop.reserve(1000)  # more than the room made: every column is copied and grown
    room["age"][:2] = [40, 50]
    pop.extend(2)
    pop.age[0] = 21
    assert pop.columns["age"][:4].tolist() == [21, 30, 40, 50]
    assert pop.age.tolist() == [21, 30, 40, 50]


def test_the_graduate_route_lasts_a_year_from_arrival():
    pop = make_population(2, graduate=True, arrived_at=[0.2, 0.9])
    population.age_one_year(pop, 1.0, return_age=60)
    assert pop.graduate.tolist() == [True, True]
    population.age_one_year(pop, 2.0, return_age=60)
    assert pop.graduate.tolist() == [False, False]


def passes_in_pieces(monkeypatch, rows_at_once: int, cores: int) -> None:
    """Passes over the rows go `rows_at_once` rows at a time, on threads when `cores` > 1."""
    monkeypatch.setattr(population, "ROWS_AT_ONCE", rows_at_once)
    monkeypatch.setattr(population, "THREADS_FROM", 0)
    monkeypatch.setattr(numeric, "cores", lambda: cores)


@pytest.mark.parametrize("rows_at_once", [population.ROWS_AT_ONCE, 4, 1])
@pytest.mark.parametrize("cores", [1, 2])
def test_compaction_in_pieces_keeps_active_heads_in_order(monkeypatch, rows_at_once, cores):
    passes_in_pieces(monkeypatch, rows_at_once, cores)
    pop = make_population(10, age=np.arange(20, 30), urban=[1, 0] * 5)
    pop.status[[0, 3, 4, 9]] = [SETTLED, DEPARTED, SETTLED, DEPARTED]
    pop.compact()
    assert pop.age.tolist() == [21, 22, 25, 26, 27, 28]
    assert pop.urban.tolist() == [False, True, False, True, False, True]


@pytest.mark.parametrize("rows_at_once", [population.ROWS_AT_ONCE, 4, 1])
@pytest.mark.parametrize("cores", [1, 2])
def test_census_counts_large_households_exactly(monkeypatch, rows_at_once, cores):
    passes_in_pieces(monkeypatch, rows_at_once, cores)
    pop = make_population(
        6,
        district=[0, 0, 1, 1, 1, 0],
        dependents=[0, 20, 3, 40, 1, 16],
        urban=[1, 1, 0, 1, 0, 0],
        permit_years=[1, 0, 2, 0, 0, 3],
        status=[0, 0, 0, 0, SETTLED, 0],
    )
    c = population.census(pop, 2, ppa=10)
    assert c["non_hukou"].tolist() == [390.0, 450.0]  # (1 + 21 + 17) and (4 + 41) persons
    assert c["urban_non_hukou"].tolist() == [220.0, 410.0]
    assert c["permit_heads"].tolist() == [20.0, 10.0]


def test_dependents_follow_their_poisson_distribution():
    s = spec(PopulationParams(mean_dependents=1.5))
    cohort = synthesis.Cohort(1.0, 0, np.zeros(200_000, dtype=np.int64), np.ones(1), False)
    dependents = synthesis.draw_heads(Streams(6), ("d",), s, cohort)["dependents"]
    assert dependents.mean() == pytest.approx(1.5, abs=0.01)
    assert dependents.var() == pytest.approx(1.5, abs=0.03)
    assert (dependents == 0).mean() == pytest.approx(np.exp(-1.5), abs=0.005)


def test_a_head_keeps_its_draws_when_a_share_or_mean_changes():
    """Common random numbers: changing one parameter changes only what it governs."""
    cohort = synthesis.Cohort(1.0, 0, np.zeros(5_000, dtype=np.int64), np.ones(1), False)
    base = synthesis.draw_heads(Streams(7), ("c",), spec(PopulationParams()), cohort)
    other = PopulationParams(willing_share=0.9, mean_dependents=2.0)
    changed = synthesis.draw_heads(Streams(7), ("c",), spec(other), cohort)
    for name in ("age", "education", "lottery", "leave_at", "insured", "tax"):
        np.testing.assert_array_equal(base[name], changed[name])
    assert changed["willing"].sum() > base["willing"].sum()
    assert np.all(changed["willing"] >= base["willing"])  # the same draws, a higher bar


def test_a_head_keeps_its_draws_when_more_heads_arrive_beside_it():
    """The n-th head of a district gets the same draws however many heads its cohort has, in
    its district or in others, and however the cohort falls into blocks."""
    s = spec(n=3)

    def cohort(sizes):
        district = np.repeat(np.arange(3), sizes)
        return synthesis.Cohort(1.0, 0, district, np.full(3, 0.5), False)

    small = synthesis.draw_heads(Streams(8), ("x",), s, cohort([5_000, 0, 3_000]))
    large = synthesis.draw_heads(
        Streams(8), ("x",), s, cohort([5_001, 70_000, synthesis.BLOCK + 10])
    )
    first = np.r_[0:5_000]
    third_small, third_large = np.r_[5_000:8_000], np.r_[75_001 : 75_001 + 3_000]
    for name in ("age", "education", "lottery", "leave_at", "insured", "dependents", "urban"):
        np.testing.assert_array_equal(small[name][first], large[name][first])
        np.testing.assert_array_equal(small[name][third_small], large[name][third_large])


# Blocks drawn ahead on a second thread, or not; or a cohort of one block.
@pytest.mark.parametrize(("cores", "large"), [(1, True), (2, True), (1, False)])
def test_each_head_reads_its_draws_from_its_place_in_its_district_stream(monkeypatch, cores, large):
    """Head j of a district takes draw r at chunk j // CHUNK, row r, column j % CHUNK of its
    district's stream, however the cohort interleaves districts and falls into blocks (or is
    one block, each district's draws taken at once)."""
    monkeypatch.setattr(numeric, "cores", lambda: cores)
    monkeypatch.setattr(synthesis, "AHEAD_FROM", 2)
    s = spec(n=3)  # district 1 has no heads
    chunk, width = synthesis.CHUNK, len(synthesis.DRAWS)
    many = synthesis.BLOCK + 7 if large else 9 * chunk + 3  # the latter drawn raw-made at once
    sizes = [(0, 2 * chunk + 5), (2, 1), (0, chunk - 1), (2, many), (0, 40), (2, chunk)]
    district = np.concatenate([np.full(k, d, dtype=np.int16) for d, k in sizes])
    cohort = synthesis.Cohort(1.0, 0, district, np.full(3, 0.5), False)
    heads = synthesis.draw_heads(Streams(9), ("y",), s, cohort)
    for d in (0, 2):
        mine = np.flatnonzero(district == d)
        chunks = -(-len(mine) // chunk)
        stream = Streams(9)("y", f"d{d}").random(chunks * width * chunk, dtype=np.float32)
        for name in ("lottery", "approval"):  # kept as drawn
            row = synthesis.ROW[name]
            expected = stream.reshape(chunks, width, chunk)[:, row, :].ravel()[: len(mine)]
            np.testing.assert_array_equal(heads[name][mine], expected)


def test_a_cohort_without_heads_draws_none():
    cohort = synthesis.Cohort(1.0, 0, np.zeros(0, dtype=np.int16), np.full(2, 0.5), False)
    heads = synthesis.draw_heads(Streams(10), ("e",), spec(n=2), cohort)
    assert all(len(column) == 0 for column in heads.values())


def test_uniforms_are_the_numbers_the_generator_draws_one_after_another():
    """Small and large draws, raw-made or not, continue one stream exactly as numpy's own
    float32 draws do."""
    many = (9, 30, synthesis.CHUNK)
    # an odd count leaves half of a raw output over, which the next draw starts with
    shapes = [(3, 4), (2, 30, synthesis.CHUNK), many, (1, 7), many, (1, 1), many]
    assert math.prod(many) >= synthesis.RAW_FROM  # raw-made at least once
    bits = np.random.PCG64(np.random.SeedSequence(11))
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(11)))
    for i, shape in enumerate(shapes):
        out = np.full(shape, np.nan, dtype=np.float32) if i % 2 == 0 else None  # or into `out`
        got = synthesis.uniforms(bits, shape, out=out)
        assert got.shape == shape
        assert got.dtype == np.float32
        assert out is None or got is out
        np.testing.assert_array_equal(got, expected.random(shape, dtype=np.float32))
    other = np.random.Philox(3)  # raw outputs of other generators are not used
    np.testing.assert_array_equal(
        synthesis.uniforms(other, many),
        np.random.Generator(np.random.Philox(3)).random(many, dtype=np.float32),
    )


def test_exponential_waits_from_uniforms_have_the_standard_distribution():
    e = synthesis.exponential(np.random.default_rng(2).random(400_000, dtype=np.float32))
    assert e.mean() == pytest.approx(1.0, abs=0.01)
    assert (e > 2.0).mean() == pytest.approx(np.exp(-2.0), abs=0.002)
    assert e.min() >= 0
