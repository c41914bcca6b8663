"""Rerunning a results folder from its manifest alone, and saying whether it came out the same.

A run's, a comparison's or a back-cast's manifest holds the scenario file, the overrides, the
seed and the number of replicates, and a checksum of every input file. Reproducing first reports
any input that changed or went missing since, by name, then reruns and compares the folder's
tables byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.errors import ScenarioError
from simulation.results import checksum
from simulation.scenario import load_scenario, parse_override


@dataclass
class Verdict:
    """What reproducing found: changed inputs, and each table identical or not."""

    folder: Path
    changed: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)  # file -> "" if identical, else why

    @property
    def identical(self) -> bool:
        return not self.changed and not any(self.tables.values())

    def lines(self) -> list[str]:
        out = [f"input changed since the run: {name}" for name in self.changed]
        for name, why in self.tables.items():
            out.append(f"{name}: {why or 'identical, byte for byte'}")
        verdict = "reproduced" if self.identical else "not reproduced"
        return [*out, f"{verdict}: {self.folder}"]


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(
            path, "(file)", "the manifest of a results folder", exc.strerror
        ) from None
    except ValueError as exc:
        raise ScenarioError(path, "(file)", "valid JSON", str(exc)) from None
    if data.get("kind") not in ("run", "comparison", "backcast"):
        raise ScenarioError(
            path, "kind", "a run's, a comparison's or a back-cast's manifest", data.get("kind")
        )
    return data


def _changed(inputs: dict[str, str]) -> list[str]:
    out = []
    for name, digest in inputs.items():
        path = Path(name)
        if not path.is_file():
            out.append(f"{name} (missing)")
        elif checksum(path) != digest:
            out.append(name)
    return out


def _scenario(run: dict[str, Any], where: Path) -> Any:
    file = run.get("scenario_file")
    if not file:
        raise ScenarioError(where, "scenario_file", "the scenario file the run was made from", None)
    overrides = dict(parse_override(text, "manifest") for text in run.get("set", []))
    return load_scenario(file, overrides, origin="manifest")


def _compare_bytes(expected: Path, produced: str) -> str:
    """'' when the file holds exactly `produced`, else where they first differ."""
    if not expected.is_file():
        return "missing from the folder"
    held = expected.read_bytes()
    if held == produced.encode("utf-8"):
        return ""
    old, new = held.decode("utf-8").splitlines(), produced.splitlines()
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            return f"differs from line {i + 1}: {a!r} -> {b!r}"
    return f"differs in length: {len(old)} lines -> {len(new)}"


def reproduce(folder: str | Path) -> Verdict:
    """Rerun the results folder `folder` from its manifest and compare its tables."""
    from simulation.experiments import compare, replicate

    folder = Path(folder)
    info = _manifest(folder)
    verdict = Verdict(folder)
    replicates = len(info["replicates"])
    if info["kind"] == "backcast":
        return _backcast(folder, info, verdict)
    if info["kind"] == "run":
        verdict.changed = _changed(info.get("inputs", {}))
        scenario = _scenario(info, folder / "manifest.json")
        results = replicate(scenario, replicates, info["seed"])
        verdict.tables["timeseries.csv"] = _compare_bytes(
            folder / "timeseries.csv", results.table.to_csv()
        )
        return verdict
    for run in info["runs"]:
        verdict.changed += _changed(run.get("inputs", {}))
    scenarios = [_scenario(run, folder / "manifest.json") for run in info["runs"]]
    comparison = compare(scenarios, replicates, info["seed"])
    verdict.tables["comparison.csv"] = _compare_bytes(
        folder / "comparison.csv", comparison.differences.to_csv()
    )
    verdict.tables["timeseries.csv"] = _compare_bytes(
        folder / "timeseries.csv", comparison.table.to_csv()
    )
    return verdict


def _backcast(folder: Path, info: dict[str, Any], verdict: Verdict) -> Verdict:
    from simulation.experiments.calibrate import backcast
    from simulation.experiments.observations import read_observations
    from simulation.output import residual_rows

    verdict.changed = _changed(info.get("inputs", {}))
    scenario = _scenario(info, folder / "manifest.json")
    observations = read_observations(
        info["observations"], scenario.districts.names, info["last_year"]
    )
    seeds = [run["seed"] for run in info["replicates"]]
    result = backcast(scenario, observations, seeds)
    verdict.tables["backcast.csv"] = _compare_bytes(
        folder / "backcast.csv", residual_rows(result.residuals)
    )
    verdict.tables["timeseries.csv"] = _compare_bytes(
        folder / "timeseries.csv", result.table.to_csv()
    )
    return verdict
