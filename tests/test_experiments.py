"""Replicates, paired comparisons and the runner under them."""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import simulation
from simulation.cli import main
from simulation.errors import ScenarioError
from simulation.experiments import compare, replicate, replicate_seeds, run_many
from simulation.experiments.runner import Job
from simulation.results import DIFFERENCE_COLUMNS, SUMMARY_COLUMNS, LongTable, summarize

TINY = Path(__file__).parent / "data" / "tiny" / "tiny.toml"
CHILD = Path(__file__).parent / "data" / "tiny" / "child.toml"


@pytest.fixture(scope="module")
def tiny():
    return simulation.load_scenario(TINY)


@pytest.fixture(scope="module")
def replicated(tiny):
    return replicate(tiny, replicates=4)


def more_points(tiny, quota=400):
    return tiny.with_values({"channels.points.quota": quota, "name": "tiny_more_points"})


# --- seeds and replicates ---------------------------------------------------------------------


def test_replicate_seeds_start_with_the_seed_and_do_not_depend_on_how_many():
    seeds = replicate_seeds(42, 5)
    assert seeds[0] == 42
    assert len(set(seeds)) == 5
    assert replicate_seeds(42, 8)[:5] == seeds
    assert all(0 <= s < 2**63 for s in seeds)
    assert replicate_seeds(43, 5)[1:] != seeds[1:]


def test_each_replicate_is_the_run_with_its_own_seed(tiny, replicated):
    table = replicated.table
    assert table.runs == tuple(("tiny", r) for r in range(4))
    seeds = [row["seed"] for row in replicated.manifest["replicates"]]
    assert seeds == replicate_seeds(tiny.seed, 4)
    alone = simulation.run(tiny, seed=seeds[2]).table
    _years, values = table.select("settled_total", "Edge", replicate=2)
    np.testing.assert_array_equal(values, alone.select("settled_total", "Edge")[1])
    assert not np.array_equal(values, table.select("settled_total", "Edge", replicate=1)[1])


def test_a_table_of_many_runs_asks_which_run_is_meant(replicated):
    with pytest.raises(ValueError, match="replicates"):
        replicated.table.select("settled_total")
    years, matrix = replicated.table.replicate_matrix("settled_total", "Edge")
    assert matrix.shape == (4, len(years))


def test_summary_percentiles_bracket_the_replicates(replicated):
    summary = summarize(replicated.table)
    rows = list(csv.reader(io.StringIO(summary.to_csv())))
    assert tuple(rows[0]) == SUMMARY_COLUMNS
    years, matrix = replicated.table.replicate_matrix("hukou_population", "Edge")
    mask = (summary.variable == "hukou_population") & (summary.district == "Edge")
    np.testing.assert_array_equal(summary.year[mask], years)
    np.testing.assert_allclose(summary.mean[mask], matrix.mean(axis=0))
    assert np.all(summary.p5[mask] >= matrix.min(axis=0))
    assert np.all(summary.p95[mask] <= matrix.max(axis=0))
    assert np.all(summary.p5[mask] <= summary.p50[mask])
    assert set(summary.count) == {4}


def test_tables_concatenate_and_keep_their_runs(tiny):
    a = simulation.run(tiny).table
    b = simulation.run(tiny.with_values({"name": "other"})).table
    both = LongTable.concat([a, b])
    assert both.scenarios == ("tiny", "other")
    assert len(both) == len(a) + len(b)
    np.testing.assert_array_equal(
        both.select("settled_total", scenario="other")[1], b.select("settled_total")[1]
    )


def test_unknown_variables_and_districts_are_errors(tiny):
    table = simulation.run(tiny).table
    with pytest.raises(KeyError, match="settled_totl"):
        table.select("settled_totl")
    with pytest.raises(KeyError, match="Nowhere"):
        table.select("settled_total", "Nowhere")


# --- the runner -------------------------------------------------------------------------------


def test_results_do_not_depend_on_the_number_of_workers(tiny):
    jobs = [Job(tiny, seed, r) for r, seed in enumerate(replicate_seeds(tiny.seed, 3))]
    serial = LongTable.concat(run_many(jobs))
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = LongTable.concat(run_many(jobs, executor=pool))
        batched = LongTable.concat(run_many(jobs, executor=pool, batch_size=2))
    assert parallel.to_csv() == serial.to_csv()
    assert batched.to_csv() == serial.to_csv()


def _square(x: int) -> int:
    return x * x


def test_the_runner_keeps_the_order_of_its_items():
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert list(run_many(list(range(7)), _square, pool, batch_size=3)) == [
            x * x for x in range(7)
        ]
    assert list(run_many([3, 1], _square)) == [9, 1]


# --- comparisons ------------------------------------------------------------------------------


def test_pairing_by_seed_shrinks_the_spread_of_a_difference(tiny):
    """Common random numbers: two scenarios differing only in the points quota share their
    draws, so replicate by replicate their difference varies far less than the difference of
    independent runs."""
    comparison = compare([tiny, more_points(tiny)], replicates=8)
    table = comparison.table
    outcome = simulation.outcomes.Outcome("hukou_population", year=2020)
    base = np.array([outcome.of(table, "tiny", r) for r in range(8)])
    more = np.array([outcome.of(table, "tiny_more_points", r) for r in range(8)])
    paired = more - base
    unpaired = more - np.roll(base, 1)  # each run against another seed's
    assert paired.mean() > 0  # a bigger quota settles more
    assert paired.std(ddof=1) < 0.25 * unpaired.std(ddof=1)


def test_differences_are_the_mean_of_paired_differences_with_a_t_interval(tiny):
    comparison = compare([tiny, more_points(tiny)], replicates=5)
    d, table = comparison.differences, comparison.table
    _years, mean, low, high = d.select("settled_points", "ALL")
    by_hand = np.array(
        [
            table.select("settled_points", scenario="tiny_more_points", replicate=r)[1]
            - table.select("settled_points", scenario="tiny", replicate=r)[1]
            for r in range(5)
        ]
    )
    np.testing.assert_allclose(mean, by_hand.mean(axis=0))
    half = 2.776445105 * by_hand.std(axis=0, ddof=1) / np.sqrt(5)  # t(0.975, 4)
    np.testing.assert_allclose(high - mean, half, rtol=1e-8)
    np.testing.assert_allclose(mean - low, half, rtol=1e-8)
    assert set(d.reference) == {"tiny"}
    assert "tiny" not in set(d.scenario)  # no row of the reference against itself


def test_the_same_policy_compared_with_itself_differs_by_nothing(tiny):
    same = tiny.with_values({"name": "tiny_again"})
    d = compare([tiny, same], replicates=3).differences
    assert np.all(d.mean_difference == 0)
    assert np.all(d.ci_low == 0)
    assert np.all(d.ci_high == 0)


def test_one_replicate_gives_no_interval(tiny):
    d = compare([tiny, more_points(tiny)], replicates=1).differences
    assert np.isnan(d.ci_low).all()
    assert np.isnan(d.ci_high).all()
    row = next(csv.reader(io.StringIO(d.to_csv().splitlines()[1])))
    assert row[-2:] == ["", ""]


@pytest.mark.parametrize(
    ("change", "key"),
    [({"horizon": 2021}, "horizon"), ({"base_year": 2016}, "base_year")],
)
def test_scenarios_of_different_periods_are_not_compared(tiny, change, key):
    other = tiny.with_values({**change, "name": "other"})
    with pytest.raises(ScenarioError) as info:
        compare([tiny, other], replicates=2)
    assert info.value.key == key
    assert "tiny.toml and" in info.value.file


def test_scenarios_of_different_district_tables_are_not_compared(tiny, tmp_path):
    text = (TINY.parent / "districts.csv").read_text(encoding="utf-8")
    (tmp_path / "districts.csv").write_text(text.replace("20000", "20001", 1), encoding="utf-8")
    other = tiny.with_values({"districts": str(tmp_path / "districts.csv"), "name": "other"})
    with pytest.raises(ScenarioError, match="different figures for"):
        compare([tiny, other], replicates=2)


def test_a_scenario_given_twice_or_two_of_one_name_are_refused(tiny):
    with pytest.raises(ScenarioError, match="given twice"):
        compare([tiny, tiny], replicates=2)
    with pytest.raises(ScenarioError, match="different name"):
        compare([tiny, tiny.with_values({"channels.points.quota": 5})], replicates=2)


# --- the command line -------------------------------------------------------------------------


def last_line(capsys) -> Path:
    return Path(capsys.readouterr().out.splitlines()[-1])


def test_run_with_replicates_writes_every_replicate_and_a_summary(tmp_path, capsys):
    assert main(["run", str(TINY), "--replicates", "3", "--out", str(tmp_path)]) == 0
    folder = last_line(capsys)
    assert folder.name.endswith("seed42-r3")
    with (folder / "timeseries.csv").open(encoding="utf-8") as handle:
        replicates = {row["replicate"] for row in csv.DictReader(handle)}
    assert replicates == {"0", "1", "2"}
    with (folder / "summary.csv").open(encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == SUMMARY_COLUMNS
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [r["replicate"] for r in manifest["replicates"]] == [0, 1, 2]


def test_compare_writes_paired_differences_and_prints_the_folder_last(tmp_path, capsys):
    argv = ["compare", str(TINY), str(CHILD), "--replicates", "3", "--out", str(tmp_path)]
    assert main(argv) == 0
    folder = last_line(capsys)
    assert folder.parent.parent == tmp_path / "comparisons"
    with (folder / "comparison.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == DIFFERENCE_COLUMNS
    assert {row[0] for row in rows[1:]} == {"tiny_child"}
    assert {row[1] for row in rows[1:]} == {"tiny"}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"].startswith("python run.py compare")
    assert "--replicates 3" in manifest["command"]


def test_compare_gives_the_same_numbers_on_one_and_two_workers(tmp_path, capsys):
    tables = []
    for workers in ("1", "2"):
        out = tmp_path / workers
        argv = ["compare", str(TINY), str(CHILD), "--replicates", "2", "--workers", workers]
        assert main([*argv, "--out", str(out)]) == 0
        tables.append((last_line(capsys) / "comparison.csv").read_text(encoding="utf-8"))
    assert tables[0] == tables[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", str(TINY)], "at least two scenarios"),
        (["compare", str(TINY), str(TINY)], "given twice"),
        (["compare", str(TINY), str(CHILD), "--replicates", "0"], "replicates"),
        (["compare", str(TINY), str(CHILD), "--replicates", "-2"], "replicates"),
        (["run", str(TINY), "--replicates", "0"], "replicates"),
    ],
)
def test_bad_comparisons_are_refused_before_anything_runs(tmp_path, capsys, argv, message):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert not any(tmp_path.iterdir())


def test_comparing_scenarios_of_different_horizons_names_both_files(tmp_path, capsys):
    other = tmp_path / "other.toml"
    other.write_text(f'extends = "{TINY}"\nname = "other"\nhorizon = 2021\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["compare", str(TINY), str(other), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(TINY) in err
    assert str(other) in err
    assert "horizon" in err
    assert not out.exists()
