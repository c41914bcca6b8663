"""The model as a plain function of named parameters returning named outcomes, for other tools.

    >>> import simulation
    >>> simulation.evaluate({"channels.points.quota": 8000, "land.adjustment": 0.05}, seed=1)
    {'settled_total.ALL.sum': ..., 'linked_land_ha.ALL.sum': ..., ...}

A module-level function of plain values, so it pickles: EMA Workbench, SALib, a process pool or
a notebook can call it directly. Parameters are key paths of the scenario, checked as a
scenario file is; outcomes are `Outcome`s or their names (`variable.district.year` or
`variable.district.aggregate`), by default the scenario's headline figures.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from simulation.api import run
from simulation.config import Scenario
from simulation.names import CITY
from simulation.outcomes import AGGREGATES, Outcome, headlines
from simulation.results import LongTable
from simulation.scenario import DEFAULT_SCENARIO, load_scenario, takes_whole_numbers


def evaluate(
    params: Mapping[str, Any] | None = None,
    base: Scenario | str | Path = DEFAULT_SCENARIO,
    seed: int | None = None,
    outcomes: Sequence[Outcome | str] | None = None,
) -> dict[str, float]:
    """Run `base` (a scenario or its file) with `params` set, once with `seed` (default: the
    scenario's), and return each outcome by name. A sampler's value for a parameter that takes
    whole numbers (a quota, an integer) is rounded to the nearest."""
    scenario = base if isinstance(base, Scenario) else _read(Path(base))
    if params:
        values = {key: _whole(key, _plain(value)) for key, value in params.items()}
        scenario = scenario.with_values(values, origin="evaluate()")
    chosen = headlines(scenario) if outcomes is None else tuple(map(as_outcome, outcomes))
    return outcomes_of(run(scenario, seed).table, chosen)


def _whole(key: str, value: Any) -> Any:
    if isinstance(value, float) and takes_whole_numbers(key) and math.isfinite(value):
        return round(value)
    return value


def outcomes_of(table: LongTable, outcomes: Sequence[Outcome]) -> dict[str, float]:
    """Each outcome of a one-run table, by name."""
    return {outcome.name: outcome.of(table) for outcome in outcomes}


def as_outcome(outcome: Outcome | str) -> Outcome:
    """An outcome, or the outcome a name such as `settled_total.ALL.sum` or
    `hukou_population.Huangpu.2020` stands for."""
    if isinstance(outcome, Outcome):
        return outcome
    parts = outcome.split(".")
    if len(parts) != 3:
        raise ValueError(
            f"an outcome name is variable.district.year or variable.district.aggregate "
            f"(e.g. settled_total.{CITY}.sum), got {outcome!r}"
        )
    variable, district, when = parts
    if when.isdigit():
        return Outcome(variable, district, year=int(when))
    if when not in AGGREGATES:
        raise ValueError(f"{outcome!r}: expected a year or one of {AGGREGATES}, got {when!r}")
    return Outcome(variable, district, aggregate=when)


def _plain(value: Any) -> Any:
    """Numbers from numpy (as samplers give them) as Python numbers, as a TOML file has them."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _read(path: Path) -> Scenario:
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return load_scenario(path)  # which says what is wrong with the path
    return _load(str(path.resolve()), stamp)


@functools.lru_cache(maxsize=8)
def _load(path: str, stamp: int) -> Scenario:
    """A base scenario read once per process (and again if its file changes): evaluate() is
    called many times over."""
    return load_scenario(path)
