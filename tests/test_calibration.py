"""Calibration recovers a parameter it is given the answer for; back-casting scores a run;
bad calibration files and observations get one clear error."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import simulation
from simulation.cli import main
from simulation.errors import ScenarioError
from simulation.experiments.calibrate import backcast, calibrate, read_calibration
from simulation.experiments.observations import read_observations

HAND = Path(__file__).parent / "data" / "hand" / "hand.toml"
GUANGZHOU = Path(__file__).resolve().parents[1] / "scenarios" / "guangzhou"


def hand_from_2015(folder: Path) -> Path:
    """The hand-worked city run from year-end 2015 to 2018, the last year that may be fitted:
    three years to score."""
    path = folder / "hand_2015.toml"
    path.write_text(
        f'extends = "{HAND.as_posix()}"\nbase_year = 2015\nhorizon = 2018\n', encoding="utf-8"
    )
    return path


def write_observations(folder: Path, rows: list[tuple]) -> Path:
    path = folder / "observations.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("variable", "district", "year", "value", "measure", "weight", "source"))
        writer.writerows(rows)
    return path


def truth_observations(folder: Path, growth: float) -> Path:
    """What the hand-worked city publishes with a natural growth of `growth`."""
    city = hand_from_2015(folder)
    truth = simulation.run(simulation.load_scenario(city, {"flows.hukou_natural_growth": growth}))
    rows = [
        (
            "hukou_population",
            d,
            year,
            truth.table.value_at("hukou_population", year, d),
            "level",
            1,
            "the model itself",
        )
        for d in ("A", "B")
        for year in (2015, 2016, 2017, 2018)
    ]
    return write_observations(folder, rows)


def write_calibration(folder: Path, text: str) -> Path:
    path = folder / "calibration.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_calibration_recovers_the_natural_growth_that_made_the_observations(tmp_path):
    truth_observations(tmp_path, 0.017)
    spec_file = write_calibration(
        tmp_path,
        'observations = "observations.csv"\nlast_year = 2018\nseeds = [1]\nmax_evaluations = 40\n'
        '[parameters]\n"flows.hukou_natural_growth" = { low = 0.0, high = 0.05 }\n',
    )
    scenario = simulation.load_scenario(hand_from_2015(tmp_path))
    fit = calibrate(scenario, read_calibration(spec_file, scenario))
    assert fit.values["flows.hukou_natural_growth"] == pytest.approx(0.017, abs=0.0005)
    assert fit.loss < fit.start_loss
    assert fit.scenario.flows.hukou_natural_growth == pytest.approx(0.017, abs=0.0005)


def test_calibrate_writes_a_scenario_that_extends_the_input_and_loads(tmp_path, capsys):
    truth_observations(tmp_path, 0.012)
    spec_file = write_calibration(
        tmp_path,
        'observations = "observations.csv"\nlast_year = 2018\nseeds = [1]\nmax_evaluations = 12\n'
        '[parameters]\n"flows.hukou_natural_growth" = { low = 0.0, high = 0.05 }\n',
    )
    out = tmp_path / "out"
    city = str(hand_from_2015(tmp_path))
    argv = ["calibrate", city, "--calibration", str(spec_file), "--out", str(out)]
    assert main(argv) == 0
    folder = Path(capsys.readouterr().out.splitlines()[-1])
    assert {"fitted.toml", "residuals.csv", "evaluations.csv", "calibration.json", "report.md"} <= {
        p.name for p in folder.iterdir()
    }
    fitted = simulation.load_scenario(folder / "fitted.toml")
    record = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
    value = record["parameters"][0]["fitted"]
    assert fitted.flows.hukou_natural_growth == pytest.approx(value, abs=1e-6)
    assert dict(fitted.provenance)["flows.hukou_natural_growth"].startswith("calibrated:")


def test_backcast_scores_every_observation_after_the_base_year(tmp_path):
    path = truth_observations(tmp_path, 0.01)  # the hand city's own growth: no error at all
    scenario = simulation.load_scenario(hand_from_2015(tmp_path))
    observations = read_observations(path, scenario.districts.names, 2018)
    result = backcast(scenario, observations, [scenario.seed])
    assert [r.key[2] for r in result.residuals] == [2016, 2017, 2018] * 2
    assert all(r.error == 0 for r in result.residuals)
    assert result.by_indicator() == [
        ("hukou_population", "A", 0.0, 0.0),
        ("hukou_population", "B", 0.0, 0.0),
    ]


def test_the_guangzhou_backcast_runs_from_the_command_line(tmp_path, capsys):
    argv = ["backcast", "--replicates", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    folder = Path(capsys.readouterr().out.splitlines()[-1])
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "| hukou_population | 2018 |" in text
    assert "MAPE" in text
    fitted = next(line for line in text.splitlines() if line.startswith("In sample:"))
    assert "`flows.arrivals_per_year`" in fitted  # the default was fitted to these years


def test_a_backcast_reproduces_from_its_manifest(tmp_path, capsys):
    argv = ["backcast", "--replicates", "2", "--out", str(tmp_path)]
    assert main(argv) == 0
    folder = Path(capsys.readouterr().out.splitlines()[-1])
    assert main(["reproduce", str(folder)]) == 0
    said = capsys.readouterr().out
    assert "backcast.csv: identical, byte for byte" in said
    assert "timeseries.csv: identical, byte for byte" in said
    scores = folder / "backcast.csv"
    scores.write_text(scores.read_text(encoding="utf-8").replace("2018", "2019"), "utf-8")
    assert main(["reproduce", str(folder)]) == 1


def test_observations_match_the_facts_they_cite():
    """Every level observation of a city figure equals the fact row it names."""
    facts = {}
    with (GUANGZHOU / "sources" / "guangzhou_facts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            facts.setdefault((row["indicator"], row["year"]), set()).add(
                float(row["value"] or "nan")
            )
    with (GUANGZHOU / "observations.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    checked = 0
    for row in rows:
        cited = row["source"].rsplit("(facts: ", 1)[-1].rstrip(")").split(", ")
        if len(cited) == 1 and row["measure"] == "level":
            indicator, year = cited[0].rsplit(" ", 1)
            assert float(row["value"]) in facts[(indicator, year)], row
            checked += 1
    assert checked >= 10
    assert max(int(row["year"]) for row in rows) <= 2018


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "key", "expected"),
    [
        ('"flows.nonsense" = { low = 0, high = 1 }', "parameters.flows.nonsense", "key path"),
        ('"flows.hukou_natural_growth" = { low = 0.02, high = 0.01 }', None, "low below high"),
        ('"flows.hukou_natural_growth" = { low = 0.02, high = 0.02 }', None, "low below high"),
        ('"flows.hukou_natural_growth" = { low = 0.0, high = 0.5 }', None, "accepts"),
        ('"flows.hukou_natural_growth" = 0.01', None, "a range"),
    ],
)
def test_bad_parameters_are_refused(tmp_path, parameters, key, expected):
    truth_observations(tmp_path, 0.01)
    spec = write_calibration(
        tmp_path,
        f'observations = "observations.csv"\nlast_year = 2018\n[parameters]\n{parameters}\n',
    )
    with pytest.raises(ScenarioError) as info:
        read_calibration(spec, simulation.load_scenario(hand_from_2015(tmp_path)))
    assert info.value.file == str(spec)
    assert expected in info.value.expected
    if key:
        assert info.value.key == key


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        (("hukou_populaton", "A", 2018, 1, "level", 1, ""), "variable", "published variable"),
        (("hukou_population", "Z", 2018, 1, "level", 1, ""), "district", "district"),
        (("hukou_population", "A", 2019, 1, "level", 1, ""), "year", "up to 2018"),
        (("hukou_population", "A", 2018, "x", "level", 1, ""), "value", "a number"),
        (("hukou_population", "A", 2018, 1, "ratio", 1, ""), "measure", "one of"),
    ],
)
def test_bad_observations_are_refused_with_row_and_column(tmp_path, row, column, expected):
    path = write_observations(tmp_path, [row])
    with pytest.raises(ScenarioError) as info:
        read_observations(path, ("A", "B"), 2018)
    assert info.value.key == f"row 2.{column}"
    assert expected in info.value.expected


def test_a_bad_calibration_file_exits_2_and_writes_nothing(tmp_path, capsys):
    truth_observations(tmp_path, 0.01)
    spec = write_calibration(
        tmp_path,
        'observations = "observations.csv"\nlast_year = 2017\n[parameters]\n'
        '"flows.hukou_natural_growth" = { low = 0.0, high = 0.05 }\n',
    )
    out = tmp_path / "out"
    assert main(["calibrate", str(HAND), "--calibration", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "row 5.year: expected a year up to 2017" in err  # the first 2018 row
    assert err.count("\n") == 1
    assert not out.exists()


def test_fitting_one_year_of_a_series_keeps_its_other_years_in_the_fitted_file(tmp_path, capsys):
    truth_observations(tmp_path, 0.012)
    child = tmp_path / "series.toml"
    child.write_text(
        f'extends = "{hand_from_2015(tmp_path).as_posix()}"\n'
        "[flows]\nhukou_natural_growth = { 2015 = 0.01, 2017 = 0.02, 2018 = 0.03 }\n",
        encoding="utf-8",
    )
    spec_file = write_calibration(
        tmp_path,
        'observations = "observations.csv"\nlast_year = 2018\nseeds = [1]\nmax_evaluations = 8\n'
        '[parameters]\n"flows.hukou_natural_growth.2017" = { low = 0.0, high = 0.05 }\n',
    )
    out = tmp_path / "out"
    argv = ["calibrate", str(child), "--calibration", str(spec_file), "--out", str(out)]
    assert main(argv) == 0
    folder = Path(capsys.readouterr().out.splitlines()[-1])
    fitted = simulation.load_scenario(folder / "fitted.toml")
    record = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
    value = record["parameters"][0]["fitted"]
    growth = {year: fitted.at_year(year).flows.hukou_natural_growth for year in (2016, 2017, 2018)}
    assert growth[2017] == pytest.approx(value, abs=1e-6)
    assert growth[2018] == 0.03  # the years not fitted are kept
    assert growth[2016] == pytest.approx((0.01 + growth[2017]) / 2)  # and 2015 with them


def test_a_change_is_judged_against_the_size_of_the_observed_change(tmp_path):
    scenario = simulation.load_scenario(HAND)
    table = simulation.run(scenario).table
    start, end = (table.value_at("hukou_population", y, "A") for y in (2017, 2018))
    path = write_observations(
        tmp_path,
        [
            ("hukou_population", "A", 2017, start + 1000, "change", 1, "anchor"),
            ("hukou_population", "A", 2018, end + 1005, "change", 1, "5 more than modelled"),
        ],
    )
    observations = read_observations(path, scenario.districts.names, 2018)
    (residual,) = backcast(scenario, observations, [scenario.seed]).residuals
    observed_change = (end + 1005) - (start + 1000)
    assert residual.error == pytest.approx(-5)
    assert residual.relative == pytest.approx(-5 / observed_change)
