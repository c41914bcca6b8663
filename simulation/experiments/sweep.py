"""Running a sweep: every design point times every replicate, on any executor, streamed to disk.

`prepare` reads the folder and checks every design point still to run (writing nothing);
`execute` runs them in tasks of about a second, writes each finished task as a shard, and
merges the shards into `runs.csv` when every run is done. Each run's seed comes from the sweep's
seed, its design point and its replicate number alone, so results never depend on the
executor, the number of workers, or how often the sweep was interrupted.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulation import numeric
from simulation.api import run
from simulation.config import Scenario
from simulation.experiments.design import point_values, unit_matrix
from simulation.experiments.evaluate import outcomes_of
from simulation.experiments.extras import require
from simulation.experiments.runner import run_streaming
from simulation.experiments.store import SweepStore
from simulation.experiments.sweepfile import Sweep, check_points
from simulation.outcomes import Outcome
from simulation.results import LongTable, jsonable, versions

#: Runs are grouped into tasks of about this many seconds, so scheduling stays a small cost.
TASK_SECONDS = 1.0
MAX_BATCH = 500
FIXED_COLUMNS = ("run", "point", "replicate")
STATUS_COLUMNS = ("seed", "status", "error")
OK, FAILED = "ok", "failed"


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: everything a worker needs, nothing it must read from disk."""

    run: int
    point: int
    replicate: int
    seed: int
    scenario: Scenario
    outcomes: tuple[Outcome, ...]
    series: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()  # the point's parameter values, for its row


@dataclass(frozen=True)
class RunResult:
    """What came of a run: its outcomes, or the error that stopped it."""

    run: int
    status: str
    error: str
    values: tuple[float, ...]
    seconds: float
    series: Any = None  # a pyarrow Table of the kept time series


def run_one(spec: RunSpec) -> RunResult:
    """Run one design point with one seed (a module-level function: workers unpickle it).

    Any error in the model is recorded with the run, and the sweep goes on.
    """
    started = time.perf_counter()
    try:
        table = run(spec.scenario, spec.seed, replicate=spec.replicate).table
        values = tuple(outcomes_of(table, spec.outcomes).values())
        series = _series(table, spec) if spec.series else None
    except Exception as exc:
        error = " ".join(f"{type(exc).__name__}: {exc}".split())
        missing = tuple(math.nan for _ in spec.outcomes)
        return RunResult(spec.run, FAILED, error, missing, time.perf_counter() - started)
    return RunResult(spec.run, OK, "", values, time.perf_counter() - started, series)


def _series(table: LongTable, spec: RunSpec) -> Any:
    import pyarrow as pa

    keep = np.isin(table.variable, spec.series)
    rows = int(keep.sum())
    return pa.table(
        {
            "run": np.full(rows, spec.run, dtype=np.int64),
            "point": np.full(rows, spec.point, dtype=np.int64),
            "replicate": np.full(rows, spec.replicate, dtype=np.int64),
            "year": table.year[keep].astype(np.int16),
            "district": pa.array(table.district[keep].tolist(), type=pa.string()),
            "variable": pa.array(table.variable[keep].tolist(), type=pa.string()),
            "value": table.value[keep],
        }
    )


# --- the table of runs ------------------------------------------------------------------------


def columns(sweep: Sweep) -> list[str]:
    """The columns of runs.csv: run id, parameters, seed, status, outcomes."""
    labels = [p.label for p in sweep.parameters]
    return [*FIXED_COLUMNS, *labels, *STATUS_COLUMNS, *(o.name for o in sweep.outcomes)]


def cell(value: Any) -> str:
    """A value as runs.csv writes it; floats exactly (they read back to the same number)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    return json.dumps(jsonable(value), ensure_ascii=False)


def _row(spec: RunSpec, result: RunResult) -> list[str]:
    outcomes = [cell(v) if result.status == OK else "" for v in result.values]
    head = [str(spec.run), str(spec.point), str(spec.replicate)]
    status = [str(spec.seed), result.status, result.error]
    return [*head, *map(cell, spec.values), *status, *outcomes]


# --- preparing and running --------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A sweep ready to run: its folder, its design, the runs still to do."""

    sweep: Sweep
    store: SweepStore
    unit: np.ndarray
    pending: tuple[int, ...]


@dataclass(frozen=True)
class Summary:
    """What a sweep has done so far."""

    folder: Path
    runs: int
    done: int
    failed: int
    ran: int  # runs done by this call
    seconds: float

    @property
    def complete(self) -> bool:
        return self.done == self.runs

    def line(self) -> str:
        rate = self.ran / self.seconds if self.seconds > 0 else 0.0
        state = "complete" if self.complete else f"{self.runs - self.done} still to run"
        return (
            f"{self.done} of {self.runs} runs done ({state}), {self.failed} failed; "
            f"{self.ran} run now in {self.seconds:.1f} s ({rate:.1f} runs/s)"
        )


def prepare(sweep: Sweep, folder: str | Path) -> Plan:
    """Check the folder, the environment's settings and every design point still to run; write
    nothing."""
    numeric.cores()  # a bad PEOPLELAND_THREADS would fail every run: refuse the sweep instead
    require("tqdm", "sweep", "a sweep's progress bar")
    if sweep.series:
        require("pyarrow", "sweep", "keeping per-run time series (keep_series)")
    store = SweepStore(folder)
    store.check(sweep.fingerprint(), sweep.file)
    unit = unit_matrix(sweep.design, sweep.parameters)
    done = store.done()
    pending = tuple(r for r in range(sweep.runs) if r not in done)
    check_points(sweep, unit, sorted({r // sweep.replicates for r in pending}))
    return Plan(sweep, store, unit, pending)


def manifest(sweep: Sweep, command: str) -> dict[str, Any]:
    """sweep.json: the definition, its fingerprint, the design and the columns."""
    return {
        "kind": "sweep",
        "name": sweep.name,
        "description": sweep.description,
        "file": sweep.file,
        "base": sweep.base.source.path if sweep.base.source else "",
        "fingerprint": sweep.fingerprint(),
        "points": sweep.points,
        "runs": sweep.runs,
        "replicates": sweep.replicates,
        "seed": sweep.seed,
        "seeds": sweep.seeds,
        "design": sweep.design.describe(),
        "parameters": [p.describe() for p in sweep.parameters],
        "outcomes": [
            {**jsonable(o), "name": o.name, "title": o.title, "unit": o.unit}
            for o in sweep.outcomes
        ],
        "series": list(sweep.series),
        "columns": columns(sweep),
        "definition": sweep.definition(),
        "versions": versions(),
        "command": command,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def design_table(sweep: Sweep, unit: np.ndarray) -> tuple[list[str], Iterator[list[str]]]:
    """design.csv: every point's unit coordinates (`u:<parameter>`) and values."""
    labels = [p.label for p in sweep.parameters]
    header = ["point", *(f"u:{label}" for label in labels), *labels]
    rows = (
        [
            str(i),
            *(repr(float(u)) for u in row),
            *map(cell, point_values(sweep.parameters, row).values()),
        ]
        for i, row in enumerate(unit)
    )
    return header, rows


def _specs(plan: Plan) -> Iterator[RunSpec]:
    """The pending runs in order, each point's scenario derived once, when first needed."""
    sweep = plan.sweep
    point, values, scenario = -1, (), sweep.base
    for run_id in plan.pending:
        if run_id // sweep.replicates != point:
            point = run_id // sweep.replicates
            given = point_values(sweep.parameters, plan.unit[point])
            values, scenario = tuple(given.values()), sweep.variant(given, point)
        replicate = run_id % sweep.replicates
        seed = sweep.run_seed(point, replicate)
        yield RunSpec(
            run_id, point, replicate, seed, scenario, sweep.outcomes, sweep.series, values
        )


class _Pace:
    """Task sizes from the run times seen so far."""

    def __init__(self) -> None:
        self.runs = 0
        self.seconds = 0.0

    def add(self, results: list[RunResult]) -> None:
        self.runs += len(results)
        self.seconds += sum(r.seconds for r in results)

    def batch_size(self) -> int:
        if not self.runs:
            return 1
        per_run = max(self.seconds / self.runs, 1e-4)
        return max(1, min(MAX_BATCH, math.ceil(TASK_SECONDS / per_run)))


def execute(
    plan: Plan,
    executor: Executor | None = None,
    *,
    capacity: int = 1,
    command: str = "",
    progress: bool = True,
) -> Summary:
    """Run the pending runs of a plan on `executor` (serial without one), `capacity` at a time,
    writing each finished task to the folder; merge into runs.csv when all are done."""
    sweep, store = plan.sweep, plan.store
    tqdm = require("tqdm", "sweep", "a sweep's progress bar").tqdm
    store.open(manifest(sweep, command), *design_table(sweep, plan.unit))
    started = time.perf_counter()
    header = columns(sweep)
    pace = _Pace()
    ran = failed = 0  # failed: in this session, for the progress bar
    done_before = sweep.runs - len(plan.pending)
    quiet = not progress or not sys.stderr.isatty()
    try:
        with tqdm(
            total=sweep.runs, initial=done_before, unit="run", desc=sweep.name, disable=quiet
        ) as bar:
            for batch, results in run_streaming(
                _specs(plan),
                run_one,
                executor,
                batch_size=pace.batch_size,
                in_flight=2 * capacity,
            ):
                rows = [_row(spec, r) for spec, r in zip(batch, results, strict=True)]
                store.write_shard(header, rows, _concat([r.series for r in results]))
                pace.add(results)
                ran += len(results)
                failed += sum(r.status == FAILED for r in results)
                bar.set_postfix(failed=failed, refresh=False)
                bar.update(len(results))
        done = done_before + ran
        if done < sweep.runs:  # the executor stopped early
            failed = store.failed(header.index("status"))
            return Summary(store.folder, sweep.runs, done, failed, ran, _since(started))
        store.finish(header)
        failed = store.failed(header.index("status"))
        summary = Summary(store.folder, sweep.runs, done, failed, ran, _since(started))
        store.write_summary(
            {
                "runs": summary.runs,
                "ok": summary.runs - summary.failed,
                "failed": summary.failed,
                "last_session": {"runs": ran, "seconds": round(summary.seconds, 3)},
            }
        )
        return summary
    finally:
        store.close()


def _since(started: float) -> float:
    return time.perf_counter() - started


def _concat(tables: list[Any]) -> Any:
    kept = [t for t in tables if t is not None]
    if not kept:
        return None
    import pyarrow as pa

    return pa.concat_tables(kept)
