"""Urbanization, fiscal indicators and targets (plan §1, §6, §10-§17)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import indicators
from simulation.config import FiscalParams, Targets

HUKOU = np.array([100.0, 300.0])
URBAN_HUKOU = np.array([100.0, 150.0])
NON_HUKOU = np.array([100.0, 100.0])
URBAN_NON_HUKOU = np.array([100.0, 50.0])


def rates(denominator: str = "hukou") -> dict[str, np.ndarray]:
    return indicators.urbanization(
        HUKOU, URBAN_HUKOU, HUKOU, URBAN_HUKOU, NON_HUKOU, URBAN_NON_HUKOU, denominator
    )


def test_residents_count_registered_persons_where_they_live():
    # 50 registered in district 1 (urban addresses) live in district 0, in urban areas.
    out = indicators.urbanization(
        HUKOU,
        URBAN_HUKOU,
        np.array([150.0, 250.0]),
        np.array([150.0, 100.0]),
        NON_HUKOU,
        URBAN_NON_HUKOU,
        "hukou",
    )
    np.testing.assert_allclose(out["hukou_population"], [100, 300, 400])
    np.testing.assert_allclose(out["resident_population"], [250, 350, 600])
    np.testing.assert_allclose(out["hukou_urbanization_rate"], [100, 50, 62.5])
    np.testing.assert_allclose(out["resident_urbanization_rate"], [100, 150 / 3.5, 400 / 6])


def test_rates_per_district_and_for_the_city_from_city_sums():
    r = rates()
    np.testing.assert_allclose(r["resident_population"], [200, 400, 600])
    np.testing.assert_allclose(r["resident_urbanization_rate"], [100, 50, 400 / 6])
    np.testing.assert_allclose(r["hukou_urbanization_rate"], [100, 50, 62.5])
    np.testing.assert_allclose(
        r["urbanization_gap_pp"], r["resident_urbanization_rate"] - r["hukou_urbanization_rate"]
    )


def test_the_national_definition_divides_by_residents():
    np.testing.assert_allclose(rates("resident")["hukou_urbanization_rate"], [50, 37.5, 250 / 6])


def test_fiscal_and_service_needs_scale_with_settlers():
    p = FiscalParams(
        reward_per_person_yuan=1000,
        public_cost_per_person_yuan=10,
        child_share_of_dependents=0.5,
        school_age_share_of_children=0.5,
        affordable_housing_share=0.25,
        insurance_enrolment_share=1.0,
    )
    out = indicators.fiscal(np.array([30.0, 10.0]), np.array([20.0, 8.0]), np.array([10.0, 2.0]), p)
    np.testing.assert_allclose(out["reward_fund_yuan"], [30_000, 10_000, 40_000])
    np.testing.assert_allclose(out["school_places_demand"], [2.5, 0.5, 3.0])
    np.testing.assert_allclose(out["affordable_housing_units"], [5, 2, 7])
    np.testing.assert_allclose(out["insurance_enrolments"], [30, 10, 40])


def targets(**kw: float) -> Targets:
    values = {
        "year": 2020,
        "hukou_population": 400.0,
        "hukou_urbanization_rate": 62.0,
        "gap_narrowing_pp": 2.0,
        "baseline_year": 2013,
        "baseline_resident_urbanization_rate": 70.0,
        "baseline_hukou_urbanization_rate": 60.0,
        "base_year_resident_urbanization_rate": 66.0,
        "evaluation_years": (2018, 2020),
    }
    return Targets(**{**values, **kw})  # type: ignore[arg-type]


def tracker(t: Targets, base_year: int = 2017, shift_pp: float = 0.0) -> indicators.TargetTracker:
    """A tracker whose base year is `rates()` with the hukou population at 300 and the model's
    resident rate `shift_pp` below the published one."""
    base = {**rates(), "hukou_population": np.array([100.0, 200.0, 300.0])}
    published = float(base["resident_urbanization_rate"][-1]) + shift_pp
    t = Targets(**{**t.__dict__, "base_year_resident_urbanization_rate": published})
    return indicators.TargetTracker(t, base_year, base, n=2)


def test_targets_are_met_within_their_tolerance_and_only_reported_for_the_city():
    out = tracker(targets()).record(2020, rates())
    assert np.isnan(out["target_hukou_population_met"][:2]).all()
    assert out["target_hukou_population_met"][-1] == 1.0
    assert out["target_hukou_urbanization_met"][-1] == 1.0  # 62.5 >= 62
    missed = tracker(targets(hukou_population=500.0)).record(2020, rates())
    assert missed["target_hukou_population_met"][-1] == 0.0
    about = tracker(targets(hukou_population=404.0)).record(2020, rates())
    assert about["target_hukou_population_met"][-1] == 1.0  # within 1 %


def test_gap_narrowing_is_measured_on_the_published_series():
    gap_now = 400 / 6 - 62.5  # 4.1667 in the model's own series
    out = tracker(targets(), shift_pp=0.5).record(2020, rates())
    assert out["resident_urbanization_shift_pp"][-1] == pytest.approx(0.5)
    assert out["gap_narrowing_since_baseline_pp"][-1] == pytest.approx(10.0 - (gap_now + 0.5))
    assert out["target_gap_narrowing_met"][-1] == 1.0


def test_the_path_to_a_target_is_a_straight_line_from_the_base_year():
    # Registered population 300 in the base year 2017, goal 400 in 2020: 333.3 expected in 2018.
    t = targets(hukou_population=400.0, hukou_population_tolerance=0.0)
    track = tracker(t)
    below = {**rates(), "hukou_population": np.array([100.0, 230.0, 330.0])}
    out = track.record(2018, below)
    assert out["target_hukou_population_path"][-1] == pytest.approx(300 + 100 / 3)
    assert out["target_hukou_population_on_track"][-1] == 0.0  # 330 < 333.3
    assert out["target_hukou_population_met"][-1] == 0.0
    assert track.record(2019, below)["target_hukou_population_path"][-1] == pytest.approx(
        300 + 200 / 3
    )
    late = track.record(2025, below)
    assert late["target_hukou_population_path"][-1] == 400.0  # the goal from the target year on
    # The gap path starts from no narrowing at the 2013 baseline: 2 pp by 2020, 5/7 of it by 2018.
    assert out["target_gap_narrowing_path"][-1] == pytest.approx(2.0 * 5 / 7)


def test_each_target_publishes_its_goal_for_the_city_in_every_year():
    """The goals a report states are the scenario's, published by the model, not read back."""
    track = tracker(targets(hukou_population=410.0, hukou_urbanization_rate=63.5))
    for year in (2018, 2020, 2025):
        out = track.record(year, rates())
        assert out["target_hukou_population_goal"][-1] == 410.0
        assert out["target_hukou_urbanization_goal"][-1] == 63.5
        assert out["target_gap_narrowing_goal"][-1] == 2.0
        assert np.isnan(out["target_hukou_population_goal"][:2]).all()
