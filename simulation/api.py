"""The library's front door: `load_scenario`, `run` and the results of one or many runs.

Model only: writing a results folder lives in `simulation.output`, figures and reports in
`simulation.views`, so importing this loads no plotting library.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.assumptions import assumed_inputs
from simulation.config import Scenario
from simulation.engine import simulate
from simulation.errors import ScenarioError
from simulation.results import LongTable, checksum, jsonable, versions
from simulation.scenario import load_scenario


@dataclass(frozen=True, eq=False)
class Results:
    """The outcome of one run or of a scenario's replicates: the long table and what is needed
    to reproduce it."""

    scenario: Scenario
    table: LongTable
    manifest: dict[str, Any]

    def to_pandas(self) -> Any:
        return self.table.to_pandas()

    def write(self, root: str | Path = "results", run_id: str | None = None) -> Path:
        """Write `root/<scenario>/<run id>/` (tables, manifest, figures, report); return it."""
        from simulation.output import write_results  # figures load matplotlib: only when asked

        return write_results(self, root, run_id)


def run(scenario: Scenario | str | Path, seed: int | None = None, *, replicate: int = 0) -> Results:
    """Run a scenario (a loaded one, or a path to its TOML file) once.

    `seed` replaces the scenario's own seed; the same scenario and seed give identical tables.
    `replicate` labels the run in the table (see `simulation.experiments` for replicates).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None:
        check_seed(seed, "run()")
        if seed != scenario.seed:
            scenario = scenario.with_values({"seed": seed}, origin="run()")
    started = time.perf_counter()
    out = simulate(scenario)
    table = LongTable.from_output(scenario.name, replicate, out)
    wall = time.perf_counter() - started
    info = manifest(scenario, [(replicate, scenario.seed)], wall)
    return Results(scenario=scenario, table=table, manifest=info)


def check_seed(seed: Any, where: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ScenarioError(where, "seed", "a non-negative integer below 2**63", seed)
    return seed


def manifest(
    scenario: Scenario, seeds: list[tuple[int, int]], wall_seconds: float
) -> dict[str, Any]:
    """Everything needed to reproduce a run: the resolved scenario, seeds, overrides, versions,
    input checksums, and the assumed inputs the results depend on."""
    files = [*scenario.files, scenario.districts.source]
    if scenario.districts.provenance_source:
        files.append(scenario.districts.provenance_source)
    return {
        "scenario": jsonable(scenario),
        "seed": scenario.seed,
        "replicates": [{"replicate": r, "seed": s} for r, s in seeds],
        "overrides": {key: jsonable(value) for key, value in scenario.overrides},
        "versions": versions(),
        "inputs": {str(f): checksum(f) for f in dict.fromkeys(files)},
        "wall_seconds": round(wall_seconds, 3),
        "assumptions": jsonable(assumed_inputs(scenario)),
    }
