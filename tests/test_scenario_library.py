"""The Guangzhou scenario library: each scenario's defining difference shows in its output.

Every scenario runs beside the plan on the same seed (common random numbers), at a coarse
persons_per_agent and to 2022, so that a difference is the policy's, not the draws'.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulation

HERE = Path(__file__).resolve().parents[1] / "scenarios" / "guangzhou"
FAST = {"persons_per_agent": 50, "horizon": 2022}
PRIORITY = ("Huangpu", "Huadu", "Nansha", "Zengcheng")


@pytest.fixture(scope="module")
def plan():
    return simulation.run(simulation.load_scenario(HERE / "plan_2017.toml", FAST)).table


def run(name: str):
    return simulation.run(simulation.load_scenario(HERE / f"{name}.toml", FAST)).table


def total(table, variable, district="ALL"):
    return float(table.select(variable, district)[1].sum())


def test_every_scenario_of_the_library_loads_and_says_what_it_asks():
    for path in sorted(HERE.glob("*.toml")):
        if path.name in ("plan_2017.toml", "calibration.toml"):
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# "), f"{path.name} starts without the question it answers"
        assert "extends" in path.read_text(encoding="utf-8")
        simulation.load_scenario(path)


def test_talent_focus_doubles_the_priority_districts_quota(plan):
    focus = run("talent_focus_districts")
    for d in PRIORITY:
        released = focus.select("quota_released_talent", d)[1]
        np.testing.assert_allclose(released, 2 * plan.select("quota_released_talent", d)[1])
        assert total(focus, "settled_talent", d) > total(plan, "settled_talent", d)
    other = focus.select("quota_released_talent", "Tianhe")[1]
    np.testing.assert_allclose(other, plan.select("quota_released_talent", "Tianhe")[1])


def test_points_expansion_admits_more_through_points(plan):
    points = run("points_expansion")
    years, settled = points.select("settled_points")
    assert settled[years == 2019][0] > plan.value_at("settled_points", 2019)
    assert total(points, "settled_points") > total(plan, "settled_points")


def test_without_linkage_land_follows_prior_shares_not_settlers(plan):
    shares = run("no_linkage")
    # The same city entitlement, spread by the base-year construction land of the outer
    # districts, so each district's share of it is the same every year.
    by_district = np.array(
        [shares.select("land_entitlement_ha", d)[1] for d in shares.districts[:-1]]
    )
    fractions = by_district / by_district.sum(axis=0)
    assert np.allclose(fractions, fractions[:, :1])
    np.testing.assert_allclose(
        shares.select("land_entitlement_ha")[1], plan.select("land_entitlement_ha")[1]
    )
    planned = np.array([plan.select("land_entitlement_ha", d)[1] for d in plan.districts[:-1]])
    assert not np.allclose(planned / planned.sum(axis=0), fractions)


def test_strict_core_gives_baiyun_and_panyu_no_new_land_for_settlers(plan):
    strict = run("strict_core")
    for d in ("Baiyun", "Panyu"):
        assert total(strict, "linked_land_ha", d) == 0
        assert total(plan, "linked_land_ha", d) > 0
        assert total(strict, "central_renewal_ha", d) > 0  # housed through renewal instead


def test_the_plans_central_districts_need_more_renewal_land_than_they_have(plan):
    """At 55 m2 a settler, the central districts' settlers need more than the renewal land the
    plan file gives them (ha a year): all of it goes to them, and renewal binds every year."""
    supply = {"Liwan": 13.2, "Yuexiu": 7.6, "Haizhu": 20.2, "Tianhe": 21.6}
    for d, renewal in supply.items():
        need = plan.select("central_renewal_need_ha", d)[1]
        assert np.all(need > renewal)
        np.testing.assert_allclose(plan.select("central_renewal_ha", d)[1], renewal)
        np.testing.assert_allclose(
            plan.select("central_renewal_shortfall_ha", d)[1], need - renewal
        )
        assert set(plan.select("land_binding_limit", d)[1].tolist()) == {4}  # renewal


def test_high_inflow_brings_more_arrivals_and_more_non_registered(plan):
    high = run("high_inflow")
    assert total(high, "arrivals") == pytest.approx(1.3 * total(plan, "arrivals"), rel=0.01)
    assert high.value_at("non_hukou_population", 2022) > plan.value_at("non_hukou_population", 2022)


def test_low_willingness_settles_fewer(plan):
    low = run("low_willingness")
    assert total(low, "settled_total") < total(plan, "settled_total")


def test_rural_exit_first_meets_linked_land_from_rural_land(plan):
    rural = run("rural_exit")
    assert total(rural, "linked_rural_exit_ha") > 5 * total(plan, "linked_rural_exit_ha") + 1
    # The plan quota it saves goes to other demand.
    assert total(rural, "other_land_granted_ha") > total(plan, "other_land_granted_ha")
