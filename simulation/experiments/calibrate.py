"""Fitting uncertain parameters to observed figures, and back-casting: how well a run from an
earlier base year reproduces what was observed since.

A calibration file (TOML) names the parameters to fit, each by its key path in the scenario
with a range, and the observations to fit them to:

    observations = "observations.csv"      # relative to this file
    last_year = 2018                        # no later figure may be used (2018 at most)
    seeds = [20171230, 1, 2]                # common random numbers: every candidate, same seeds
    persons_per_agent = 20                  # runs at this size while fitting
    method = "Nelder-Mead"                  # or "Powell" (scipy.optimize.minimize)
    max_evaluations = 150

    [parameters]
    "flows.arrivals_per_year" = { low = 500000, high = 1300000 }
    "channels.talent.quota_scale.2018" = { low = 0.3, high = 3.0 }   # one year of a series

Every candidate runs with the same seeds, so the loss moves only with the parameters (common
random numbers make it far smoother than independent runs would). The loss is the weighted mean
of squared relative errors over the observations after the scenario's base year.
"""

from __future__ import annotations

import dataclasses
import math
import time
import tomllib
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulation.config import Scenario
from simulation.errors import ScenarioError
from simulation.experiments.observations import (
    LAST_FITTING_YEAR,
    Observation,
    Residual,
    check_last_year,
    loss,
    read_observations,
    residuals,
    scored,
)
from simulation.experiments.runner import Job, run_many
from simulation.results import LongTable
from simulation.scenario import parameter_field, takes_whole_numbers

METHODS = ("Nelder-Mead", "Powell")
KEYS = {
    "observations": str,
    "last_year": int,
    "seeds": list,
    "persons_per_agent": int,
    "method": str,
    "max_evaluations": int,
    "parameters": dict,
    "description": str,
}


@dataclass(frozen=True)
class Parameter:
    """A parameter to fit: its key path (a district or a year of a series may follow the
    field) and its range."""

    key: str
    low: float
    high: float

    @property
    def field(self) -> str:
        """The scenario field the key path sets (without a district or a series year)."""
        parts = self.key.split(".")
        while parts and parameter_field(".".join(parts)) is None:
            parts.pop()
        return ".".join(parts)

    def value(self, unit: float) -> float:
        value = self.low + (self.high - self.low) * min(max(unit, 0.0), 1.0)
        return float(round(value)) if self.whole else value

    @property
    def whole(self) -> bool:
        """Whether the parameter takes whole numbers (a quota): fitted values are rounded."""
        return takes_whole_numbers(self.key)

    def unit(self, value: float) -> float:
        return (value - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class Calibration:
    """What to fit and to what."""

    file: str
    parameters: tuple[Parameter, ...]
    observations: tuple[Observation, ...]
    last_year: int = LAST_FITTING_YEAR
    seeds: tuple[int, ...] = (0,)
    persons_per_agent: int | None = None
    method: str = "Nelder-Mead"
    max_evaluations: int = 150


def read_calibration(path: str | Path, scenario: Scenario) -> Calibration:
    """A calibration file, checked against the scenario it will fit."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ScenarioError(path, "(file)", "a readable calibration file", exc.strerror) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "(file)", "valid TOML", str(exc)) from None
    for key, value in raw.items():
        kind = KEYS.get(key)
        if kind is None:
            raise ScenarioError(path, key, f"one of {sorted(KEYS)}", key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ScenarioError(path, key, f"a {kind.__name__}", value)
    for key in ("observations", "parameters"):
        if key not in raw:
            raise ScenarioError(path, key, "a value (required)", "nothing")
    last_year = check_last_year(raw.get("last_year", LAST_FITTING_YEAR), path, "last_year")
    observations = read_observations(
        path.parent / raw["observations"], scenario.districts.names, last_year
    )
    if not scored(observations, scenario.base_year):
        raise ScenarioError(
            path, "observations", f"observations after the base year {scenario.base_year}", "none"
        )
    parameters = tuple(_parameter(path, k, v, scenario) for k, v in raw["parameters"].items())
    if not parameters:
        raise ScenarioError(path, "parameters", "at least one parameter to fit", "none")
    seeds = raw.get("seeds", [scenario.seed])
    if not seeds or not all(isinstance(s, int) and 0 <= s < 2**63 for s in seeds):
        raise ScenarioError(path, "seeds", "a list of non-negative integers", seeds)
    method = raw.get("method", "Nelder-Mead")
    if method not in METHODS:
        raise ScenarioError(path, "method", f"one of {list(METHODS)}", method)
    evaluations = raw.get("max_evaluations", 150)
    if evaluations < 1:
        raise ScenarioError(path, "max_evaluations", "at least 1", evaluations)
    return Calibration(
        str(path),
        parameters,
        observations,
        last_year,
        tuple(seeds),
        raw.get("persons_per_agent"),
        method,
        evaluations,
    )


def _parameter(path: Path, key: str, spec: Any, scenario: Scenario) -> Parameter:
    where = f"parameters.{key}"
    if not isinstance(spec, dict) or set(spec) != {"low", "high"}:
        raise ScenarioError(path, where, "a range { low = ..., high = ... }", spec)
    low, high = spec["low"], spec["high"]
    for bound in (low, high):
        if (
            isinstance(bound, bool)
            or not isinstance(bound, (int, float))
            or not math.isfinite(bound)
        ):
            raise ScenarioError(path, where, "finite numbers for low and high", spec)
    if not low < high:
        raise ScenarioError(path, where, "a range with low below high", spec)
    parameter = Parameter(key, float(low), float(high))
    if not parameter.field:
        raise ScenarioError(path, where, "the key path of a scenario parameter", key)
    for bound in (low, high):  # each end must make a valid scenario
        try:
            scenario.with_values({key: bound})
        except ScenarioError as exc:
            raise ScenarioError(
                path, where, f"a range the scenario accepts ({exc.expected})", bound
            ) from None
    return parameter


# --- running a candidate ----------------------------------------------------------------------


def evaluate_runs(scenario: Scenario, seeds: Sequence[int], executor: Executor | None) -> LongTable:
    """The scenario run once for each seed (replicate r gets seeds[r])."""
    jobs = [Job(scenario, seed, r) for r, seed in enumerate(seeds)]
    return LongTable.concat(run_many(jobs, executor=executor))


@dataclass
class Fit:
    """The result of a calibration."""

    scenario: Scenario  # the input scenario with the fitted values
    values: dict[str, float]
    start: dict[str, float]
    loss: float
    start_loss: float
    residuals: list[Residual]
    evaluations: list[tuple[dict[str, float], float]] = field(default_factory=list)
    converged: bool = False
    message: str = ""
    wall_seconds: float = 0.0


def calibrate(
    scenario: Scenario,
    spec: Calibration,
    executor: Executor | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> Fit:
    """Fit the parameters of `spec` to its observations with scipy.optimize.minimize."""
    from scipy.optimize import minimize

    started = time.perf_counter()
    fitting = scenario
    if spec.persons_per_agent is not None:
        fitting = scenario.with_values(
            {"persons_per_agent": spec.persons_per_agent}, origin=spec.file
        )
    log: list[tuple[dict[str, float], float]] = []

    def values_at(unit: np.ndarray) -> dict[str, float]:
        return {p.key: p.value(float(u)) for p, u in zip(spec.parameters, unit, strict=True)}

    def objective(unit: np.ndarray) -> float:
        values = values_at(unit)
        table = evaluate_runs(fitting.with_values(values, origin=spec.file), spec.seeds, executor)
        value = loss(residuals(table, spec.observations, scenario.base_year))
        log.append((values, value))
        if progress is not None:
            progress(len(log), value)
        return value

    start = {p.key: _current(scenario, p) for p in spec.parameters}
    x0 = np.array([min(max(p.unit(start[p.key]), 0.0), 1.0) for p in spec.parameters])
    result = minimize(
        objective,
        x0,
        method=spec.method,
        bounds=[(0.0, 1.0)] * len(spec.parameters),
        options={"maxfev": spec.max_evaluations, "xatol": 1e-3, "fatol": 1e-8}
        if spec.method == "Nelder-Mead"
        else {"maxfev": spec.max_evaluations, "xtol": 1e-3, "ftol": 1e-8},
    )
    best_values, best_loss = min(log, key=lambda entry: entry[1])
    fitted = scenario.with_values(best_values, origin=spec.file)
    table = evaluate_runs(
        fitted
        if spec.persons_per_agent is None
        else fitted.with_values({"persons_per_agent": spec.persons_per_agent}),
        spec.seeds,
        executor,
    )
    return Fit(
        scenario=fitted,
        values=best_values,
        start=start,
        loss=best_loss,
        start_loss=log[0][1],
        residuals=residuals(table, spec.observations, scenario.base_year),
        evaluations=log,
        converged=bool(result.success),
        message=str(result.message),
        wall_seconds=time.perf_counter() - started,
    )


def _current(scenario: Scenario, parameter: Parameter) -> float:
    """The scenario's value of a parameter, as a starting point (the middle if not a number)."""
    obj: Any = scenario
    parts = parameter.key.split(".")
    names = scenario.districts.names
    for i, part in enumerate(parts):
        if dataclasses.is_dataclass(obj) and hasattr(obj, part):
            obj = getattr(obj, part)
        elif isinstance(obj, tuple) and part in names:
            obj = obj[names.index(part)]
        elif part.isdigit():
            year = int(part)
            field_path = ".".join(parts[:i])
            series = next((s for s in scenario.series if s.path == field_path), None)
            return series.series.at(year) if series else float(obj)
        else:
            break
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return float(obj)
    return (parameter.low + parameter.high) / 2


# --- back-casting -----------------------------------------------------------------------------


@dataclass
class Backcast:
    """A run from an earlier base year scored against every observation since."""

    scenario: Scenario
    residuals: list[Residual]
    table: LongTable
    seeds: tuple[int, ...] = ()  # of the runs, in replicate order

    def by_indicator(self) -> list[tuple[str, str, float, float]]:
        """(variable, district, MAPE %, mean signed error %) per indicator."""
        groups: dict[tuple[str, str], list[Residual]] = {}
        for r in self.residuals:
            groups.setdefault((r.observation.variable, r.observation.district), []).append(r)
        return [
            (
                variable,
                district,
                100 * float(np.mean([abs(r.relative) for r in rows])),
                100 * float(np.mean([r.relative for r in rows])),
            )
            for (variable, district), rows in groups.items()
        ]


def backcast(
    scenario: Scenario,
    observations: Sequence[Observation],
    seeds: Sequence[int],
    executor: Executor | None = None,
) -> Backcast:
    """Run `scenario` once per seed and score it on the observations after its base year."""
    table = evaluate_runs(scenario, seeds, executor)
    scores = residuals(table, observations, scenario.base_year)
    return Backcast(scenario, scores, table, tuple(seeds))
