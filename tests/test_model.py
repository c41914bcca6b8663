"""Invariants of whole runs on the tiny two-district city: the accounts, quotas, land, seeds."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest

import simulation
from simulation import checks, engine, numeric, population, synthesis

TINY = Path(__file__).parent / "data" / "tiny" / "tiny.toml"
CHILD = TINY.with_name("child.toml")


@pytest.fixture(scope="module")
def scenario():
    return simulation.load_scenario(TINY)


@pytest.fixture(scope="module")
def table(scenario):
    return simulation.run(scenario).table


def series(table, variable, district="ALL"):
    return table.select(variable, district)[1]


def test_registration_and_residence_agree_for_the_city(table):
    """Registered persons are counted where registered and where they live: the city totals
    of the two must agree, and residents are registered residents plus the non-registered."""
    np.testing.assert_allclose(series(table, "hukou_population"), series(table, "hukou_residents"))
    for d in ("Core", "Edge", "ALL"):
        np.testing.assert_allclose(
            series(table, "resident_population", d),
            series(table, "hukou_residents", d) + series(table, "non_hukou_population", d),
        )
    np.testing.assert_allclose(
        series(table, "settled_total"), series(table, "settled_by_residence")
    )


def test_quotas_are_never_exceeded_and_bind_somewhere(scenario, table):
    for d, quota in zip(("Core", "Edge"), scenario.channels.talent.quota, strict=True):
        assert np.all(series(table, "settled_talent", d) <= quota)
        assert np.any(series(table, "settled_talent", d) == quota)
    assert np.all(series(table, "settled_points") <= scenario.channels.points.quota)
    assert np.all(series(table, "settled_special") <= scenario.channels.special.quota)


def test_central_district_gets_no_land(table):
    assert np.all(series(table, "land_standard_m2_per_person", "Core") == 0)
    assert np.all(series(table, "linked_land_ha", "Core") == 0)
    assert np.all(series(table, "settled_total", "Core") > 0)


def test_land_stays_between_zero_and_its_ceiling_and_grows_by_new_land(table):
    land = series(table, "urban_construction_land_ha", "Edge")
    assert np.all(land >= 0)
    assert np.all(land <= series(table, "land_ceiling_ha", "Edge") + 1e-9)
    new = (
        series(table, "linked_plan_quota_ha", "Edge")
        + series(table, "linked_rural_exit_ha", "Edge")
        + series(table, "other_land_granted_ha", "Edge")
    )
    np.testing.assert_allclose(np.diff(land), new)


def test_the_standard_follows_last_years_per_capita_land(table):
    per_capita = series(table, "construction_land_per_capita_m2", "Edge")[:-1]
    standard = series(table, "land_standard_m2_per_person", "Edge")
    expected = np.where(per_capita <= 100, 100, np.where(per_capita <= 150, 80, 50))
    np.testing.assert_array_equal(standard, expected)
    assert {80.0, 100.0} <= set(standard.tolist())  # the tiny city crosses a tier mid-run


def test_the_tiny_city_hits_both_supply_and_ceiling_limits(table):
    limits = set(series(table, "land_binding_limit", "Edge").tolist())
    assert {1.0, 2.0} <= limits


def test_core_settlers_need_more_renewal_than_its_half_hectare_a_year(table):
    """Core is central: no new land, and its settlers need 55 m2 each (30 housing, 25
    services) of renewal land, of which it has 0.5 ha a year; more than 91 settlers a year
    need more than that, so renewal supply binds every year and the rest is not met."""
    counted = series(table, "settled_counted_for_land", "Core")
    assert np.all(counted > 91)
    need = series(table, "central_renewal_need_ha", "Core")
    np.testing.assert_allclose(need, counted * 55 / 10_000)
    np.testing.assert_allclose(series(table, "central_renewal_ha", "Core"), 0.5)
    np.testing.assert_allclose(series(table, "central_renewal_shortfall_ha", "Core"), need - 0.5)
    assert set(series(table, "land_binding_limit", "Core").tolist()) == {4.0}  # renewal
    np.testing.assert_array_equal(series(table, "land_shortfall_ha", "Core"), 0)  # no entitlement
    np.testing.assert_array_equal(series(table, "central_renewal_need_ha", "Edge"), 0)


def test_same_seed_same_table_different_seed_different_table(scenario, table):
    again = simulation.run(scenario).table
    assert again.to_csv() == table.to_csv()
    other = simulation.run(scenario, seed=scenario.seed + 1).table
    assert other.to_csv() != table.to_csv()


def test_scenarios_differing_in_one_channel_share_their_other_draws():
    """Common random numbers: who leaves, and when, does not depend on who settled."""
    base, _ = engine.run_model(simulation.load_scenario(TINY))
    child, _ = engine.run_model(simulation.load_scenario(CHILD))

    def present(model):
        return set(model.pop.id[model.pop.status == 0].tolist())

    def settled(model):
        return set(np.concatenate([np.zeros(0, dtype=np.int64), *model.settled_ids]).tolist())

    assert settled(base) != settled(child)
    never_settled_in_other = present(base) - settled(child)
    assert never_settled_in_other == present(child) - settled(base)
    assert len(never_settled_in_other) > 10_000


def test_rows_keep_the_order_in_which_heads_arrived():
    """The year-end count of arrivals takes the rows from the first arrival after the year's
    start on: it needs rows in arrival order through every append and compaction."""
    model, _ = engine.run_model(simulation.load_scenario(TINY))
    arrived = model.pop.arrived_at
    assert arrived.max() > arrived.min()  # arrivals of several years are still here
    assert np.all(np.diff(arrived) >= 0)


@pytest.mark.parametrize("cores", [1, 2])
def test_passes_over_every_head_give_the_same_run_in_any_size_of_piece(monkeypatch, cores):
    """Ageing, the census, compaction, eligibility and the due list go through the rows a
    piece at a time, and new heads are drawn a block at a time; pieces of 997 rows and blocks
    of 1,000 heads (the tiny city has several thousand), shared among threads or not, change
    nothing."""
    s = simulation.load_scenario(TINY)
    whole = simulation.run(s).table.to_csv()
    monkeypatch.setattr(population, "ROWS_AT_ONCE", 997)
    monkeypatch.setattr(population, "THREADS_FROM", 0)
    monkeypatch.setattr(synthesis, "BLOCK", 1000)
    monkeypatch.setattr(synthesis, "AHEAD_FROM", 2)
    monkeypatch.setattr(numeric, "cores", lambda: cores)
    assert engine.Model(s).pop.n > 3 * 997
    assert simulation.run(s).table.to_csv() == whole


def test_closing_the_collective_hukou_fallback_lowers_settlement(scenario, table):
    reforms = dataclasses.replace(scenario.reforms, collective_hukou_fallback=False)
    closed = simulation.run(dataclasses.replace(scenario, reforms=reforms)).table
    assert series(closed, "settled_total").sum() < series(table, "settled_total").sum()


def test_targets_are_checked_every_year(table, scenario):
    met = series(table, "target_hukou_population_met")
    hukou = series(table, "hukou_population")
    target = scenario.targets.hukou_population * (1 - scenario.targets.hukou_population_tolerance)
    np.testing.assert_array_equal(met, (hukou >= target).astype(float))
    assert 0 < met.sum() < len(met)  # the tiny city crosses its target during the run


def test_persons_per_agent_scales_people_not_results(scenario):
    coarse = dataclasses.replace(scenario, persons_per_agent=5)
    table = simulation.run(coarse).table
    settled = series(table, "settled_talent", "Edge")
    assert np.all(settled % 5 == 0)
    assert np.all(settled <= scenario.channels.talent.quota[1])
    start = table.value_at("resident_population", scenario.base_year, "ALL")
    assert abs(start - 50_000) < 2 * 5  # each district loses less than one agent to rounding


def test_settling_moves_nobody(scenario):
    """With no flows, settlement changes who is registered but not where anyone lives."""
    flows = dataclasses.replace(
        scenario.flows,
        arrivals_per_year=0,
        departure_rate=0,
        hukou_natural_growth=0,
        return_age=200,
    )
    table = simulation.run(dataclasses.replace(scenario, flows=flows)).table
    assert series(table, "settled_total").sum() > 0
    for d in ("Core", "Edge", "ALL"):
        np.testing.assert_allclose(np.diff(series(table, "resident_population", d)), 0)
        np.testing.assert_allclose(np.diff(series(table, "urban_resident_population", d)), 0)


def test_policy_approval_rate_is_the_share_of_cases_approved(scenario):
    def policy_settled(rate):
        policy = dataclasses.replace(scenario.channels.policy, approval_rate=rate)
        channels = dataclasses.replace(scenario.channels, policy=policy)
        run = simulation.run(dataclasses.replace(scenario, channels=channels))
        return series(run.table, "settled_policy").sum()

    assert policy_settled(0.5) / policy_settled(1.0) == pytest.approx(0.5, abs=0.08)


def test_base_year_land_per_urban_resident_does_not_depend_on_the_seed(scenario):
    values = {
        simulation.run(scenario, seed=seed).table.value_at(
            "construction_land_per_capita_m2", 2017, "Edge"
        )
        for seed in range(4)
    }
    assert max(values) - min(values) < 0.05


def test_binding_quotas_admit_the_same_number_at_any_persons_per_agent(scenario, table):
    coarse = simulation.run(dataclasses.replace(scenario, persons_per_agent=5)).table
    np.testing.assert_array_equal(
        series(coarse, "settled_talent", "Edge"), series(table, "settled_talent", "Edge")
    )


def test_a_window_at_the_moment_of_a_flow_step_sees_that_steps_arrivals(scenario):
    """Events at one moment: arrivals and departures first, then applications."""

    def policy_settled(windows):
        schedule = dataclasses.replace(scenario.channels.policy.schedule, windows=windows)
        policy = dataclasses.replace(scenario.channels.policy, schedule=schedule)
        channels = dataclasses.replace(scenario.channels, policy=policy)
        run = simulation.run(dataclasses.replace(scenario, channels=channels))
        return series(run.table, "settled_policy").sum()

    at_steps = policy_settled((0.125, 0.375, 0.625, 0.875))
    just_after = policy_settled((0.126, 0.376, 0.626, 0.876))
    assert at_steps == pytest.approx(just_after, rel=0.03)


def test_a_few_more_arrivals_change_settlement_only_a_little():
    """Common random numbers survive a change in the number of arrivals: the heads both runs
    share keep their draws, so a hundred more arrivals a year (one more head a year in a few
    districts at 100 persons a head) moves each year's settlement by a few heads, not by
    redrawing every arrival (which moved it by up to 8 % before arrivals kept their draws)."""
    plan = Path(__file__).parents[1] / "scenarios" / "guangzhou" / "plan_2017.toml"
    s = simulation.load_scenario(plan, {"persons_per_agent": 100})
    base = simulation.run(s, seed=3).table
    arrivals = s.flows.arrivals_per_year + 100
    more = simulation.run(s.with_values({"flows.arrivals_per_year": arrivals}), seed=3).table
    settled, changed = series(base, "settled_total"), series(more, "settled_total")
    assert np.abs(changed - settled).max() <= 0.01 * settled.min()


_SWITCH = getattr(np._core.multiarray, "_set_madvise_hugepage", None)
needs_switch = pytest.mark.skipif(_SWITCH is None, reason="this numpy has no huge-page switch")


def _advised() -> bool:
    current = _SWITCH(True)
    _SWITCH(current)
    return bool(current)


@pytest.fixture
def caller_advice():
    """Set the caller's huge-page advice for a test and put the real one back after."""
    before = _SWITCH(True)
    yield _SWITCH
    _SWITCH(before)


@pytest.fixture
def advice_in_runs(monkeypatch):
    """The huge-page advice as each run found it, run after run."""
    seen = []
    run_model = engine.run_model

    def spy(s):
        seen.append(_advised())
        return run_model(s)

    monkeypatch.setattr(engine, "run_model", spy)
    return seen


@needs_switch
@pytest.mark.parametrize("advised", [True, False])
def test_a_run_leaves_numpy_huge_page_advice_as_it_found_it(
    monkeypatch, caller_advice, advice_in_runs, advised
):
    """Runs turn numpy's huge-page advice off while they allocate, and give it back, also
    when the run fails."""
    monkeypatch.setattr(engine, "SMALL_PAGES_FROM_MIB", 0.0)  # the tiny city counts as large
    caller_advice(advised)
    engine.simulate(simulation.load_scenario(TINY))
    assert advice_in_runs == [False]  # off within the run
    assert _advised() is advised  # the caller's setting is back

    def fails(s):
        raise RuntimeError("stopped")

    monkeypatch.setattr(engine, "run_model", fails)
    with pytest.raises(RuntimeError, match="stopped"):
        engine.simulate(simulation.load_scenario(TINY))
    assert _advised() is advised


@needs_switch
def test_a_small_run_leaves_huge_page_advice_alone(caller_advice, advice_in_runs):
    caller_advice(True)
    s = simulation.load_scenario(TINY)
    assert checks.memory_mib(s) < engine.SMALL_PAGES_FROM_MIB
    engine.simulate(s)
    assert advice_in_runs == [True]


@needs_switch
def test_runs_overlapping_in_threads_keep_huge_pages_off_until_the_last_ends(caller_advice):
    caller_advice(True)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with numeric.small_pages():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with numeric.small_pages():
            second_in.set()
            first_out.wait(5)
            seen["after the first ended"] = _advised()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"after the first ended": False}
    assert _advised() is True
