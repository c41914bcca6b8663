"""Running sweeps: the same runs.csv on every executor, streamed shards, resume, failures."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import simulation
from simulation import api
from simulation.cli import main
from simulation.errors import AccountError
from simulation.experiments import store as store_module
from simulation.experiments.evaluate import evaluate
from simulation.experiments.runner import run_streaming
from simulation.experiments.sweepfile import load_sweep
from tests.helpers import default_ctrl_c
from tests.sweep_helpers import OUTCOMES, ROOT, TINY_SWEEP, read_csv, write_sweep


def sweep_to(folder: Path, *extra: str, sweep: Path = TINY_SWEEP) -> int:
    return main(["sweep", str(sweep), "--out", str(folder), *extra])


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("serial") / "sweep"
    assert sweep_to(folder, "--executor", "serial") == 0
    return folder


def test_a_sweep_writes_one_row_per_run_with_parameters_seed_status_and_outcomes(serial):
    sweep = load_sweep(TINY_SWEEP)
    rows = read_csv(serial / "runs.csv")
    assert [int(r["run"]) for r in rows] == list(range(sweep.runs)) == list(range(16))
    assert list(rows[0])[:6] == [
        "run",
        "point",
        "replicate",
        "channels.talent.quota.Edge",
        "fiscal.reward_per_person_yuan",
        "flows.departure_rate",
    ]
    assert list(rows[0])[6:9] == ["seed", "status", "error"]
    assert "settled_total.Edge.sum" in rows[0]
    assert "target_hukou_population_met.ALL.2020" in rows[0]
    design = read_csv(serial / "design.csv")
    for row in rows:
        point, replicate = int(row["point"]), int(row["replicate"])
        assert int(row["run"]) == point * 2 + replicate
        assert int(row["seed"]) == sweep.run_seed(point, replicate)
        assert row["status"] == "ok"
        assert row["error"] == ""
        assert row["flows.departure_rate"] == design[point]["flows.departure_rate"]
    summary = json.loads((serial / "summary.json").read_text())
    assert (summary["runs"], summary["failed"]) == (16, 0)
    manifest = json.loads((serial / "sweep.json").read_text())
    assert manifest["fingerprint"] == sweep.fingerprint()
    assert manifest["columns"] == list(rows[0])


def test_a_runs_outcomes_are_the_models_for_its_point_and_seed(serial):
    """Cross-check a row against evaluate(): the sweep adds nothing of its own to a run."""
    sweep = load_sweep(TINY_SWEEP)
    row = read_csv(serial / "runs.csv")[5]
    params = {
        p.key: float(row[p.label]) if p.kind != "levels" else row[p.label] for p in sweep.parameters
    }
    got = evaluate(params, base=sweep.base, seed=int(row["seed"]), outcomes=sweep.outcomes)
    for name, value in got.items():
        assert float(row[name]) == value


def test_results_do_not_depend_on_the_executor_or_the_number_of_workers(serial, tmp_path):
    from distributed import LocalCluster

    expected = (serial / "runs.csv").read_text()
    assert sweep_to(tmp_path / "one", "--executor", "process", "--workers", "1") == 0
    assert sweep_to(tmp_path / "two", "--executor", "process", "--workers", "2") == 0
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        assert sweep_to(tmp_path / "remote", "--scheduler", cluster.scheduler_address) == 0
    for name in ("one", "two", "remote"):
        assert (tmp_path / name / "runs.csv").read_text() == expected, name


def test_dask_without_a_scheduler_starts_a_local_cluster(serial, tmp_path, capsys):
    assert sweep_to(tmp_path / "local", "--executor", "dask", "--workers", "1") == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(tmp_path / "local")
    assert (tmp_path / "local" / "runs.csv").read_text() == (serial / "runs.csv").read_text()


def test_the_default_folder_is_named_after_the_sweep_and_a_rerun_resumes_it(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", str(TINY_SWEEP), "--executor", "serial"]) == 0
    folder = Path(capsys.readouterr().out.splitlines()[-1])
    assert folder == Path("results") / "sweeps" / "tiny_sweep"
    before = (folder / "runs.csv").read_text()
    assert main(["sweep", str(TINY_SWEEP), "--executor", "serial"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1] == str(folder)
    assert "0 run now" in captured.err
    assert (folder / "runs.csv").read_text() == before


def test_a_changed_sweep_is_refused_in_the_folder_of_the_old_one(serial, tmp_path, capsys):
    changed = tmp_path / "changed.toml"
    changed.write_text(
        TINY_SWEEP.read_text()
        .replace("samples = 8", "samples = 9")
        .replace('"../tiny/tiny.toml"', f'"{(TINY_SWEEP.parent / "../tiny/tiny.toml").as_posix()}"')
    )
    before = (serial / "runs.csv").read_text()
    assert sweep_to(serial, "--executor", "serial", sweep=changed) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {changed}: (sweep): expected the definition that started ")
    assert "fingerprint" in err
    assert (serial / "runs.csv").read_text() == before


def test_a_folder_holding_other_files_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert sweep_to(tmp_path, "--executor", "serial") == 2
    assert "--out" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_failing_run_is_recorded_and_counted_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    model = api.simulate

    def breaks_at_high_rewards(scenario):
        if scenario.fiscal.reward_per_person_yuan > 1500:
            raise AccountError(2019, "Edge", "people", "in-test failure")
        return model(scenario)

    monkeypatch.setattr(api, "simulate", breaks_at_high_rewards)
    path = write_sweep(
        tmp_path,
        """
replicates = 2
[design]
method = "grid"

[parameters]
"fiscal.reward_per_person_yuan" = [1000, 2000]
"channels.talent.quota.Edge" = [100, 200, 300]
"""
        + OUTCOMES,
    )
    folder = tmp_path / "out"
    assert sweep_to(folder, "--executor", "serial", sweep=path) == 0
    rows = read_csv(folder / "runs.csv")
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(rows) == 12
    assert len(failed) == 6
    assert all(r["fiscal.reward_per_person_yuan"] == "2000" for r in failed)
    assert failed[0]["error"] == (
        "AccountError: account broken in 2019, district Edge, people: in-test failure"
    )
    assert failed[0]["settled_total.ALL.sum"] == ""
    assert all(float(r["settled_total.ALL.sum"]) > 0 for r in rows if r["status"] == "ok")
    assert json.loads((folder / "summary.json").read_text())["failed"] == 6
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1  # the summary; no progress bar where stderr is not a terminal
    assert ", 6 failed" in err[0]


def test_kept_time_series_go_to_parquet_shards_one_set_per_run(tmp_path):
    path = write_sweep(
        tmp_path,
        """
replicates = 2
keep_series = ["settled_total", "hukou_population"]
[design]
method = "grid"

[parameters]
"channels.talent.quota.Edge" = [100, 300]
"""
        + OUTCOMES,
    )
    folder = tmp_path / "out"
    assert sweep_to(folder, "--executor", "serial", sweep=path) == 0
    table = pq.read_table(folder / "series").to_pydict()
    assert set(table["variable"]) == {"settled_total", "hukou_population"}
    assert sorted(set(table["run"])) == [0, 1, 2, 3]
    sweep = load_sweep(path)
    run = read_csv(folder / "runs.csv")[3]
    scenario = sweep.variant({"channels.talent.quota.Edge": 300}, 1)
    expected = simulation.run(scenario, int(run["seed"])).table
    years, values = expected.select("settled_total", "Edge")
    mine = [
        (y, v)
        for r, y, d, var, v in zip(
            table["run"],
            table["year"],
            table["district"],
            table["variable"],
            table["value"],
            strict=True,
        )
        if r == 3 and d == "Edge" and var == "settled_total"
    ]
    assert sorted(mine) == list(zip(years.tolist(), values.tolist(), strict=True))


def test_shards_are_merged_as_they_accumulate_and_each_run_is_kept_once(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "MERGE_AT", 3)
    monkeypatch.setattr("simulation.experiments.sweep.MAX_BATCH", 1)  # a shard per run
    folder = tmp_path / "out"
    assert sweep_to(folder, "--executor", "serial") == 0
    assert [int(r["run"]) for r in read_csv(folder / "runs.csv")] == list(range(16))
    assert not (folder / "shards").exists()


def test_streaming_keeps_only_a_few_batches_in_flight():
    """Items are drawn only as batches are submitted: the rest of a long sweep is never held."""
    drawn = []
    lock = threading.Lock()

    def items():
        for i in range(200):
            with lock:
                drawn.append(i)
            yield i

    seen = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        for batch, results in run_streaming(items(), math.sqrt, pool, batch_size=5, in_flight=3):
            assert results == [math.sqrt(i) for i in batch]
            seen += len(batch)
            assert len(drawn) - seen <= 3 * 5
    assert seen == 200


# --- interrupted sweeps -----------------------------------------------------------------------

RESUMABLE = (
    """
replicates = 2
keep_series = ["settled_total"]
[design]
method = "lhs"
samples = 20
seed = 1

[parameters]
"channels.talent.quota.Edge" = { low = 0, high = 600 }
"flows.departure_rate" = { low = 0.05, high = 0.1 }
"""
    + OUTCOMES
)


@pytest.fixture(scope="module")
def resumable(tmp_path_factory) -> tuple[Path, str]:
    """The interrupted sweeps' file, and the runs.csv of the same sweep run without a stop."""
    folder = tmp_path_factory.mktemp("resumable")
    path = write_sweep(folder, RESUMABLE)
    assert (
        main(["sweep", str(path), "--out", str(folder / "reference"), "--executor", "serial"]) == 0
    )
    return path, (folder / "reference" / "runs.csv").read_text()


def _shard_rows(folder: Path) -> list[dict[str, str]]:
    """Rows in finished shards (not in a shard still being written under a temporary name)."""
    shards = folder / "shards"
    paths = sorted(shards.glob("runs-*.csv")) if shards.is_dir() else []
    return [row for path in paths for row in read_csv(path)]


def _rows_on_disk(folder: Path) -> int:
    return len(_shard_rows(folder))


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_an_interrupted_sweep_resumes_and_runs_every_run_exactly_once(tmp_path, resumable, stop):
    path, uninterrupted = resumable
    folder = tmp_path / "out"
    command = [sys.executable, "run.py", "sweep", str(path), "--out", str(folder)]
    process = subprocess.Popen(
        [*command, "--executor", "process", "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the signal reaches its workers too
        preexec_fn=default_ctrl_c,
    )
    try:
        deadline = time.monotonic() + 60
        while not _rows_on_disk(folder) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(process.pid, stop)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert not (folder / "runs.csv").exists(), "the sweep finished before it was stopped"
    done = _rows_on_disk(folder)
    assert 0 < done < 40
    if stop == signal.SIGINT:
        assert process.returncode == 130
        assert b"run the same command to resume" in err
    # As if killed between a task's time series and its rows: series of runs not done.
    pending = sorted(set(range(40)) - {int(r["run"]) for r in _shard_rows(folder)})
    orphan = pa.table({"run": [pending[0]] * 3, "value": [1.0, 2.0, 3.0]})
    (folder / "series").mkdir(exist_ok=True)
    pq.write_table(orphan, folder / "series" / "part-999999.parquet")

    assert main(["sweep", str(path), "--out", str(folder), "--executor", "serial"]) == 0
    rows = read_csv(folder / "runs.csv")
    assert sorted(int(r["run"]) for r in rows) == list(range(40))  # each run exactly once
    assert not list(folder.rglob(".tmp-*"))
    assert (folder / "runs.csv").read_text() == uninterrupted
    series = pq.read_table(folder / "series", columns=["run"]).column("run").to_numpy()
    counts = np.bincount(series, minlength=40)
    assert len(set(counts)) == 1  # the same rows for every run: none twice, none missing
    assert counts[0] == 3 * 3  # a flow: Core, Edge and ALL in each of the 3 simulated years


def test_every_run_settles_someone_and_parameters_are_written_as_exact_floats(serial):
    rows = read_csv(serial / "runs.csv")
    values = np.array([float(r["settled_total.ALL.sum"]) for r in rows])
    assert np.all(values > 0)
    assert all(repr(float(r["flows.departure_rate"])) == r["flows.departure_rate"] for r in rows)


def test_a_sweep_that_would_not_fit_is_refused_and_nothing_is_written(serial, tmp_path, capsys):
    assert sweep_to(tmp_path / "out", "--max-memory", "20", "--workers", "2") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: scenario tiny on 2 workers would need about ")
    assert "more than the 20 MiB" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()
    finished = tmp_path / "finished"  # nothing left to run: nothing to refuse
    shutil.copytree(serial, finished)
    assert sweep_to(finished, "--max-memory", "20", "--executor", "serial") == 0
    assert "16 of 16 runs done (complete), 0 failed" in capsys.readouterr().err


def test_a_missing_extra_is_named_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    assert sweep_to(tmp_path / "out", "--executor", "serial") == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: a sweep's progress bar needs tqdm: pip install 'peopleland[sweep]'"
    assert not (tmp_path / "out").exists()
