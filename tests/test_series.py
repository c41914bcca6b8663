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


def test_a_new_seed_keeps_each_years_values_and_takes_the_seed():
    scenario = simulation.load_scenario(
        TINY, {"flows.hukou_natural_growth": {"2018": 0.01, "2022": 0.0}}
    )
    reseeded = simulation.api.with_seed(scenario, 99)
    made = {year: scenario.at_year(year) for year in scenario.years}
    for year in scenario.years:
        again = reseeded.at_year(year)
        assert again.seed == 99
        assert again.source == reseeded.source  # the new seed recorded with the overrides
        assert again.flows == made[year].flows
    assert reseeded.at_year(2020).flows.hukou_natural_growth == pytest.approx(0.005)
    assert scenario.at_year(2020).seed == scenario.seed  # the original keeps its own
    with pytest.raises(ValueError, match="year series"):  # a field a series sets is refused
        scenario.with_fields(flows=scenario.flows)


def test_a_quota_series_sets_each_years_admissions():
    scenario = simulation.load_scenario(
        TINY, {"channels.points.quota": {"2018": 10, "2020": 30}, "persons_per_agent": 1}
    )
    table = simulation.run(scenario).table
    years, released = table.select("quota_released_points")
    assert dict(zip(years.tolist(), released.tolist(), strict=True))[2019] == 20
    assert np.all(table.select("settled_points")[1] <= released)


def test_a_whole_number_series_is_rounded_half_to_even_between_its_years():
    assert YearSeries((2018, 2020), (6000.0, 6001.0), whole=True).at(2019) == 6000
    assert YearSeries((2018, 2020), (6001.0, 6002.0), whole=True).at(2019) == 6002
    assert YearSeries((2018, 2022), (1.0, 4.0), whole=True).at(2021) == 3  # 3.25
    assert YearSeries((2018, 2020), (6000.0, 6001.0)).at(2019) == 6000.5  # a rate is not


def test_a_quota_series_gives_whole_persons_every_year():
    scenario = simulation.load_scenario(
        TINY,
        {
            "channels.points.quota": {"2018": 11, "2020": 12},
            "channels.special.quota": {"2018": 6000, "2020": 6001},
            "channels.talent.quota.Core": {"2018": 1, "2022": 4},
            "flows.hukou_natural_growth": {"2018": 0.01, "2020": 0.02},
        },
    )
    year = scenario.at_year(2019)
    assert (year.channels.points.quota, year.channels.special.quota) == (12, 6000)
    core = [scenario.at_year(y).channels.talent.quota[0] for y in range(2018, 2023)]
    assert core == [1, 2, 2, 3, 4]  # 1.75, 2.5 and 3.25 between the years given
    assert year.flows.hukou_natural_growth == pytest.approx(0.015)
    years, released = simulation.run(scenario).table.select("quota_released_points")
    assert dict(zip(years.tolist(), released.tolist(), strict=True))[2019] == 12


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


GUANGZHOU = Path(__file__).resolve().parents[1] / "scenarios" / "guangzhou" / "plan_2017.toml"


def error_of(overrides: dict[str, object], scenario: Path = GUANGZHOU) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        simulation.load_scenario(scenario, overrides, origin="--set")
    return info.value


def test_a_year_set_from_the_command_line_is_blamed_on_the_command_line():
    # The file gives the series; only the year 2010, before the base year, is wrong.
    error = error_of({"flows.hukou_natural_growth.2010": 0.01})
    assert (error.file, error.key, error.got) == ("--set", "flows.hukou_natural_growth.2010", 2010)
    assert error.expected == "years from the base year (2017) to 2200"
    scenario = simulation.load_scenario(GUANGZHOU)
    with pytest.raises(ScenarioError) as info:
        scenario.with_values({"flows.hukou_natural_growth.2010": 0.01})
    assert (info.value.file, info.value.key) == ("with_values", "flows.hukou_natural_growth.2010")


def test_a_wrong_year_in_the_file_is_still_blamed_on_the_file(tmp_path):
    path = tmp_path / "case.toml"
    path.write_text(
        f'extends = "{TINY.as_posix()}"\n[flows]\nhukou_natural_growth = {{ 2010 = 0.01 }}\n'
    )
    error = error_of({"flows.hukou_natural_growth.2019": 0.02}, path)
    assert (error.file, error.key) == (str(path.resolve()), "flows.hukou_natural_growth.2010")


def test_a_year_set_in_a_series_is_a_point_of_it():
    scenario = simulation.load_scenario(GUANGZHOU, {"flows.hukou_natural_growth.2019": 0.02})
    assert scenario.at_year(2019).flows.hukou_natural_growth == 0.02
    assert scenario.at_year(2020).flows.hukou_natural_growth == pytest.approx(0.0145)  # to 0.009
    assert scenario.at_year(2018).flows.hukou_natural_growth == 0.0130  # the file's own


def test_a_year_of_a_district_without_a_series_of_its_own_starts_from_the_default_series():
    scenario = simulation.load_scenario(
        TINY,
        {
            "channels.talent.quota": {"default": {"2018": 100, "2020": 300}},
            "channels.talent.quota.Core.2019": 50,
        },
    )
    assert scenario.at_year(2019).channels.talent.quota == (50, 200)
    assert scenario.at_year(2020).channels.talent.quota == (300, 300)


def test_a_year_cannot_be_set_in_one_number():
    # Huangpu's talent quota is one number in the file: the other years of a series made from
    # one year would be anyone's guess, so the whole series is asked for.
    error = error_of({"channels.talent.quota.Huangpu.2019": 5000})
    assert (error.file, error.key, error.got) == (
        "--set",
        "channels.talent.quota.Huangpu.2019",
        5000,
    )
    assert error.expected == (
        "a year of a year series, but channels.talent.quota.Huangpu is one value (12000) from "
        "plan_2017.toml: give the whole series instead, e.g. "
        "channels.talent.quota.Huangpu = { 2018 = 12000, 2019 = 5000 }"
    )


@pytest.mark.parametrize(
    ("scenario", "key", "says"),
    [
        (GUANGZHOU, "land.rural_exit_ha.Huangpu.2019", "takes its table's default, one value (5)"),
        (TINY, "flows.insurance_uptake.2019", "is not given (it takes its default)"),
        (GUANGZHOU, "flows.arrivals_growth.2019", "a parameter that takes a year series"),
        (GUANGZHOU, "channels.talent.quota_scale.2016", "years from the base year (2017) to"),
        (GUANGZHOU, "channels.points.table.district_bonus.Huangpu.2019", "takes a year series"),
    ],
)
def test_a_year_without_a_series_to_go_in_is_refused_with_what_to_give(scenario, key, says):
    error = error_of({key: 0.5}, scenario)
    assert (error.file, error.key) == ("--set", key)
    assert says in error.expected


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


def test_a_clock_started_after_the_last_year_runs_at_the_last_rate():
    # Rates 0.1 then 0.2 a year (as hazards: -ln(1 - p)); a clock started at year 3, after
    # both, accumulates at the second rate only: 0.4 of hazard takes 0.4 / h2 years.
    hazard = Hazard([0.1, 0.2])
    h2 = -np.log(1 - 0.2)
    assert hazard.times(np.array([0.4]), 3.0)[0] == pytest.approx(3.0 + 0.4 / h2, rel=1e-6)
    assert hazard.times(np.array([0.4]), np.array([3.0]))[0] == pytest.approx(3.0 + 0.4 / h2)


def test_arrivals_can_shift_between_districts_over_the_years():
    """Arrival weights as a series: Core takes half the arrivals in 2018 and none from 2020."""
    scenario = simulation.load_scenario(
        TINY, {"flows.arrival_weights": {"Core": {"2018": 1, "2020": 0}, "Edge": 1}}
    )
    table = simulation.run(scenario).table
    core = dict(zip(*table.select("arrivals", "Core"), strict=True))
    edge = dict(zip(*table.select("arrivals", "Edge"), strict=True))
    assert core[2018] == pytest.approx(edge[2018], rel=0.1)  # alike, up to dependents drawn
    assert core[2020] == core[2021] == 0
    assert edge[2021] > 0


def test_arrival_weights_must_add_up_to_something_in_every_year():
    with pytest.raises(ScenarioError) as info:
        simulation.load_scenario(
            TINY, {"flows.arrival_weights": {"Core": {"2018": 1, "2020": 0}, "Edge": 0}}
        )
    assert info.value.key == "flows.arrival_weights"
    assert "2020" in str(info.value)
