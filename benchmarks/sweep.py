"""Sweep throughput: runs per second of the Guangzhou default, by executor and worker count.

    python benchmarks/sweep.py [--runs 40] [--persons-per-agent 100]
                               [--executors process dask] [--workers 1 2] [--root DIR]

Each configuration runs a Latin hypercube of `--runs` points over the five levers (and with the
outcomes) of scenarios/sweeps/guangzhou_levers.toml into a fresh temporary folder, through the same
prepare / execute path as `python run.py sweep`. Printed per configuration: the time to check
every design point, to start the executor, to run the sweep, the runs per second while
running, and a 1,000-run sweep extrapolated from those (checks scale with points, start-up is
paid once, runs at the measured rate). Timings on a shared machine are noisy: compare
configurations measured back to back.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

try:
    from benchmarks import common
except ModuleNotFoundError:  # run as a script
    import common  # type: ignore[no-redef]

if TYPE_CHECKING:  # imported from the tree being timed, once --root is known
    from simulation.experiments.sweepfile import Sweep

#: The example sweep, in the tree being timed.
EXAMPLE = Path("scenarios") / "sweeps" / "guangzhou_levers.toml"
TARGET_RUNS = 1000


def benchmark_sweep(root: Path, runs: int, persons_per_agent: int) -> Sweep:
    """The example's levers and outcomes on a Latin hypercube of `runs` points."""
    from simulation.experiments.design import DesignSpec
    from simulation.experiments.sweepfile import load_sweep

    sweep = load_sweep(root / EXAMPLE)
    base = sweep.base.with_values({"persons_per_agent": persons_per_agent}, origin="benchmark")
    design = DesignSpec("lhs", samples=runs, seed=2)
    return dataclasses.replace(sweep, name="benchmark", base=base, design=design)


def measure(sweep: Sweep, executor: str, workers: int) -> dict[str, float]:
    from simulation.experiments.runner import executor_for
    from simulation.experiments.sweep import execute, prepare

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        plan = prepare(sweep, Path(folder) / "sweep")
        prepared = time.perf_counter()
        with executor_for(executor, workers) as (pool, capacity):
            ready = time.perf_counter()
            summary = execute(plan, pool, capacity=capacity, progress=False)
            ran = time.perf_counter()
        if not summary.complete or summary.failed:
            raise RuntimeError(summary.line())
    return {
        "runs": summary.runs,
        "check": prepared - started,
        "start": ready - prepared,
        "run": ran - ready,
    }


def main() -> int:
    parser = common.parser(__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--persons-per-agent", type=int, default=100)
    parser.add_argument("--executors", nargs="+", default=["process", "dask"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    root = common.use_root(args.root)
    from simulation.experiments.sweep import prepare

    sweep = benchmark_sweep(root, args.runs, args.persons_per_agent)
    with tempfile.TemporaryDirectory() as folder:
        prepare(sweep, Path(folder) / "warm-up")  # imports and the district table, untimed
    levers = ", ".join(p.label for p in sweep.parameters)
    base = sweep.base
    common.report(
        [
            ("tree", str(root)),
            ("sweep", f"{sweep.runs} runs, LHS over {levers}"),
            ("base", f"{base.name}, {base.base_year}-{base.horizon}"),
            ("persons per agent", str(base.persons_per_agent)),
            ("cores", str(os.cpu_count())),
        ]
    )
    print(
        f"{'executor':<9}{'workers':>8}{'check s':>9}{'start s':>9}{'run s':>8}"
        f"{'runs/s':>8}{f'{TARGET_RUNS} runs, s (extrapolated)':>30}"
    )
    for executor in args.executors:
        for workers in args.workers:
            t = measure(sweep, executor, workers)
            rate = t["runs"] / t["run"]
            whole = t["check"] * TARGET_RUNS / t["runs"] + t["start"] + TARGET_RUNS / rate
            print(
                f"{executor:<9}{workers:>8}{t['check']:>9.2f}{t['start']:>9.2f}"
                f"{t['run']:>8.2f}{rate:>8.2f}{whole:>30.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
