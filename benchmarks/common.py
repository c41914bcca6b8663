"""What the benchmarks share: which tree of the model to time, timing, memory, printing.

Every benchmark takes `--root DIR` (default: this checkout) so that two versions of the model can
be timed back to back on the same machine:

    python benchmarks/full_city.py --root /path/to/an/older/checkout

The machine is shared and noisy: compare runs made back to back, as ratios, and prefer medians.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE.parent


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with `--root` and `--repeat`."""
    lines = (doc or "").strip().splitlines()
    out = argparse.ArgumentParser(description=lines[0] if lines else "")
    out.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="checkout of the model")
    out.add_argument("--repeat", type=int, default=3, help="timed repetitions (median reported)")
    return out


def use_root(root: Path) -> Path:
    """Import `simulation` from `root` (before anything imports it)."""
    root = root.resolve()
    sys.path.insert(0, str(root))
    return root


def scenario_path(root: Path) -> Path:
    return root / "scenarios" / "guangzhou" / "plan_2017.toml"


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of `repeat` calls, and the last call's result."""
    times, result = [], None
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def peak_mib(children: bool = False) -> float:
    """Peak resident memory of this process (or of its finished children), MiB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def subprocess_time(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time of a command and its peak memory (MiB), run in a fresh process with a wrapper
    that reports the child's own peak."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=cwd, check=True, capture_output=True, text=True
    )
    wall, peak = out.stdout.split()
    return float(wall), float(peak)


def command() -> str:
    """The command line that produced the figures, from the checkout's root."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(DEFAULT_ROOT) if script.is_relative_to(DEFAULT_ROOT) else script
    return " ".join(["python", str(shown), *sys.argv[1:]])


def report(rows: list[tuple[str, str]]) -> None:
    """Print figures as aligned `name : value` lines, then the command."""
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}} : {value}")
    print(f"{'command':<{width}} : {command()}")
