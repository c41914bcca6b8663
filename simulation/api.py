"""The library's front door: `load_scenario`, `run` and the results of one or many runs.

Model only: writing a results folder lives in `simulation.output`, figures and reports in
`simulation.views`, so importing this loads no plotting library.
"""

from __future__ import annotations

import dataclasses
import functools
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.assumptions import assumed_inputs
from simulation.checks import ensure_fits, suspect_inputs
from simulation.config import Scenario
from simulation.engine import simulate
from simulation.errors import ScenarioError
from simulation.outcomes import affects_headlines, headlines
from simulation.results import LongTable, checksum, jsonable, versions
from simulation.scenario import format_override, load_scenario


@dataclass(frozen=True, eq=False)
class Results:
    """The outcome of one run or of a scenario's replicates: the long table and what is needed
    to reproduce it (the manifest, made when first asked for: sweeps rarely need it)."""

    scenario: Scenario
    table: LongTable
    seeds: tuple[tuple[int, int], ...]  # (replicate, seed) of every run in the table
    wall_seconds: float

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        return manifest(self.scenario, list(self.seeds), self.wall_seconds)

    def to_pandas(self) -> Any:
        return self.table.to_pandas()

    def write(
        self, root: str | Path = "results", run_id: str | None = None, fmt: str = "png"
    ) -> Path:
        """Write `root/<scenario>/<run id>/` (tables, manifest, figures, report); return it.

        Figures are PNG, or `fmt` "svg" or "pdf".
        """
        from simulation.output import write_results  # figures load matplotlib: only when asked

        return write_results(self, root, run_id, fmt)


def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    *,
    replicate: int = 0,
    max_memory_mib: float | None = None,
) -> Results:
    """Run a scenario (a loaded one, or a path to its TOML file) once.

    `seed` replaces the scenario's own seed; the same scenario and seed give identical tables.
    `replicate` labels the run in the table (see `simulation.experiments` for replicates).
    A run whose estimated memory is above `max_memory_mib` (default: what the machine has
    free, or the PEOPLELAND_MAX_MEMORY_MIB setting) is refused before it starts
    (`ResourceError`).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None and check_seed(seed, "run()") != scenario.seed:
        scenario = with_seed(scenario, seed)
    ensure_fits(scenario, max_memory_mib)
    started = time.perf_counter()
    out = simulate(scenario)
    table = LongTable.from_output(scenario.name, replicate, out)
    wall = time.perf_counter() - started
    return Results(scenario, table, ((replicate, scenario.seed),), wall)


def with_seed(scenario: Scenario, seed: int) -> Scenario:
    """The scenario with another seed. A seed needs no validation beyond `check_seed`, so
    this skips rebuilding the scenario; its source records the seed for later variants."""
    source = scenario.source
    if source is not None:
        kept = tuple(o for o in source.overrides if o[0] != "seed")
        source = dataclasses.replace(source, overrides=(*kept, ("seed", seed, "run()")))
    return scenario.with_fields(seed=seed, source=source)


def check_seed(seed: Any, where: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ScenarioError(where, "seed", "a non-negative integer below 2**63", seed)
    return seed


def manifest(
    scenario: Scenario, seeds: list[tuple[int, int]], wall_seconds: float
) -> dict[str, Any]:
    """Everything needed to reproduce a run: the resolved scenario, seeds, overrides, versions,
    input checksums, and the assumed inputs the results depend on."""
    table = scenario.districts
    files = [*scenario.files, table.source, table.provenance_source, table.boundaries]
    assumptions = [
        {**row, "headline": affects_headlines(row["key"])} for row in assumed_inputs(scenario)
    ]
    return {
        "kind": "run",
        "scenario": jsonable(scenario),
        "seed": scenario.seed,
        "replicates": [{"replicate": r, "seed": s} for r, s in seeds],
        "scenario_file": str(Path(scenario.source.path).resolve()) if scenario.source else "",
        "overrides": {key: jsonable(value) for key, value in scenario.overrides},
        # The same overrides as `--set` would give them: what `run.py reproduce` reads.
        "set": [format_override(key, value) for key, value in scenario.overrides],
        "versions": versions(),
        "inputs": {str(f): checksum(f) for f in dict.fromkeys(files) if f},
        "wall_seconds": round(wall_seconds, 3),
        "command": command("run", [scenario], scenario.seed, len(seeds)),
        "warnings": suspect_inputs(scenario),
        "headlines": [jsonable(outcome) for outcome in headlines(scenario)],
        "assumptions": jsonable(assumptions),
    }


def command(verb: str, scenarios: list[Scenario], seed: int, replicates: int) -> str:
    """The command line that reproduces a run or a comparison."""
    words = ["python", "run.py", verb]
    for s in scenarios:
        words.append(_shown_path(s.source.path if s.source else s.files[-1]))
    words += ["--seed", str(seed)]
    if replicates > 1 or verb == "compare":
        words += ["--replicates", str(replicates)]
    for key, value in scenarios[0].overrides if verb == "run" else ():
        words += ["--set", format_override(key, value)]
    return shlex.join(words)


def _shown_path(path: str) -> str:
    """A path as short as it can be said from the current folder."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
