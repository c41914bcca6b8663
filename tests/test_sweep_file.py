"""Sweep files are checked like scenario files: one clear error, exit 2, nothing written."""

from __future__ import annotations

import pytest

from simulation.cli import main
from simulation.errors import ScenarioError
from simulation.experiments import runner
from simulation.experiments.sweepfile import load_sweep
from simulation.outcomes import headlines
from tests.sweep_helpers import OUTCOMES, ROOT, TINY_SWEEP, write_sweep

LHS = """
[design]
method = "lhs"
samples = 4
"""


def param(line: str, design: str = LHS) -> str:
    return f"{design}\n[parameters]\n{line}\n{OUTCOMES}"


BAD = {
    "empty range": (
        param('"flows.departure_rate" = { low = 0.1, high = 0.1 }'),
        'parameters."flows.departure_rate".high',
    ),
    "inverted bounds": (
        param('"flows.departure_rate" = { low = 0.2, high = 0.1 }'),
        'parameters."flows.departure_rate".high',
    ),
    "unknown parameter": (param('"flows.nonsense" = [1, 2]'), 'parameters."flows.nonsense"'),
    "unknown district": (
        param('"channels.talent.quota.Nowhere" = [1, 2]'),
        'parameters."channels.talent.quota.Nowhere"',
    ),
    "the seed as a parameter": (param("seed = [1, 2]"), 'parameters."seed"'),
    "no parameters": (LHS + OUTCOMES, "parameters"),
    "empty levels": (
        param('"flows.departure_rate" = []'),
        'parameters."flows.departure_rate".levels',
    ),
    "levels and a range": (
        param('"flows.departure_rate" = { levels = [0.1], low = 0.0, high = 0.2 }'),
        'parameters."flows.departure_rate".low',
    ),
    "unknown distribution": (
        param('"flows.departure_rate" = { distribution = "gamma", low = 0.0, high = 0.2 }'),
        'parameters."flows.departure_rate".distribution',
    ),
    "normal with sd 0": (
        param('"flows.departure_rate" = { distribution = "normal", mean = 0.08, sd = 0.0 }'),
        'parameters."flows.departure_rate".sd',
    ),
    "normal truncated where it has no weight": (
        param(
            '"flows.departure_rate" = '
            '{ distribution = "normal", mean = 0.08, sd = 0.001, low = 0.5, high = 0.6 }'
        ),
        'parameters."flows.departure_rate"',
    ),
    "triangular mode outside": (
        param(
            '"flows.departure_rate" = '
            '{ distribution = "triangular", low = 0.05, mode = 0.2, high = 0.1 }'
        ),
        'parameters."flows.departure_rate".mode',
    ),
    "triangular without mode": (
        param('"flows.departure_rate" = { distribution = "triangular", low = 0.05, high = 0.1 }'),
        'parameters."flows.departure_rate".mode',
    ),
    "log-uniform from zero": (
        param('"channels.points.quota" = { distribution = "loguniform", low = 0, high = 100 }'),
        'parameters."channels.points.quota".low',
    ),
    "a key of another distribution": (
        param('"flows.departure_rate" = { low = 0.0, high = 0.2, sd = 0.1 }'),
        'parameters."flows.departure_rate".sd',
    ),
    "scaling text": (
        param('"channels.points.ranking" = { scale = true, low = 0.5, high = 2.0 }'),
        'parameters."channels.points.ranking".scale',
    ),
    "zero samples": (
        param('"flows.departure_rate" = { low = 0.05, high = 0.1 }', LHS.replace("4", "0")),
        "design.samples",
    ),
    "no samples": (
        param(
            '"flows.departure_rate" = { low = 0.05, high = 0.1 }', LHS.replace("samples = 4", "")
        ),
        "design.samples",
    ),
    "a Sobol' sequence of 100": (
        param(
            '"flows.departure_rate" = { low = 0.05, high = 0.1 }',
            '[design]\nmethod = "sobol_sequence"\nsamples = 100',
        ),
        "design.samples",
    ),
    "a saltelli design of 12": (
        param(
            '"flows.departure_rate" = { low = 0.05, high = 0.1 }',
            '[design]\nmethod = "saltelli"\nsamples = 12',
        ),
        "design.samples",
    ),
    "morris with odd levels": (
        param(
            '"flows.departure_rate" = { low = 0.05, high = 0.1 }',
            '[design]\nmethod = "morris"\nsamples = 4\nlevels = 3',
        ),
        "design.levels",
    ),
    "morris over an unbounded normal": (
        param(
            '"flows.departure_rate" = { distribution = "normal", mean = 0.08, sd = 0.01 }',
            '[design]\nmethod = "morris"\nsamples = 4',
        ),
        'parameters."flows.departure_rate"',
    ),
    "a grid over a distribution": (
        param(
            '"flows.departure_rate" = { distribution = "triangular", low = 0, mode = 0.1, '
            "high = 0.2 }",
            '[design]\nmethod = "grid"',
        ),
        'parameters."flows.departure_rate"',
    ),
    "a grid with samples": (
        param('"flows.departure_rate" = [0.05, 0.1]', '[design]\nmethod = "grid"\nsamples = 4'),
        "design.samples",
    ),
    "steps outside a grid": (
        param('"flows.departure_rate" = { low = 0.05, high = 0.1, steps = 3 }'),
        'parameters."flows.departure_rate".steps',
    ),
    "unknown design": (
        param('"flows.departure_rate" = [0.05]', '[design]\nmethod = "random"'),
        "design.method",
    ),
    "unknown key": ("bogus = 1\n" + param('"flows.departure_rate" = [0.05]'), "bogus"),
    "zero replicates": (
        "replicates = 0\n" + param('"flows.departure_rate" = [0.05]'),
        "replicates",
    ),
    "unknown variable": (
        param('"flows.departure_rate" = [0.05]').replace("settled_total", "settled_nobody"),
        "outcomes[0].variable",
    ),
    "a year outside the run": (
        param('"flows.departure_rate" = [0.05]').replace('aggregate = "sum"', "year = 2031"),
        "outcomes[0].year",
    ),
    "a city-only variable in a district": (
        param('"flows.departure_rate" = [0.05]').replace(
            'variable = "settled_total"',
            'variable = "gap_narrowing_since_baseline_pp"\ndistrict = "Edge"',
        ),
        "outcomes[0].district",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_sweep_file_is_one_error_naming_file_and_key(tmp_path, case):
    body, key = BAD[case]
    path = write_sweep(tmp_path, body)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert info.value.file == str(path)
    assert info.value.key == key
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "case", ["inverted bounds", "unknown parameter", "a Sobol' sequence of 100"]
)
def test_the_command_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, case):
    body, key = BAD[case]
    path = write_sweep(tmp_path, body)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"error: {path}: {key}: expected ")
    assert not out.exists()


def test_a_design_point_the_scenario_refuses_stops_the_sweep_before_any_run(tmp_path, capsys):
    """Adjustments above 10 % break the national rule: the scenario's own check refuses the
    points that go there, naming the sweep file and the point."""
    path = write_sweep(tmp_path, param('"land.adjustment" = { low = 0.0, high = 0.5 }'))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}, design point ")
    assert ": land.adjustment: expected a number in [-0.1, 0.1], got " in err
    assert not out.exists()


def test_a_missing_base_scenario_names_the_sweep_files_key(tmp_path):
    path = write_sweep(
        tmp_path, param('"flows.departure_rate" = [0.05]'), head='base = "no.toml"\n'
    )
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert (info.value.file, info.value.key) == (str(path), "base")


def test_an_unreachable_scheduler_is_a_user_error_and_nothing_is_written(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(runner, "SCHEDULER_TIMEOUT", 0.5)
    out = tmp_path / "out"
    argv = ["sweep", str(TINY_SWEEP), "--out", str(out), "--scheduler", "tcp://127.0.0.1:1"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: command line: --scheduler: expected the address of a running")
    assert not out.exists()


def test_a_scheduler_is_only_for_dask(tmp_path, capsys):
    argv = ["sweep", str(TINY_SWEEP), "--executor", "process", "--scheduler", "tcp://h:1"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert "--scheduler" in capsys.readouterr().err


def test_the_shipped_sweeps_load_at_100_persons_per_agent_on_common_seeds():
    """With a seed per point, replicate noise would pass for a lever's influence."""
    for path in sorted((ROOT / "scenarios" / "sweeps").glob("*.toml")):
        sweep = load_sweep(path)
        assert sweep.runs > 0, path.name
        assert sweep.base.persons_per_agent == 100, path.name
        assert sweep.seeds == "common", path.name


def test_without_outcomes_a_sweep_keeps_the_headlines_and_the_targets(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, LHS + '[parameters]\n"land.adjustment" = [0.0]\n'))
    names = [o.name for o in sweep.outcomes]
    assert names[: len(headlines(sweep.base))] == [o.name for o in headlines(sweep.base)]
    assert "target_hukou_population_met.ALL.2020" in names
    assert len(names) == len(set(names))


def test_parameters_may_be_nested_tables_or_quoted_key_paths(tmp_path):
    nested = write_sweep(
        tmp_path,
        LHS + "[parameters.flows.departure_rate]\nlow = 0.05\nhigh = 0.1\n" + OUTCOMES,
        name="nested",
    )
    quoted = write_sweep(
        tmp_path, param('"flows.departure_rate" = { low = 0.05, high = 0.1 }'), name="quoted"
    )
    assert load_sweep(nested).parameters == load_sweep(quoted).parameters
    assert load_sweep(nested).fingerprint() == load_sweep(quoted).fingerprint()


def test_set_as_nested_tables_changes_only_the_keys_it_names(tmp_path):
    body = param('"land.adjustment" = [0.0]') + (
        "\n[set.flows]\ndeparture_rate = 0.05\n"
        "\n[set.channels.talent]\nquota = { Edge = 9, default = 3 }\n"
    )
    sweep = load_sweep(write_sweep(tmp_path, body))
    assert sweep.base.flows.departure_rate == 0.05
    assert sweep.base.flows.arrivals_per_year == 6000  # tiny's own, kept
    assert sweep.base.channels.talent.quota == (3.0, 9.0)
    assert sweep.base.horizon == 2020
