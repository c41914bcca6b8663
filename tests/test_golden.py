"""The tiny scenario's output is unchanged unless a change means to change it.

After an intended change: `python tests/golden/regenerate.py`, and say why in the commit.
"""

from __future__ import annotations

import csv
import io

from tests.golden.regenerate import GOLDEN, golden_csv


def test_tiny_scenario_matches_its_golden_output():
    produced = golden_csv()
    expected = GOLDEN.read_text(encoding="utf-8")
    if produced != expected:
        new = list(csv.reader(io.StringIO(produced)))
        old = list(csv.reader(io.StringIO(expected)))
        first = next((i for i, (a, b) in enumerate(zip(new, old, strict=False)) if a != b), None)
        where = (
            f"first difference at row {first}: {old[first]} -> {new[first]}"
            if first is not None
            else ""
        )
        raise AssertionError(
            f"output differs from {GOLDEN.name} ({len(old)} -> {len(new)} rows) {where}"
        )
