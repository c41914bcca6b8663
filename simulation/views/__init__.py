"""Figures, maps and reports drawn from results tables; they never import the model.

`run_files` and `comparison_files` give the files of a results folder besides its tables and
manifest, each as a function writing that file at a given path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulation.results import Differences, LongTable

Writer = Callable[[Path], None]
FORMATS = ("png", "svg", "pdf")


def _text(text: str) -> Writer:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def run_files(table: LongTable, manifest: dict[str, Any], fmt: str = "png") -> dict[str, Writer]:
    """Figures and the report of a run (one scenario, one or many replicates)."""
    from simulation.views import plots, report

    first = table.run(replicate=0) if len(table.runs) > 1 else table
    writers: dict[str, Writer] = {"report.md": _text(report.render(first, manifest))}
    targets = manifest["scenario"].get("targets")
    options = {
        "urbanization": {
            "target": targets["hukou_urbanization_rate"] if targets else None,
            "target_year": targets["year"] if targets else None,
        }
    }
    for name in plots.FIGURES:
        writers[f"{name}.{fmt}"] = functools.partial(
            plots.save_figure,
            first,
            name,
            **options.get(name, {}),
        )
    return writers


def comparison_files(
    table: LongTable, differences: Differences, manifest: dict[str, Any], fmt: str = "png"
) -> dict[str, Writer]:
    """Figures and the report of a comparison of scenarios."""
    from simulation.views import report

    return {"report.md": _text(report.render_comparison(table, differences, manifest))}
