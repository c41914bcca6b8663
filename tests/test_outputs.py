"""The long table, the results folder, the manifest, figures and the report."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

import simulation
from simulation.assumptions import assumed_inputs
from simulation.errors import ManifestError
from simulation.output import write_folder
from simulation.results import COLUMNS, LongTable
from simulation.variables import VARIABLES
from simulation.views import report, run_files
from simulation.views.document import to_markdown
from simulation.views.rounding import Precision, change

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
        assert row[6] == VARIABLES[row[4]].unit


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
    assert {
        "timeseries.csv",
        "summary.csv",
        "manifest.json",
        "report.md",
        "report.html",
        "settlement.png",
        "land.png",
        "targets.png",
    } <= names
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
    assert not (tmp_path / "s").exists()  # no empty folder left either
    (tmp_path / "kept").mkdir()
    with pytest.raises(RuntimeError):
        write_folder(tmp_path / "kept" / "run", {"b.txt": broken})
    assert list((tmp_path / "kept").iterdir()) == []  # a folder that was there stays


def test_to_pandas_gives_the_long_table(results):
    pd = pytest.importorskip("pandas")
    frame = results.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == len(results.table)


def _replace(table: LongTable, variable: str, district: str, values: list[float]) -> LongTable:
    """The table with one series' values replaced, year by year."""
    mask = (table.variable == variable) & (table.district == district)
    value = table.value.copy()
    value[mask] = values
    return dataclasses.replace(table, value=value)


def _without(table: LongTable, variables: set[str]) -> LongTable:
    return table.filter(~np.isin(table.variable, sorted(variables)))


def render(table: LongTable, manifest: dict) -> str:
    """The run report as Markdown."""
    return to_markdown(report.document(table, manifest), lambda name: f"{name}.png")


LAND = "Land granted against entitlement"


def _row(text: str, section: str, *first: str) -> list[str]:
    """The cells of the row starting with `first` in the table of a report section."""
    body = text.split(f"## {section}")[1].split("\n## ")[0]
    start = "| " + " | ".join(first) + " |"
    line = next(line for line in body.splitlines() if line.startswith(start))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_report_limit_cell_names_each_limit_with_its_years(results):
    years = list(results.scenario.years)
    table = _replace(results.table, "land_binding_limit", "Edge", [1, 2, 2, 2, 0])
    table = _replace(table, "land_binding_limit", "Core", [3, 4, 4, 4, 3])
    text = render(table, results.manifest)
    edge = _row(text, LAND, "Edge")
    assert edge[-1] == f"supply 1 yr ({years[0]}); ceiling 3 yrs ({years[1]}-{years[3]})"
    core = _row(text, LAND, "Core")
    assert core[-1] == (
        f"central 2 yrs ({years[0]}, {years[4]}); renewal 3 yrs ({years[1]}-{years[3]})"
    )


def test_report_splits_linked_land_and_states_the_planning_band(results):
    t = results.table
    text = render(t, results.manifest)
    edge = _row(text, LAND, "Edge")
    settled = t.select("settled_total", "Edge")[1].sum()
    precision = Precision(results.scenario.persons_per_agent, 1)
    for column, source in enumerate(("plan_quota", "rural_exit", "renewal"), start=2):
        total = t.select(f"linked_{source}_ha", "Edge")[1].sum()
        assert edge[column] == precision.scaled(total, "ha", persons=settled).text
        assert abs(float(edge[column]) - total) <= 0.05 + 0.1 * total  # shown to its precision
    _, per_capita = t.select("construction_land_per_capita_m2", "Edge")
    status = int(t.select("planning_band_status", "Edge")[1][-1])
    band = {-1: "below", 0: "within", 1: "above"}[status]
    assert edge[6] == f"{per_capita[0]:.1f} -> {per_capita[-1]:.1f} {band}"
    lo, hi = results.scenario.land.planning_band_m2
    assert f"(band {lo:g}-{hi:g})" in text
    last = len(per_capita) - 1
    no_urban = _replace(t, "construction_land_per_capita_m2", "Core", [80.0] * last + [np.inf])
    core = _row(render(no_urban, results.manifest), LAND, "Core")
    assert core[6] == "80.0 -> n/a"


def test_report_counts_the_years_a_quota_was_filled(results):
    t = results.table
    years, filled = t.select("quota_filled_talent", "Edge")
    quota = results.scenario.channels.talent.quota[1]
    text = render(t, results.manifest)
    row = _row(text, "Quotas", "talent introduction", "Edge")
    assert row[2] == f"{quota:,.0f}"
    assert row[3].startswith(f"{int(filled.sum())} of {len(years)} yrs")
    short = _replace(t, "quota_filled_talent", "Edge", [1, 0, 1, 1, 0])
    row = _row(render(short, results.manifest), "Quotas", "talent introduction", "Edge")
    assert row[3] == f"3 of 5 yrs ({years[0]}, {years[2]}-{years[3]})"


def test_quota_use_counts_the_settlers_and_a_quota_fills_only_under_demand(results):
    ample = simulation.run(results.scenario.with_values({"channels.talent.quota": 1e6})).table
    scarce = simulation.run(results.scenario.with_values({"channels.talent.quota": 1})).table
    for district in ("Core", "Edge", "ALL"):
        # Main applicants only count against the quota in this scenario: used = settled.
        for table in (results.table, ample, scarce):
            np.testing.assert_array_equal(
                table.select("quota_used_talent", district)[1],
                table.select("settled_talent", district)[1],
            )
    for district in ("Core", "Edge"):
        assert not ample.select("quota_filled_talent", district)[1].any()
        assert scarce.select("quota_filled_talent", district)[1].all()
    assert len(results.table.select("quota_filled_talent")[0]) == 0  # no city row for districts


def test_report_quotas_and_channels_leave_out_a_closed_channel(results):
    text = render(results.table, results.manifest)
    assert _row(text, "Quotas", "special groups", "city")
    settlement = "Settlement by channel and district"
    assert "special groups" in _row(text, settlement, "district")
    closed = simulation.run(results.scenario.with_values({"channels.special.enabled": False}))
    text = render(closed.table, closed.manifest)
    assert "| special groups |" not in text
    assert "special groups" not in _row(text, settlement, "district")


def test_report_starts_the_targets_at_the_base_year_and_tracks_the_path(results):
    t, s = results.table, results.scenario
    targets = s.targets
    text = render(t, results.manifest)
    base = s.base_year
    pop, rate = t.value_at("hukou_population", base), t.value_at("hukou_urbanization_rate", base)
    gap = t.value_at("gap_narrowing_since_baseline_pp", base)
    assert _row(text, "Targets", f"{base} (base year)")[1:] == [
        f"{pop:,.0f}",
        f"{rate:.2f}",
        change(gap, 0.01, up="narrowed", down="widened"),
    ]
    mid = min(targets.evaluation_years)
    assert mid < targets.year
    share = (mid - base) / (targets.year - base)
    pop_path = pop + (targets.hukou_population - pop) * share
    rate_path = rate + (targets.hukou_urbanization_rate - rate) * share
    gap_path = (
        targets.gap_narrowing_pp
        * (mid - targets.baseline_year)
        / (targets.year - targets.baseline_year)
    )
    on_path = [
        t.value_at("hukou_population", mid) >= pop_path * (1 - targets.hukou_population_tolerance),
        t.value_at("hukou_urbanization_rate", mid)
        >= rate_path - targets.hukou_urbanization_tolerance_pp,
        t.value_at("gap_narrowing_since_baseline_pp", mid) >= gap_path,
    ]
    cells = _row(text, "Targets", f"{mid} (mid-term evaluation)")[1:]
    for cell, ok in zip(cells, on_path, strict=True):
        assert cell.endswith("(on track)" if ok else "(behind)")
    flags = ("target_hukou_population_met", "target_hukou_urbanization_met")
    final = _row(text, "Targets", f"{targets.year} (target year)")[1:3]
    for cell, flag in zip(final, flags, strict=True):
        assert cell.endswith("(met)" if t.value_at(flag, targets.year) else "(missed)")


def test_report_of_a_scenario_without_targets(results):
    manifest = copy.deepcopy(results.manifest)
    manifest["scenario"]["targets"] = None
    dropped = {v for v in VARIABLES if v.startswith("target_")}
    table = _without(results.table, dropped | {"gap_narrowing_since_baseline_pp"})
    text = render(table, manifest)
    assert "The scenario sets no targets." in text
    assert "(target year)" not in text
    assert "(met)" not in text
    assert _row(text, LAND, "Edge")


def test_report_states_the_goals_the_model_published(results):
    """The goals in the report are the table's: a table whose published goals differ from the
    scenario's shows the table's, in the targets section and in the headline margins."""
    t = results.table
    years = len(t.select("target_hukou_population_goal")[0])
    table = _replace(t, "target_hukou_population_goal", "ALL", [12_345_678.0] * years)
    table = _replace(table, "target_hukou_urbanization_goal", "ALL", [91.23] * years)
    table = _replace(table, "target_gap_narrowing_goal", "ALL", [4.56] * years)
    text = render(table, results.manifest)
    paragraph = text.split("## Targets")[1].split("\n## ")[0]
    assert "registered population about 12,345,678" in paragraph
    assert "hukou urbanization about 91.23 %" in paragraph
    assert "narrowed by at least 4.56 points" in paragraph
    headline = text.split("## Headline")[1].split("\n## ")[0]
    assert "a goal of about 12,345,678" in headline
    assert "a goal of about 91.23 %" in headline
    assert "a goal of narrowing it by at least 4.56 points" in headline


@pytest.mark.parametrize(
    "key",
    ["targets", "channels.points.enabled", "channels.talent", "land.planning_band_m2"],
)
def test_a_manifest_missing_a_described_value_is_an_error_not_a_default(results, key):
    """Whether a channel is open, the targets' years and the planning band are the scenario's
    description: a view reads them from the manifest and guesses none that is missing."""
    manifest = copy.deepcopy(results.manifest)
    *parents, last = key.split(".")
    node = manifest["scenario"]
    for part in parents:
        node = node[part]
    del node[last]
    with pytest.raises(ManifestError, match=rf"^manifest: scenario\.{re.escape(key)}[.:]"):
        render(results.table, manifest)
    with pytest.raises(ManifestError):  # before any file is written
        run_files(results.table, manifest)


def test_report_lists_each_district_of_an_assumed_column(results):
    text = render(results.table, results.manifest)
    for d in results.scenario.districts.districts:
        note = next(n for name, _, _, n in results.scenario.districts.provenance if name == d.name)
        row = _row(text, "Assumed inputs", d.name)
        assert row == [d.name, str(d.urban_construction_land_ha), note]
    reward = results.scenario.fiscal.reward_per_person_yuan
    assert f"`fiscal.reward_per_person_yuan` = {reward} yuan" in text


def test_sourced_parameters_are_not_listed_as_assumptions(results):
    keys = {row["key"] for row in results.manifest["assumptions"]}
    assert "population.willing_share" in keys
    assert "channels.points.max_age" not in keys  # sourced in config: 穗府规〔2016〕6号
    assert "land.tiers" not in keys


def test_assumptions_leave_out_what_the_run_does_not_read():
    keys = {row["key"] for row in assumed_inputs(simulation.load_scenario(TINY))}
    assert "channels.special.quota" in keys
    assert "channels.talent.schedule.quota_growth" in keys
    assert "channels.policy.schedule.quota_growth" not in keys  # no quota to grow
    assert "reforms.agricultural_restricted_share" not in keys  # unified hukou
    closed = simulation.load_scenario(
        TINY, overrides={"channels.special.enabled": False, "reforms.unified_hukou": False}
    )
    keys = {row["key"] for row in assumed_inputs(closed)}
    assert not any(key.startswith("channels.special.") for key in keys)
    assert "reforms.agricultural_restricted_share" in keys


def test_assumed_per_district_values_are_named_by_district(results):
    rows = {row["key"]: row for row in results.manifest["assumptions"]}
    assert rows["land.plan_quota_ha"]["value"] == {"Core": 0.0, "Edge": 3.0}
    assert rows["fiscal.reward_per_person_yuan"]["unit"] == "yuan"
    column = rows["districts.urban_construction_land_ha"]
    assert set(column["notes"]) == {"Core", "Edge"}


def test_run_accepts_a_path_and_a_seed(results):
    other = simulation.run(TINY, seed=7)
    assert other.manifest["seed"] == 7
    assert not np.array_equal(other.table.value, results.table.value)


def test_a_sourced_parameter_changed_by_the_scenario_becomes_an_assumption():
    from simulation.assumptions import assumed_inputs

    scenario = simulation.load_scenario(
        TINY,
        {
            "channels.points.max_age": 30,
            "land.tiers": [{"upper_m2": float("inf"), "standard_m2": 60.0}],
        },
    )
    keys = {row["key"] for row in assumed_inputs(scenario)}
    assert "channels.points.max_age" in keys
    assert "land.tiers" in keys  # invented tiers are not 国土资发〔2016〕123号
    assert "channels.points.min_points" not in keys  # unchanged: still 穗府规〔2016〕6号
    unchanged = {row["key"] for row in assumed_inputs(simulation.load_scenario(TINY))}
    assert "channels.points.max_age" not in unchanged
