"""Scenarios compared on common random numbers: the same replicate seeds for every scenario,
and each scenario's difference from the first, paired by replicate, with a 95 % interval.

The model draws every random fact about a person from streams keyed by purpose and arrival
cohort, so two scenarios run with one seed share their draws wherever their policies agree;
pairing by seed then removes most of the replicate noise from a difference.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulation.api import check_seed, command, manifest
from simulation.config import Scenario
from simulation.errors import ScenarioError
from simulation.experiments.replicate import replicate_seeds
from simulation.experiments.runner import Job, run_many
from simulation.results import Differences, LongTable, mean_interval, versions

LEVEL = 0.95


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every run of every scenario, the paired differences, and how to reproduce them."""

    scenarios: tuple[Scenario, ...]
    table: LongTable
    differences: Differences
    manifest: dict[str, Any]

    def write(
        self, root: str | Path = "results", folder_id: str | None = None, fmt: str = "png"
    ) -> Path:
        """Write `root/comparisons/<first>-vs-<others>/<id>/`; return it."""
        from simulation.output import write_comparison  # figures load matplotlib

        return write_comparison(self, root, folder_id, fmt)


def _file(s: Scenario) -> str:
    return s.source.path if s.source is not None else s.files[-1]


def check_comparable(scenarios: Sequence[Scenario]) -> None:
    """Scenarios can be compared when they differ in policy only: the same districts, base
    year and horizon. Anything else is refused before a run starts."""
    if len(scenarios) < 2:
        raise ScenarioError("command line", "scenarios", "at least two scenarios", len(scenarios))
    first = scenarios[0]
    seen: dict[tuple[str, str], Scenario] = {}
    names: dict[str, Scenario] = {}
    for s in scenarios:
        identity = (str(Path(_file(s)).resolve()), repr(s.overrides))
        if identity in seen:
            raise ScenarioError(_file(s), "(file)", "each scenario once", "given twice")
        seen[identity] = s
        if s.name in names:
            raise ScenarioError(
                f"{_file(names[s.name])} and {_file(s)}",
                "name",
                "a different name for each scenario (it labels the results)",
                s.name,
            )
        names[s.name] = s
    for s in scenarios[1:]:
        pair = f"{_file(first)} and {_file(s)}"
        for key in ("base_year", "horizon"):
            if getattr(s, key) != getattr(first, key):
                raise ScenarioError(
                    pair, key, f"the same in both ({getattr(first, key)})", getattr(s, key)
                )
        if s.districts.names != first.districts.names:
            raise ScenarioError(
                pair,
                "districts",
                f"the same districts ({', '.join(first.districts.names)})",
                ", ".join(s.districts.names),
            )
        if s.districts.districts != first.districts.districts:
            differing = next(
                a.name
                for a, b in zip(first.districts.districts, s.districts.districts, strict=True)
                if a != b
            )
            raise ScenarioError(
                pair, "districts", "the same district table", f"different figures for {differing}"
            )


def compare(
    scenarios: Sequence[Scenario],
    replicates: int = 10,
    seed: int | None = None,
    executor: Executor | None = None,
) -> Comparison:
    """Run every scenario with the same `replicates` seeds (spawned from `seed`, default the
    first scenario's) and difference each against the first."""
    check_comparable(scenarios)
    if replicates < 1:
        raise ScenarioError("command line", "replicates", "at least 1", replicates)
    root = scenarios[0].seed if seed is None else check_seed(seed, "compare()")
    started = time.perf_counter()
    seeds = replicate_seeds(root, replicates)
    jobs = [Job(s, seed_r, r) for s in scenarios for r, seed_r in enumerate(seeds)]
    table = LongTable.concat(run_many(jobs, executor=executor))
    differences = paired_differences(table, scenarios[0].name)
    wall = time.perf_counter() - started
    runs = []
    for s in scenarios:
        info = manifest(s, list(enumerate(seeds)), wall)
        for key in ("kind", "wall_seconds", "versions", "command"):
            info.pop(key)
        runs.append(info)
    info = {
        "kind": "comparison",
        "reference": scenarios[0].name,
        "scenarios": [s.name for s in scenarios],
        "seed": root,
        "replicates": [{"replicate": r, "seed": s} for r, s in enumerate(seeds)],
        "level": LEVEL,
        "versions": versions(),
        "wall_seconds": round(wall, 3),
        "command": command("compare", list(scenarios), root, replicates),
        "runs": runs,
    }
    return Comparison(tuple(scenarios), table, differences, info)


def paired_differences(table: LongTable, reference: str) -> Differences:
    """Each other scenario minus `reference`, replicate by replicate, for every variable,
    district and year both publish; mean, 95 % interval, spread and count of the pairs."""
    reps = {s: [r for s2, r in table.runs if s2 == s] for s in table.scenarios}
    columns: dict[str, list[Any]] = {
        k: [] for k in ("scenario", "variable", "district", "year", "diff")
    }
    for scenario in table.scenarios:
        if scenario == reference:
            continue
        if reps[scenario] != reps[reference]:
            raise ValueError(
                f"{scenario!r} and {reference!r} were not run with the same replicates"
            )
        for variable in table.variables:
            for district in table.districts:
                years_a, a = table.replicate_matrix(variable, district, scenario=scenario)
                years_b, b = table.replicate_matrix(variable, district, scenario=reference)
                common, ia, ib = np.intersect1d(years_a, years_b, return_indices=True)
                if not len(common):
                    continue
                columns["diff"].append(a[:, ia] - b[:, ib])
                columns["scenario"].extend([scenario] * len(common))
                columns["variable"].extend([variable] * len(common))
                columns["district"].extend([district] * len(common))
                columns["year"].extend(common.tolist())
    # replicates x rows; with no rows, one empty replicate (a mean over no replicates warns)
    diff = np.concatenate(columns["diff"], axis=1) if columns["diff"] else np.zeros((1, 0))
    n = diff.shape[0]
    mean, half = mean_interval(diff, LEVEL)
    sd = diff.std(axis=0, ddof=1) if n > 1 else np.full(diff.shape[1], np.nan)
    rows = len(mean)
    return Differences(
        scenario=np.asarray(columns["scenario"], dtype=object),
        reference=np.full(rows, reference, dtype=object),
        variable=np.asarray(columns["variable"], dtype=object),
        district=np.asarray(columns["district"], dtype=object),
        year=np.asarray(columns["year"], dtype=np.int64),
        mean_difference=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        sd=sd,
        count=np.full(rows, n),
    )
