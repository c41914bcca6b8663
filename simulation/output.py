"""Writing a results folder atomically: tables, manifest, figures and reports."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulation.results import jsonable, summarize, to_json

if TYPE_CHECKING:
    from simulation.api import Results
    from simulation.experiments.compare import Comparison

Writer = Callable[[Path], None]


def write_folder(target: Path, writers: dict[str, Writer]) -> Path:
    """Write a results folder atomically: into a temporary sibling, renamed when complete.

    `writers` maps a file name to a function writing that file at the given path. If the
    target exists, a numbered suffix is added rather than overwriting a finished run.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    final = _free_name(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a results folder is for sharing
    try:
        for name, write in writers.items():
            write(staging / name)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _free_name(target: Path) -> Path:
    candidate, n = target, 1
    while candidate.exists():
        n += 1
        candidate = target.with_name(f"{target.name}-{n}")
    return candidate


def write_text(text: str) -> Writer:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def overrides_tag(overrides: dict[str, Any]) -> str:
    """A short, stable tag of a set of overrides, so such a run's id differs from the plain
    scenario's and from other overrides'."""
    text = json.dumps(jsonable(overrides), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def run_id(manifest: dict[str, Any]) -> str:
    """`<UTC time>-seed<seed>`, then `-r<replicates>` and `-set<tag>` where they apply."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    parts = [f"{stamp}-seed{manifest['seed']}"]
    if len(manifest["replicates"]) > 1:
        parts.append(f"r{len(manifest['replicates'])}")
    if manifest.get("overrides"):
        parts.append(f"set{overrides_tag(manifest['overrides'])}")
    return "-".join(parts)


def write_results(
    results: Results, root: str | Path, folder_id: str | None = None, fmt: str = "png"
) -> Path:
    """Write `root/<scenario>/<run id>/`: time series, summary, manifest, figures, report."""
    from simulation import views

    table, manifest = results.table, results.manifest
    writers = {
        "timeseries.csv": write_text(table.to_csv()),
        "summary.csv": write_text(summarize(table).to_csv()),
        "manifest.json": write_text(to_json(manifest)),
        **views.run_files(table, manifest, fmt),
    }
    folder = Path(root) / results.scenario.name / (folder_id or run_id(manifest))
    return write_folder(folder, writers)


def write_comparison(
    comparison: Comparison, root: str | Path, folder_id: str | None = None, fmt: str = "png"
) -> Path:
    """Write `root/comparisons/<first>-vs-<others>/<id>/`: the paired differences, every run's
    time series and their summary, the manifest, figures and the report."""
    from simulation import views

    table, manifest = comparison.table, comparison.manifest
    writers = {
        "comparison.csv": write_text(comparison.differences.to_csv()),
        "timeseries.csv": write_text(table.to_csv()),
        "summary.csv": write_text(summarize(table).to_csv()),
        "manifest.json": write_text(to_json(manifest)),
        **views.comparison_files(table, comparison.differences, manifest, fmt),
    }
    names = [s.name for s in comparison.scenarios]
    label = f"{names[0]}-vs-{'-'.join(names[1:])}"
    if len(label) > 120:  # keep the folder name within what file systems take
        label = f"{names[0]}-vs-{len(names) - 1}-scenarios-{overrides_tag({'n': names})}"
    folder = Path(root) / "comparisons" / label / (folder_id or run_id(manifest))
    return write_folder(folder, writers)
