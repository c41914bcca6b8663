"""Small runs: `simulation.run` of the Guangzhou default at 100 persons per agent, the size a
sweep or a calibration uses, many times; and `import simulation` in a fresh process.

    python benchmarks/small_run.py [--runs 20] [--persons-per-agent 100] [--root DIR]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

try:
    from benchmarks import common
except ModuleNotFoundError:  # run as a script
    import common  # type: ignore[no-redef]


def python_seconds(code: str, cwd: Path | None = None, repeat: int = 7) -> float:
    """Median wall time of `python -c code` in a fresh process (interpreter start included)."""
    seconds, _ = common.median_time(
        lambda: subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True), repeat
    )
    return seconds


def main() -> int:
    args = common.parser(__doc__)
    args.add_argument("--runs", type=int, default=20)
    args.add_argument("--persons-per-agent", type=int, default=100)
    options = args.parse_args()
    root = common.use_root(options.root)
    import simulation

    scenario = simulation.load_scenario(
        common.scenario_path(root), {"persons_per_agent": options.persons_per_agent}
    )
    simulation.run(scenario, seed=0)  # warm up caches and lazy imports
    times = []
    for seed in range(1, options.runs + 1):
        started = time.perf_counter()
        simulation.run(scenario, seed=seed)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    imported = python_seconds("import simulation", root)
    bare = python_seconds("pass")
    common.report(
        [
            ("tree", str(root)),
            ("persons per agent", str(options.persons_per_agent)),
            ("run, median", f"{median * 1000:.0f} ms over {options.runs} runs"),
            ("run, fastest / slowest", f"{min(times) * 1000:.0f} / {max(times) * 1000:.0f} ms"),
            ("runs per second", f"{1 / median:.1f} on one core"),
            (
                "import simulation",
                f"{imported * 1000:.0f} ms (bare interpreter {bare * 1000:.0f} ms)",
            ),
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
