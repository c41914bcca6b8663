"""The library's front door: `load_scenario`, `run` and the results of a run."""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulation import plots, report
from simulation.assumptions import assumed_inputs
from simulation.config import Scenario
from simulation.engine import simulate
from simulation.errors import ScenarioError
from simulation.results import LongTable, manifest, write_folder, write_json, write_text
from simulation.scenario import load_scenario


@dataclass(frozen=True)
class Results:
    """The outcome of one run: the long table and what is needed to reproduce it."""

    scenario: Scenario
    table: LongTable
    manifest: dict[str, Any]

    def to_pandas(self) -> Any:
        return self.table.to_pandas()

    def write(self, root: str | Path = "results", run_id: str | None = None) -> Path:
        """Write `root/<scenario>/<run id>/` (table, manifest, figures, report); return it."""
        if run_id is None:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            run_id = f"{stamp}-seed{self.manifest['seed']}"
        writers = {
            "timeseries.csv": write_text(self.table.to_csv()),
            "manifest.json": write_json(self.manifest),
            "report.md": write_text(report.render(self.table, self.manifest)),
        }
        t = self.scenario.targets
        options = {
            "urbanization.png": {
                "target": t.hukou_urbanization_rate if t else None,
                "target_year": t.year if t else None,
            }
        }
        for name in plots.FIGURES:
            writers[name] = functools.partial(
                plots.save_figure, self.table, name, **options.get(name, {})
            )
        return write_folder(Path(root) / self.scenario.name / run_id, writers)


def run(scenario: Scenario | str | Path, seed: int | None = None, *, replicate: int = 0) -> Results:
    """Run a scenario (a loaded one, or a path to its TOML file) once.

    `seed` replaces the scenario's own seed; the same scenario and seed give identical tables.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ScenarioError("run()", "seed", "a non-negative integer", seed)
        scenario = dataclasses.replace(scenario, seed=seed)
    started = time.perf_counter()
    out = simulate(scenario)
    table = LongTable.from_output(scenario.name, replicate, out)
    wall = time.perf_counter() - started
    info = manifest(scenario, scenario.seed, scenario.files + _data_files(scenario), wall)
    info["replicate"] = replicate
    info["assumptions"] = [
        {**row, "value": _plain(row["value"])} for row in assumed_inputs(scenario)
    ]
    return Results(scenario=scenario, table=table, manifest=info)


def _data_files(s: Scenario) -> tuple[str, ...]:
    files = [s.districts.source]
    if s.districts.provenance_source:
        files.append(s.districts.provenance_source)
    return tuple(files)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value
