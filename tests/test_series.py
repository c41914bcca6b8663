"""Year series: flows, rates and quotas that change over the years, interpolated between them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulation
from simulation.errors import ScenarioError
from simulation.hazard import Hazard
from simulation.series import YearSeries

TINY = Path(__file__).parent / "data" / "tiny" / "tiny.toml"


def test_a_series_is_linear_between_its_years_and_flat_outside():
    s = YearSeries((2018, 2020), (100.0, 200.0))
    assert [s.at(y) for y in (2016, 2018, 2019, 2020, 2030)] == [100, 100, 150, 200, 200]


def test_a_scenario_takes_each_years_value():
    scenario = simulation.load_scenario(
        TINY,
        {
            "flows.hukou_natural_growth": {"2018": 0.01, "2022": 0.0},
            "channels.talent.quota": {"Core": {"2018": 100, "2020": 300}, "Edge": 50},
        },
    )
    assert scenario.flows.hukou_natural_growth == 0.01  # the field holds the first year's value
    assert scenario.at_year(2020).flows.hukou_natural_growth == pytest.approx(0.005)
    assert scenario.at_year(2019).channels.talent.quota == (200.0, 50.0)
    assert scenario.at_year(2025).channels.talent.quota == (300.0, 50.0)


def test_a_quota_series_sets_each_years_admissions():
    scenario = simulation.load_scenario(
        TINY, {"channels.points.quota": {"2018": 10, "2020": 30}, "persons_per_agent": 1}
    )
    table = simulation.run(scenario).table
    years, released = table.select("quota_released_points")
    assert dict(zip(years.tolist(), released.tolist(), strict=True))[2019] == 20
    assert np.all(table.select("settled_points")[1] <= released)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"2020": 0.01, "2018": 0.02}, "increasing order"),
        ({"2010": 0.01, "2020": 0.02}, "from the base year"),
        ({"2018": "x"}, "a finite number"),
        ({"2018": 0.5}, "[-0.1, 0.1]"),
    ],
)
def test_bad_series_are_refused_with_the_key(value, expected):
    with pytest.raises(ScenarioError) as info:
        simulation.load_scenario(TINY, {"flows.hukou_natural_growth": value})
    assert expected in info.value.expected
    assert info.value.key.startswith("flows.hukou_natural_growth")


def test_a_provincial_adjustment_series_stays_within_the_national_bounds():
    with pytest.raises(ScenarioError) as info:
        simulation.load_scenario(TINY, {"land.adjustment": {"2018": 0.0, "2020": 0.2}})
    assert info.value.key == "land.adjustment.2020"
    assert "[-0.1, 0.1]" in info.value.expected


def test_a_parameter_that_is_not_a_flow_takes_no_series():
    with pytest.raises(ScenarioError) as info:
        simulation.load_scenario(TINY, {"flows.return_age": {"2018": 60}})
    assert info.value.key == "flows.return_age"


def test_a_hazard_that_changes_by_year_is_accumulated_exactly():
    # One year at a hazard of ln 2 (a chance of one half), then none: a clock of ln 2 runs out
    # exactly at the end of the first year, a longer one never.
    hazard = Hazard([0.5, 0.0])
    times = hazard.times(np.array([np.log(2) / 2, np.log(2), 2.0]), 0.0)
    np.testing.assert_allclose(times[:2], [0.5, 1.0], rtol=1e-6)
    assert np.isinf(times[2])
    # Starting mid-year only the rest of the year counts.
    assert hazard.times(np.array([np.log(2) / 4]), 0.5)[0] == pytest.approx(0.75, rel=1e-6)
    # A constant chance gives the plain exponential wait.
    assert Hazard([0.5, 0.5]).times(np.array([np.log(2) * 3]), 0.0)[0] == pytest.approx(3.0)
