"""Sweep files written for a test, over the tiny city."""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny" / "tiny.toml"
TINY_SWEEP = ROOT / "tests" / "data" / "sweeps" / "tiny_sweep.toml"

HEAD = f"""
base = "{TINY.as_posix()}"
seed = 5
"""
#: Values every test sweep sets on the tiny city, written last (after the body's tables).
FIXED = """
[set]
horizon = 2020
"""

OUTCOMES = """
[[outcomes]]
variable = "settled_total"
aggregate = "sum"
"""


def write_sweep(folder: Path, body: str, *, name: str = "sweep", head: str = HEAD) -> Path:
    """A sweep file of the tiny city: `head` (base, seed), `body`, then the [set] table."""
    path = folder / f"{name}.toml"
    path.write_text(head + body + FIXED, encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
