"""The long table, the results folder, the manifest, figures and the report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import simulation
from simulation import plots, report
from simulation.results import COLUMNS, write_folder
from simulation.variables import VARIABLES

TINY = Path(__file__).parent / "data" / "tiny" / "tiny.toml"
CONTRACT = (
    "resident_population",
    "hukou_population",
    "non_hukou_population",
    "settled_talent",
    "settled_points",
    "settled_policy",
    "settled_special",
    "settled_dependents",
    "settled_total",
    "applicants_waiting",
    "land_entitlement_ha",
    "linked_land_ha",
    "land_standard_m2_per_person",
    "urban_construction_land_ha",
    "construction_land_per_capita_m2",
    "hukou_urbanization_rate",
    "resident_urbanization_rate",
    "urbanization_gap_pp",
    "reward_fund_yuan",
)


@pytest.fixture(scope="module")
def results():
    return simulation.run(TINY)


def test_every_contract_variable_is_published_with_its_unit(results):
    published = set(results.table.variable.tolist())
    assert set(CONTRACT) <= published
    rows = list(csv.reader(io.StringIO(results.table.to_csv())))
    assert tuple(rows[0]) == COLUMNS
    for row in rows[1:]:
        assert row[6] == VARIABLES[row[4]][0]


def test_city_totals_are_sums_and_rates_are_recomputed(results):
    t = results.table
    year = 2020
    for variable in ("settled_total", "linked_land_ha", "hukou_population"):
        parts = t.value_at(variable, year, "Core") + t.value_at(variable, year, "Edge")
        assert t.value_at(variable, year) == pytest.approx(parts)
    urban = t.value_at("urban_hukou_population", year)
    assert t.value_at("hukou_urbanization_rate", year) == pytest.approx(
        100 * urban / t.value_at("hukou_population", year)
    )


def test_base_year_has_stocks_but_no_flows(results):
    t = results.table
    base = results.scenario.base_year
    assert t.value_at("hukou_population", base) == 28_000
    with pytest.raises(KeyError):
        t.value_at("settled_total", base)


def test_results_folder_is_complete_and_reproducible(results, tmp_path):
    folder = results.write(tmp_path, run_id="first")
    assert folder == tmp_path / "tiny" / "first"
    names = {p.name for p in folder.iterdir()}
    assert {"timeseries.csv", "manifest.json", "report.md"} | set(plots.FIGURES) <= names
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 42
    assert manifest["scenario"]["channels"]["points"]["quota"] == 120
    assert set(manifest["versions"]) >= {"python", "numpy", "simpy"}
    assert any(path.endswith("districts.csv") for path in manifest["inputs"])
    assert all(len(digest) == 64 for digest in manifest["inputs"].values())
    second = results.write(tmp_path, run_id="first")  # never overwrites a finished run
    assert second.name == "first-2"
    assert (second / "timeseries.csv").read_bytes() == (folder / "timeseries.csv").read_bytes()


def test_a_failing_writer_leaves_nothing_behind(tmp_path):
    def broken(path: Path) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_folder(
            tmp_path / "s" / "run", {"a.txt": lambda p: p.write_text("x"), "b.txt": broken}
        )
    assert list((tmp_path / "s").iterdir()) == []


def test_to_pandas_gives_the_long_table(results):
    pd = pytest.importorskip("pandas")
    frame = results.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == len(results.table)


@pytest.mark.parametrize("name", sorted(plots.FIGURES))
def test_plots_draw_on_the_given_axes(results, name):
    ax = Figure().add_subplot()
    returned = plots.FIGURES[name](results.table, ax=ax)
    assert returned is ax
    assert ax.has_data()


def test_plots_make_their_own_axes_when_none_is_given(results):
    ax = plots.plot_urbanization(results.table, target=79.8)
    assert isinstance(ax, Axes)
    assert len(ax.get_lines()) == 3


def test_report_states_targets_districts_limits_and_assumptions(results):
    text = report.render(results.table, results.manifest)
    assert "| 2020 |" in text
    assert "(met)" in text or "(missed)" in text
    assert "| Edge |" in text
    assert "central" in text
    assert "ceiling" in text
    assert "`population.willing_share`" in text
    assert "`districts.urban_construction_land_ha`" in text


def test_sourced_parameters_are_not_listed_as_assumptions(results):
    keys = {row["key"] for row in results.manifest["assumptions"]}
    assert "population.willing_share" in keys
    assert "channels.points.max_age" not in keys  # sourced in config: 穗府规〔2016〕6号
    assert "land.tiers" not in keys


def test_run_accepts_a_path_and_a_seed(results):
    other = simulation.run(TINY, seed=7)
    assert other.manifest["seed"] == 7
    assert not np.array_equal(other.table.value, results.table.value)
