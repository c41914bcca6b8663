"""Sweep throughput: runs per second of the Guangzhou default, by executor and worker count.

    python benchmarks/sweep.py [--runs 40] [--persons-per-agent 100]
                               [--executors process dask] [--workers 1 2]

Each configuration runs a Latin hypercube of `--runs` points over the five levers (and with the
outcomes) of scenarios/sweeps/guangzhou_levers.toml into a fresh temporary folder, through the same
prepare / execute path as `python run.py sweep`. Printed per configuration: the time to check
every design point, to start the executor, to run the sweep, the runs per second while
running, and a 1,000-run sweep extrapolated from those (checks scale with points, start-up is
paid once, runs at the measured rate). Timings on a shared machine are noisy: compare
configurations measured back to back.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.experiments.design import DesignSpec  # noqa: E402
from simulation.experiments.runner import executor_for  # noqa: E402
from simulation.experiments.sweep import execute, prepare  # noqa: E402
from simulation.experiments.sweepfile import Sweep, load_sweep  # noqa: E402

EXAMPLE = ROOT / "scenarios" / "sweeps" / "guangzhou_levers.toml"
TARGET_RUNS = 1000


def benchmark_sweep(runs: int, persons_per_agent: int) -> Sweep:
    """The example's levers and outcomes on a Latin hypercube of `runs` points."""
    sweep = load_sweep(EXAMPLE)
    base = sweep.base.with_values({"persons_per_agent": persons_per_agent}, origin="benchmark")
    design = DesignSpec("lhs", samples=runs, seed=2)
    return dataclasses.replace(sweep, name="benchmark", base=base, design=design)


def measure(sweep: Sweep, executor: str, workers: int) -> dict[str, float]:
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--persons-per-agent", type=int, default=100)
    parser.add_argument("--executors", nargs="+", default=["process", "dask"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    sweep = benchmark_sweep(args.runs, args.persons_per_agent)
    with tempfile.TemporaryDirectory() as folder:
        prepare(sweep, Path(folder) / "warm-up")  # imports and the district table, untimed
    levers = ", ".join(p.label for p in sweep.parameters)
    print(f"command            : python benchmarks/sweep.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"sweep              : {sweep.runs} runs, LHS over {levers}")
    print(f"base               : {sweep.base.name}, {sweep.base.base_year}-{sweep.base.horizon}")
    print(f"persons per agent  : {sweep.base.persons_per_agent}")
    print(f"cores              : {os.cpu_count()}")
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
