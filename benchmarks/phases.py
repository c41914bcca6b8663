"""Where a small run's time goes: `simulation.run` of the Guangzhou default under cProfile, its
time split into the phases of a year, at each size given, and the functions that take the most
time of their own at the first size.

    python benchmarks/phases.py [--runs 10] [--persons-per-agent 100 100000] [--top 15]
                                [--repeat 3]

At 100,000 persons per agent the default draws about 140 heads in all (143,000 at 100): what
a run takes there is the cost of its years' fixed work (events, bookkeeping, records), which
does not shrink with the population. The profiler slows every call, so the phases' times are
larger than a run's own (the median of `--repeat` runs without it is printed beside them):
their shares are what to compare.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    from benchmarks import common
except ModuleNotFoundError:  # run as a script
    import common  # type: ignore[no-redef]

Label = tuple[str, int, str]  # how pstats names a function: file, first line, name


def where(function: Callable[..., Any]) -> tuple[str, int]:
    """A function's file and first line: how to find it in a profile (whose name for it, plain
    or qualified, depends on the Python version)."""
    code = function.__code__
    return code.co_filename, code.co_firstlineno


def phases() -> list[tuple[str, Callable[..., Any]]]:
    """The phases of a run, each a function whose calls (with what they call) are its time."""
    from simulation import engine, results, synthesis

    return [
        ("base population", synthesis.synthesize),
        ("arrivals", engine.Model._year_arrivals),
        ("departures and flow steps", engine.Model.flow_step),  # less its arrivals
        ("applications", engine.Model.apply),
        ("admissions", engine.Model.admit),
        ("year end", engine.Model.close_year),
        ("results table", results.LongTable.from_output),
    ]


def profile(root: Path, ppa: int, runs: int, repeat: int) -> tuple[float, pstats.Stats]:
    """Median seconds of `repeat` runs without the profiler, and the profile of `runs` runs."""
    import simulation

    scenario = simulation.load_scenario(common.scenario_path(root), {"persons_per_agent": ppa})
    simulation.run(scenario, seed=0)  # warm up caches and lazy imports
    plain, _ = common.median_time(lambda: simulation.run(scenario, seed=1), repeat)
    profiler = cProfile.Profile()
    for seed in range(1, runs + 1):
        profiler.enable()
        simulation.run(scenario, seed=seed)
        profiler.disable()
    return plain, pstats.Stats(profiler)


def split(stats: pstats.Stats, runs: int) -> dict[str, float]:
    """Seconds per run of each phase, and of the rest of the run, under the profiler."""
    from simulation import api

    table: dict[Label, tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    cumulative = {label[:2]: float(row[3]) for label, row in table.items()}

    def inclusive(function: Callable[..., Any]) -> float:
        return cumulative.get(where(function), 0.0) / runs

    out = {name: inclusive(function) for name, function in phases()}
    out["departures and flow steps"] -= out["arrivals"]  # arrivals are drawn in a flow step
    total = inclusive(api.run)
    out["event loop, set-up and the rest"] = total - sum(out.values())
    out["total"] = total
    return out


def top(stats: pstats.Stats, runs: int, count: int, root: Path) -> list[tuple[str, float]]:
    """The `count` functions with the most time of their own, seconds per run."""
    table: dict[Label, tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    ranked = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:count]
    return [(short(label, root), own / runs) for label, (_, _, own, *_) in ranked]


def short(label: Label, root: Path) -> str:
    """A function's file (from the checkout or the installed package), line and name."""
    file, line, name = label
    path = Path(file)
    if path.is_relative_to(root):
        return f"{path.relative_to(root)}:{line} {name}"
    if "site-packages" in path.parts:
        return f"{'/'.join(path.parts[path.parts.index('site-packages') + 1 :])}:{line} {name}"
    return name  # a built-in: numpy's methods and the like


def main() -> int:
    args = common.parser(__doc__)
    args.add_argument("--runs", type=int, default=10)
    args.add_argument("--persons-per-agent", type=int, nargs="+", default=[100, 100_000])
    args.add_argument("--top", type=int, default=15)
    options = args.parse_args()
    root = common.use_root(options.root)
    sizes = options.persons_per_agent
    rows = [("tree", str(root)), ("persons per agent", " | ".join(f"{p:>19,}" for p in sizes))]
    splits, profiles = [], []
    for ppa in sizes:
        plain, stats = profile(root, ppa, options.runs, options.repeat)
        splits.append((plain, split(stats, options.runs)))
        profiles.append(stats)
    rows.append(
        ("run, median (no profiler)", " | ".join(f"{p * 1000:>16.1f} ms" for p, _ in splits))
    )
    for name in splits[0][1]:
        cells = [
            f"{parts[name] * 1000:>8.1f} ms ({parts[name] / parts['total']:>5.1%})"
            for _, parts in splits
        ]
        rows.append((name, " | ".join(cells)))
    total = splits[0][1]["total"]
    for name, own in top(profiles[0], options.runs, options.top, root):
        rows.append((f"own: {name}", f"{own * 1000:.2f} ms ({own / total:.1%})"))
    common.report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
