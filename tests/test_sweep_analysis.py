"""Sensitivity analysis on designs whose answer is known, targets, and evaluate() for other
tools."""

from __future__ import annotations

import functools
import pickle

import numpy as np
import pytest

import simulation
from simulation.cli import main
from simulation.errors import ScenarioError
from simulation.experiments.analyze import covers_zero, indices, prim
from simulation.experiments.design import DesignSpec, Parameter, unit_matrix
from simulation.experiments.evaluate import as_outcome, evaluate
from simulation.outcomes import Outcome, headlines
from tests.sweep_helpers import TINY, read_csv, write_sweep

NAMES = ("strong", "weak", "inert")


def linear(unit: np.ndarray) -> np.ndarray:
    """y = 2 a + b: variances 4/12 and 1/12, so S1 = ST = (0.8, 0.2, 0)."""
    return 2 * unit[:, 0] + unit[:, 1]


def params(k: int = 3) -> list[Parameter]:
    return [Parameter(name, "uniform", low=0.0, high=1.0) for name in NAMES[:k]]


def by_name(rows, index):
    return {r.parameter: r.value for r in rows if r.index == index}


# --- the same analysis code on an analytic function -------------------------------------------


def test_sobol_indices_of_a_linear_function():
    unit = unit_matrix(DesignSpec("saltelli", samples=1024, seed=1), params())
    rows = indices("sobol", unit, linear(unit), NAMES, seed=1)
    for index in ("S1", "ST"):
        got = by_name(rows, index)
        assert got["strong"] == pytest.approx(0.8, abs=0.05)
        assert got["weak"] == pytest.approx(0.2, abs=0.05)
        assert got["inert"] == pytest.approx(0.0, abs=0.02)
    confs = [r.conf for r in rows]
    assert all(c >= 0 for c in confs)


def test_morris_effects_of_a_linear_function_are_its_slopes():
    unit = unit_matrix(DesignSpec("morris", samples=10, seed=2, levels=4), params())
    rows = indices("morris", unit, linear(unit), NAMES, levels=4, seed=2)
    mu_star, sigma = by_name(rows, "mu_star"), by_name(rows, "sigma")
    assert mu_star["strong"] == pytest.approx(2.0)
    assert mu_star["weak"] == pytest.approx(1.0)
    assert mu_star["inert"] == 0.0
    assert all(s == pytest.approx(0.0, abs=1e-9) for s in sigma.values())


def test_rbd_fast_on_a_latin_hypercube():
    unit = unit_matrix(DesignSpec("lhs", samples=512, seed=3), params())
    got = by_name(indices("rbd_fast", unit, linear(unit), NAMES, seed=3), "S1")
    assert got["strong"] == pytest.approx(0.8, abs=0.1)
    assert got["weak"] == pytest.approx(0.2, abs=0.1)
    assert got["inert"] == pytest.approx(0.0, abs=0.05)


def test_pawn_on_a_grid_gives_nothing_to_an_inert_parameter():
    grid = [Parameter(name, "uniform", low=0.0, high=1.0, steps=6) for name in NAMES]
    unit = unit_matrix(DesignSpec("grid"), grid)
    got = by_name(indices("pawn", unit, linear(unit), NAMES, seed=4), "median")
    assert got["inert"] == 0.0
    assert got["strong"] > got["weak"] > 0.1


def test_prim_finds_the_region_where_a_target_is_met():
    unit = np.random.default_rng(5).random((400, 2))
    met = (unit[:, 0] > 0.6).astype(float)
    box = prim(unit, met)
    assert box is not None
    assert box.density == 1.0
    assert box.coverage >= 0.5
    assert unit[box.inside, 0].min() > 0.55
    assert unit[box.inside, 1].min() < 0.05 < 0.95 < unit[box.inside, 1].max()
    assert prim(unit, np.zeros(400)) is None


# --- a tiny sweep, analysed from its folder ---------------------------------------------------

MORRIS = """
seeds = "common"
[design]
method = "morris"
samples = 4
seed = 8

[parameters]
"channels.talent.quota.Edge" = { low = 0, high = 600 }
"fiscal.reward_per_person_yuan" = { low = 500, high = 2000 }

[[outcomes]]
variable = "settled_total"
aggregate = "sum"

[[outcomes]]
variable = "settled_total"
district = "each"
aggregate = "sum"

[[outcomes]]
variable = "reward_fund_yuan"
aggregate = "sum"
"""


@pytest.fixture(scope="module")
def morris_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("morris")
    path = write_sweep(folder, MORRIS)
    assert main(["sweep", str(path), "--out", str(folder / "out"), "--executor", "serial"]) == 0
    return folder / "out"


def test_a_lever_that_does_not_act_gets_no_index_and_one_that_does_gets_a_large_one(
    morris_sweep, capsys
):
    """With common seeds, the reward per settler (which settles nobody) has elementary effects
    of exactly zero on settlement; Edge's talent quota moves it a lot. The reward does drive
    the reward fund."""
    assert main(["analyze", str(morris_sweep)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(morris_sweep)
    rows = read_csv(morris_sweep / "sensitivity.csv")
    assert {r["method"] for r in rows} == {"morris"}

    def mu_star(outcome, parameter):
        (row,) = [
            r
            for r in rows
            if (r["outcome"], r["parameter"], r["index"]) == (outcome, parameter, "mu_star")
        ]
        return float(row["value"])

    for outcome in ("settled_total.ALL.sum", "settled_total.Edge.sum"):
        assert mu_star(outcome, "fiscal.reward_per_person_yuan") == 0.0
        assert mu_star(outcome, "channels.talent.quota.Edge") > 500
    assert mu_star("reward_fund_yuan.ALL.sum", "fiscal.reward_per_person_yuan") > 1e6
    figures = {p.name for p in (morris_sweep / "figures").iterdir()}
    assert "sensitivity-settled_total.ALL.sum.png" in figures
    assert "districts-settled_total.sum.png" in figures  # one outcome per district
    report = (morris_sweep / "analysis.md").read_text()
    assert "Replicates were averaged per design point" in report


SOBOL = """
[design]
method = "saltelli"
samples = 8
seed = 4

[parameters]
"channels.talent.quota.Edge" = { low = 0, high = 600 }
"land.adjustment" = { low = -0.10, high = 0.10 }

[[outcomes]]
variable = "settled_total"
aggregate = "sum"
"""


def test_an_index_whose_interval_covers_zero_is_noise():
    assert covers_zero(0.46, 0.60)  # an index as large as noise can make it
    assert not covers_zero(0.46, 0.10)
    assert covers_zero(0.0, 0.0)  # no effect at all
    assert covers_zero(-0.02, 0.05)
    assert covers_zero(float("nan"), 0.1)
    assert not covers_zero(0.3, float("nan"))  # no interval (PAWN): taken as it is


def test_a_lever_with_no_path_to_an_outcome_is_not_reported_as_influential(tmp_path, capsys):
    """The land standard's adjustment changes land, never who settles: on common seeds it is
    not among the influential parameters of settlement, but listed apart as noise; the talent
    quota is. (With a seed per point, replicate noise can give such a lever an interval clear of
    zero in a small design: the shipped sweeps use common seeds.)"""
    seeds = "common"
    path = write_sweep(tmp_path, f'seeds = "{seeds}"\n' + SOBOL)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 0
    assert main(["analyze", str(out)]) == 0
    capsys.readouterr()
    report = (out / "analysis.md").read_text(encoding="utf-8")
    table = report.split("## Most influential parameters")[1].split("\n## ")[0]
    settled = [line for line in table.splitlines() if line.startswith("| settled_total.ALL.sum")]
    assert [line.split(" | ")[1] for line in settled] == ["channels.talent.quota.Edge"]
    noise = report.split("## Left out as noise")[1].split("\n## ")[0]
    assert "- land.adjustment: settled_total.ALL.sum (" in noise
    # The same draws at every point: settlement does not move with the adjustment at all.
    rows = read_csv(out / "sensitivity.csv")
    (st,) = [
        r
        for r in rows
        if (r["outcome"], r["parameter"], r["index"])
        == ("settled_total.ALL.sum", "land.adjustment", "ST")
    ]
    assert float(st["value"]) == 0.0


def test_the_share_of_runs_meeting_each_target(morris_sweep):
    assert main(["analyze", str(morris_sweep)]) == 0
    runs = read_csv(morris_sweep / "runs.csv")
    targets = {r["target"]: r for r in read_csv(morris_sweep / "targets.csv")}
    assert set(targets) == {"hukou_population", "hukou_urbanization", "gap_narrowing"}
    for target, row in targets.items():
        flags = [float(r[f"target_{target}_met.ALL.2020"]) for r in runs]
        assert int(row["runs"]) == len(runs)
        assert float(row["share_met"]) == pytest.approx(np.mean(flags))


def test_a_method_the_design_cannot_support_is_refused(morris_sweep, capsys):
    assert main(["analyze", str(morris_sweep), "--method", "sobol"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: command line: --method: expected a method this morris design")


def test_analysing_an_unfinished_or_foreign_folder_is_refused(tmp_path, capsys):
    assert main(["analyze", str(tmp_path)]) == 2
    assert "sweep.json" in capsys.readouterr().err


# --- evaluate(): the model for other tools ----------------------------------------------------


def test_evaluate_driven_by_salibs_sampler():
    from SALib.sample import latin

    problem = {
        "num_vars": 2,
        "names": ["channels.talent.quota.Edge", "fiscal.reward_per_person_yuan"],
        "bounds": [[0, 600], [500, 2000]],
    }
    sample = latin.sample(problem, 6, seed=1)
    base = simulation.load_scenario(TINY, {"horizon": 2020})
    outcomes = ["settled_total.ALL.sum", "reward_fund_yuan.ALL.sum"]
    results = [
        evaluate(dict(zip(problem["names"], row, strict=True)), base, 3, outcomes) for row in sample
    ]
    settled = np.array([r["settled_total.ALL.sum"] for r in results])
    fund = np.array([r["reward_fund_yuan.ALL.sum"] for r in results])
    np.testing.assert_allclose(fund, settled * sample[:, 1])  # the reward is per settler
    order = np.argsort(sample[:, 0])
    assert settled[order[-1]] > settled[order[0]]  # more talent quota, more settlers


def test_evaluate_is_a_plain_picklable_function_with_headline_defaults():
    call = functools.partial(evaluate, base=TINY, seed=2)
    again = pickle.loads(pickle.dumps(call))
    got = again({"land.adjustment": 0.05})
    scenario = simulation.load_scenario(TINY)
    assert list(got) == [o.name for o in headlines(scenario)]
    table = simulation.run(scenario.with_values({"land.adjustment": 0.05}), 2).table
    assert got == {o.name: o.of(table) for o in headlines(scenario)}
    with pytest.raises(ScenarioError):
        evaluate({"land.adjustment": 0.5}, base=TINY)


def test_outcome_names_read_back():
    for outcome in (
        Outcome("settled_total", aggregate="sum"),
        Outcome("hukou_population", "Edge", year=2020),
    ):
        assert as_outcome(outcome.name) == outcome
    with pytest.raises(ValueError, match=r"variable\.district"):
        as_outcome("settled_total")
