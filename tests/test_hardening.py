"""Legal but suspect inputs, resource limits, interruptions, and reproducing a results folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import simulation
from simulation import api, engine
from simulation.checks import MEMORY_VARIABLE, memory_mib, suspect_inputs
from simulation.cli import main
from simulation.errors import ResourceError, ScenarioError
from tests.helpers import default_ctrl_c

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny" / "tiny.toml"
TINY_SWEEP = ROOT / "tests" / "data" / "sweeps" / "tiny_sweep.toml"


def last_line(capsys) -> Path:
    return Path(capsys.readouterr().out.splitlines()[-1])


# --- suspect inputs ---------------------------------------------------------------------------


def test_an_agent_bigger_than_a_district_or_a_quota_is_warned_about(tmp_path, capsys):
    # Tiny: Core has 8,000 non-registered residents and Edge 14,000; points quota 120.
    argv = ["run", str(TINY), "--set", "persons_per_agent=10000", "--out", str(tmp_path)]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "persons_per_agent = 10,000 is more than the non-registered residents of Core" in err
    assert "channels.points.quota is less than one agent" in err
    folder = next((tmp_path / "tiny").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert any("Core" in w for w in manifest["warnings"])
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "## Warnings" in report
    assert "can never admit anyone" in report


def test_a_horizon_far_past_the_data_and_an_unusable_quota_are_warned_about():
    far = simulation.load_scenario(TINY, {"horizon": 2100})
    assert any("83 years after the base year" in w for w in suspect_inputs(far))
    huge = simulation.load_scenario(TINY, {"channels.points.quota": 10**8})
    assert any("could ever use" in w for w in suspect_inputs(huge))
    assert suspect_inputs(simulation.load_scenario(TINY)) == []


# --- memory -----------------------------------------------------------------------------------


def test_memory_grows_with_people_and_years():
    small = memory_mib(simulation.load_scenario(TINY))
    more = memory_mib(simulation.load_scenario(TINY, {"flows.arrivals_per_year": 600_000}))
    longer = memory_mib(simulation.load_scenario(TINY, {"horizon": 2040}))
    coarse = memory_mib(simulation.load_scenario(TINY, {"persons_per_agent": 10}))
    assert small < longer < more
    assert coarse < small


def test_the_full_city_estimate_is_near_what_it_takes():
    """Measured with benchmarks/full_city.py: 692 MiB at one agent per person."""
    plan = simulation.load_scenario(
        ROOT / "scenarios" / "guangzhou" / "plan_2017.toml", {"persons_per_agent": 1}
    )
    assert 600 < memory_mib(plan) < 1000


def test_a_run_that_would_not_fit_is_refused_before_synthesis(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(api, "simulate", lambda s: pytest.fail("synthesised anyway"))
    argv = ["run", str(TINY), "--set", "flows.arrivals_per_year=1e9", "--out", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "would need about" in err
    assert "--max-memory" in err
    assert list(tmp_path.iterdir()) == []
    assert MEMORY_VARIABLE not in os.environ


def test_the_memory_limit_can_be_raised_or_lowered(tmp_path, capsys):
    assert main(["run", str(TINY), "--max-memory", "20", "--out", str(tmp_path)]) == 2
    assert "more than the 20 MiB" in capsys.readouterr().err
    with pytest.raises(ResourceError):
        simulation.run(TINY, max_memory_mib=20)
    assert simulation.run(TINY, max_memory_mib=10_000).table.runs == (("tiny", 0),)


@pytest.mark.parametrize(
    ("variable", "setting", "command"),
    [
        ("PEOPLELAND_THREADS", "many", ["run", str(TINY)]),
        ("PEOPLELAND_THREADS", "0", ["sweep", str(TINY_SWEEP), "--executor", "serial"]),
        ("PEOPLELAND_MAX_MEMORY_MIB", "lots", ["run", str(TINY)]),
    ],
)
def test_a_bad_setting_in_the_environment_stops_the_command_with_one_line(
    tmp_path, capsys, monkeypatch, variable, setting, command
):
    monkeypatch.setenv(variable, setting)
    assert main([*command, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert variable in err
    assert setting in err
    assert not (tmp_path / "out").exists()


def test_a_sweep_with_a_bad_threads_setting_is_refused_before_it_writes(tmp_path, monkeypatch):
    """Every run would fail on it and count as done: the sweep is refused instead."""
    from simulation.experiments.sweep import prepare
    from simulation.experiments.sweepfile import load_sweep

    monkeypatch.setenv("PEOPLELAND_THREADS", "none")
    with pytest.raises(ScenarioError, match="PEOPLELAND_THREADS"):
        prepare(load_sweep(TINY_SWEEP), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_bad_threads_setting_is_refused_before_the_model_starts(monkeypatch):
    entered = []
    monkeypatch.setattr(engine, "run_model", lambda s: entered.append(s))
    monkeypatch.setenv("PEOPLELAND_THREADS", "-2")
    with pytest.raises(ScenarioError, match="PEOPLELAND_THREADS"):
        engine.simulate(simulation.load_scenario(TINY))
    assert entered == []


# --- interruptions ----------------------------------------------------------------------------


def test_ctrl_c_during_a_run_says_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    def interrupted(s):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "simulate", interrupted)
    assert main(["run", str(TINY), "--out", str(tmp_path / "out")]) == 130
    assert capsys.readouterr().err == "interrupted; nothing written\n"
    assert not (tmp_path / "out").exists()


def test_ctrl_c_while_writing_leaves_no_folder(tmp_path, capsys, monkeypatch):
    from simulation import output

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "summarize", interrupted)
    assert main(["run", str(TINY), "--out", str(tmp_path / "out")]) == 130
    assert capsys.readouterr().err == "interrupted; nothing written\n"
    assert not (tmp_path / "out").exists()


def test_a_real_ctrl_c_stops_a_run_on_workers_with_one_line(tmp_path):
    """SIGINT to the whole process group, as a terminal sends it, while workers run."""
    out = tmp_path / "out"
    argv = [sys.executable, "run.py", str(TINY), "--replicates", "200", "--workers", "2"]
    process = subprocess.Popen(
        [*argv, "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=default_ctrl_c,
    )
    time.sleep(3)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err == "interrupted; nothing written\n"
    assert not out.exists() or not any(out.rglob("*"))


# --- reproduce --------------------------------------------------------------------------------


def run_tiny(folder: Path, capsys, *extra: str) -> Path:
    assert main(["run", str(folder / "tiny.toml"), *extra, "--out", str(folder / "out")]) == 0
    return last_line(capsys)


@pytest.fixture
def tiny_copy(tmp_path):
    return Path(shutil.copytree(TINY.parent, tmp_path / "tiny"))


def test_a_results_folder_reproduces_byte_for_byte(tiny_copy, capsys):
    folder = run_tiny(
        tiny_copy, capsys, "--seed", "3", "--replicates", "2", "--set", "land.adjustment=0.05"
    )
    assert main(["reproduce", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "timeseries.csv: identical, byte for byte" in out
    assert out.splitlines()[-1] == f"reproduced: {folder}"


def test_a_changed_input_is_reported_by_name(tiny_copy, capsys):
    folder = run_tiny(tiny_copy, capsys)
    csv = tiny_copy / "districts.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("20000", "20010", 1), encoding="utf-8")
    assert main(["reproduce", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"input changed since the run: {csv}" in out
    assert "timeseries.csv: differs" in out
    assert out.splitlines()[-1].startswith("not reproduced")


def test_a_tampered_table_does_not_reproduce(tiny_copy, capsys):
    folder = run_tiny(tiny_copy, capsys)
    table = folder / "timeseries.csv"
    table.write_text(table.read_text(encoding="utf-8") + "x\n")
    assert main(["reproduce", str(folder)]) == 1
    assert "timeseries.csv: differs" in capsys.readouterr().out


def test_a_comparison_reproduces(tmp_path, capsys):
    child = TINY.with_name("child.toml")
    argv = ["compare", str(TINY), str(child), "--replicates", "2", "--out", str(tmp_path)]
    assert main(argv) == 0
    folder = last_line(capsys)
    assert main(["reproduce", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "comparison.csv: identical, byte for byte" in out


def test_reproducing_something_that_is_not_a_results_folder_is_a_user_error(tmp_path, capsys):
    assert main(["reproduce", str(tmp_path)]) == 2
    assert "manifest" in capsys.readouterr().err


# --- what the command line says about itself ------------------------------------------------


def test_variables_and_params_are_listed(capsys):
    assert main(["variables"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["variable", "unit", "rows", "meaning"]
    assert any(line.startswith("settled_total\tpersons\t") for line in lines)
    assert main(["params"]) == 0
    rows = {line.split("\t")[0]: line.split("\t") for line in capsys.readouterr().out.splitlines()}
    assert rows["channels.points.max_age"][2:4] == ["45", "sourced: 穗府规〔2016〕6号"]
    assert rows["population.willing_share"][3] == "assumed"
    assert "year series" in rows["flows.hukou_natural_growth"][4]


@pytest.mark.parametrize("command", ["variables", "params"])
def test_output_to_a_reader_that_has_gone_ends_quietly(command):
    """`run.py variables | head`: the reader closes its end; the writer stops with 141, the
    status a shell gives a tool ended by SIGPIPE, and says nothing."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written: no race
    try:
        done = subprocess.run(
            [sys.executable, "run.py", command],
            cwd=ROOT,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("peopleland ")
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "scenarios/guangzhou/plan_2017.toml" in text
    assert "exit status" in text
    assert main(["run", "--help"]) == 0
    assert "repeat --set" in capsys.readouterr().out
