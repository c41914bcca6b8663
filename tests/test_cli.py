"""The command line, run in-process: results folders, options, exit codes, user errors."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from simulation import cli
from simulation.cli import main

TINY = str(Path(__file__).parent / "data" / "tiny" / "tiny.toml")


def folder_printed(capsys) -> Path:
    """The results folder the command printed as its last line."""
    return Path(capsys.readouterr().out.splitlines()[-1])


def rows(folder: Path, variable: str) -> list[dict[str, str]]:
    with (folder / "timeseries.csv").open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["variable"] == variable]


def settled_points(folder: Path) -> float:
    return sum(float(row["value"]) for row in rows(folder, "settled_points"))


# --- a successful run -------------------------------------------------------------------------


def test_run_returns_zero_and_prints_the_results_folder_last(tmp_path, capsys):
    assert main(["run", TINY, "--out", str(tmp_path)]) == 0
    folder = folder_printed(capsys)
    assert folder.parent == tmp_path / "tiny"
    assert folder.is_dir()


def test_results_folder_holds_table_manifest_report_and_figures(tmp_path, capsys):
    main(["run", TINY, "--out", str(tmp_path)])
    folder = folder_printed(capsys)
    assert (folder / "timeseries.csv").is_file()
    assert (folder / "manifest.json").is_file()
    assert (folder / "report.md").is_file()
    assert list(folder.glob("*.png"))


def test_run_leaves_no_temporary_folder(tmp_path):
    main(["run", TINY, "--out", str(tmp_path)])
    names = [p.name for p in (tmp_path / "tiny").iterdir()]
    assert len(names) == 1
    assert not [name for name in names if name.startswith(".")]


def test_scenario_alone_is_shorthand_for_run(tmp_path, capsys):
    assert main([TINY, "--out", str(tmp_path)]) == 0
    folder = folder_printed(capsys)
    assert folder.parent == tmp_path / "tiny"
    assert (folder / "timeseries.csv").is_file()


def test_out_defaults_to_results_in_the_working_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([TINY]) == 0
    assert (tmp_path / "results" / "tiny").resolve() == folder_printed(capsys).parent.resolve()


def test_seed_option_replaces_the_scenario_seed(tmp_path, capsys):
    main(["run", TINY, "--seed", "5", "--out", str(tmp_path)])
    folder = folder_printed(capsys)
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["seed"] == 5
    assert folder.name.endswith("seed5")


def test_set_option_overrides_a_scenario_value(tmp_path, capsys):
    main(["run", TINY, "--out", str(tmp_path / "as_written")])
    assert settled_points(folder_printed(capsys)) > 0
    main(["run", TINY, "--set", "channels.points.quota=0", "--out", str(tmp_path / "no_points")])
    folder = folder_printed(capsys)
    assert rows(folder, "settled_points")
    assert settled_points(folder) == 0


def test_same_seed_twice_gives_two_folders_with_identical_tables(tmp_path, capsys):
    main(["run", TINY, "--seed", "3", "--out", str(tmp_path)])
    first = folder_printed(capsys)
    main(["run", TINY, "--seed", "3", "--out", str(tmp_path)])
    second = folder_printed(capsys)
    assert first != second
    assert (first / "timeseries.csv").read_bytes() == (second / "timeseries.csv").read_bytes()


# --- user errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["run", "no_such_scenario.toml"], id="missing scenario file"),
        pytest.param(["run", TINY, "--set", "channels.points.quota=-1"], id="bad --set value"),
        pytest.param(["run", TINY, "--set", "channels.points.quotaa=1"], id="unknown --set key"),
        pytest.param(["run", TINY, "--set", "channels.points.quota"], id="--set without ="),
        pytest.param(["run", TINY, "--bogus"], id="unknown option"),
        pytest.param(["run", TINY, "--seed", "many"], id="non-numeric seed"),
        pytest.param(["run", TINY, "--seed", "-5"], id="negative seed"),
    ],
)
def test_user_error_exits_2_with_one_line_and_writes_nothing(args, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith("error:")
    assert not out.exists() or not any(out.iterdir())


def test_user_error_line_names_the_key_and_what_was_found(tmp_path, capsys):
    main(["run", TINY, "--set", "channels.points.quota=-1", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert "--set" in err
    assert "channels.points.quota" in err
    assert "-1" in err


# --- the default scenario ---------------------------------------------------------------------


def test_no_arguments_means_run_the_default_scenario():
    assert cli._normalise([]) == ["run"]
    args = cli._parser().parse_args(cli._normalise([]))
    assert Path(args.scenario) == cli.DEFAULT_SCENARIO
    assert cli.DEFAULT_SCENARIO.is_file()


def test_options_alone_run_the_default_scenario():
    args = cli._parser().parse_args(cli._normalise(["--seed", "1"]))
    assert Path(args.scenario) == cli.DEFAULT_SCENARIO
    assert args.seed == 1


def test_default_scenario_runs_end_to_end(tmp_path, capsys):
    status = main(
        ["run", "--set", "persons_per_agent=100", "--set", "horizon=2020", "--out", str(tmp_path)]
    )
    assert status == 0
    districts = {row["district"] for row in rows(folder_printed(capsys), "resident_population")}
    assert len(districts - {"ALL"}) == 11
    assert "ALL" in districts


def test_help_returns_zero(capsys):
    assert main(["--help"]) == 0
    assert "usage" in capsys.readouterr().out


@pytest.mark.parametrize("below", ["", "sub/dir"])
def test_an_output_path_that_is_a_file_is_refused_before_anything_runs(
    tmp_path, capsys, monkeypatch, below
):
    from simulation import api

    monkeypatch.setattr(api, "simulate", lambda s: pytest.fail("ran before checking --out"))
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    out = blocker / below if below else blocker
    assert main(["run", str(TINY), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: command line: --out: expected a folder")
    assert "taken is a file" in err


CHILD = str(Path(TINY).with_name("child.toml"))
SWEEP = str(Path(TINY).parents[1] / "sweeps" / "tiny_sweep.toml")
HAS_PROC = Path("/proc/self").is_dir()


def everything_runs_first(monkeypatch) -> None:
    """Fail the test if a model run or a sweep's preparation starts."""
    from simulation import api
    from simulation.experiments import sweep

    monkeypatch.setattr(api, "simulate", lambda s: pytest.fail("ran before checking --out"))
    monkeypatch.setattr(sweep, "prepare", lambda *a: pytest.fail("prepared before checking"))
    # As root os.access says yes everywhere: the check must not believe it.
    monkeypatch.setattr(os, "access", lambda path, mode: True)


@pytest.mark.parametrize(
    "command",
    [
        ["run", TINY],
        ["compare", TINY, CHILD],
        ["calibrate", TINY],
        ["backcast", TINY],
        ["sweep", SWEEP],
    ],
    ids=lambda argv: argv[0],
)
def test_an_output_folder_that_cannot_be_made_is_refused_before_anything_runs(
    tmp_path, capsys, monkeypatch, command
):
    everything_runs_first(monkeypatch)
    # No file system takes a name this long, whoever asks: the folder cannot be made.
    out = tmp_path / "new" / "deeper" / ("x" * 300) / "results"
    assert main([*command, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: command line: --out: expected a folder you may write to, ")
    assert "File name too long" in err
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # the folders the check made are gone


@pytest.mark.skipif(not HAS_PROC, reason="needs /proc")
def test_an_output_folder_root_may_not_write_to_is_refused(tmp_path, capsys, monkeypatch):
    everything_runs_first(monkeypatch)
    assert main(["run", TINY, "--out", "/proc/peopleland-results"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: command line: --out: expected a folder you may write to, ")
    assert "/proc/peopleland-results" in err


@pytest.mark.skipif(not HAS_PROC, reason="needs /proc")
def test_analysing_a_folder_that_cannot_be_written_is_refused(capsys, monkeypatch):
    from simulation.experiments import analyze

    monkeypatch.setattr(analyze, "read_sweep", lambda f: pytest.fail("read before checking"))
    monkeypatch.setattr(os, "access", lambda path, mode: True)
    assert main(["analyze", "/proc/sys"]) == 2
    assert "error: command line: folder: expected a folder you may write to" in (
        capsys.readouterr().err
    )


def test_a_new_output_folder_is_made_and_a_later_error_leaves_none(tmp_path, capsys):
    out = tmp_path / "new" / "deeper"
    assert main(["run", TINY, "--set", "channels.points.quota=-1", "--out", str(out)]) == 2
    assert list(tmp_path.iterdir()) == []
    assert main(["run", TINY, "--out", str(out)]) == 0
    assert folder_printed(capsys).parent == out / "tiny"
    assert [p.name for p in out.iterdir()] == ["tiny"]  # nothing left of the check


# --- the years that may be fitted -------------------------------------------------------------


def test_backcast_refuses_a_last_year_past_2018_before_anything_runs(tmp_path, capsys, monkeypatch):
    everything_runs_first(monkeypatch)
    out = tmp_path / "out"
    assert main(["backcast", TINY, "--last-year", "2019", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "error: command line: --last-year: expected a year up to 2018 (later figures are kept "
        "aside to test the model), got 2019\n"
    )
    assert not out.exists()


def test_a_calibration_file_may_not_fit_past_2018(tmp_path, capsys, monkeypatch):
    everything_runs_first(monkeypatch)
    (tmp_path / "observations.csv").write_text(
        "variable,district,year,value,measure,weight,source\n"
        "hukou_population,ALL,2018,28000,level,1,a figure\n"
    )
    spec = tmp_path / "calibration.toml"
    spec.write_text(
        'observations = "observations.csv"\nlast_year = 2030\n[parameters]\n'
        '"flows.departure_rate" = { low = 0.05, high = 0.1 }\n'
    )
    out = tmp_path / "out"
    assert main(["calibrate", TINY, "--calibration", str(spec), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"error: {spec}: last_year: expected a year up to 2018 (later figures are kept aside to "
        "test the model), got 2030\n"
    )
    assert not out.exists()


def test_observations_past_2018_cannot_be_read_for_fitting_from_python(tmp_path):
    from simulation.errors import ScenarioError
    from simulation.experiments.observations import read_observations

    with pytest.raises(ScenarioError) as info:
        read_observations(tmp_path / "none.csv", ("Core", "Edge"), last_year=2019)
    assert (info.value.file, info.value.key, info.value.got) == (
        "read_observations",
        "last_year",
        2019,
    )
