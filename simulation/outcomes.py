"""Named scalar outcomes of a run: a variable in a district, at a year or over the years.

Replicate summaries, comparisons, sweeps and calibration all reduce the long table through
these, so "settled over the run" or "registered population in 2020" means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from simulation.config import Scenario
from simulation.names import CITY
from simulation.results import LongTable, RunKey
from simulation.variables import VARIABLES, Variable

Aggregate = Literal["sum", "mean", "min", "max", "first", "last"]
AGGREGATES: tuple[Aggregate, ...] = get_args(Aggregate)
REDUCERS: dict[str, Callable[[np.ndarray], Any]] = {
    "sum": np.sum,
    "mean": np.mean,
    "min": np.min,
    "max": np.max,
    "first": lambda v: v[0],
    "last": lambda v: v[-1],
}


@dataclass(frozen=True)
class Outcome:
    """A variable of one district (or `ALL`), taken in one year or aggregated over the years
    after the base year (flows) or all years (stocks)."""

    variable: str
    district: str = CITY
    year: int | None = None
    aggregate: Aggregate = "last"
    label: str = ""

    def __post_init__(self) -> None:
        if self.variable not in VARIABLES:
            raise ValueError(f"unknown variable {self.variable!r}")
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"unknown aggregate {self.aggregate!r}: one of {AGGREGATES}")

    @property
    def name(self) -> str:
        """e.g. `settled_total.ALL.sum`, `hukou_population.ALL.2020`."""
        when = str(self.year) if self.year is not None else self.aggregate
        return f"{self.variable}.{self.district}.{when}"

    @property
    def unit(self) -> str:
        return VARIABLES[self.variable].unit

    @property
    def title(self) -> str:
        """A human description: the label given, or one made from the variable's."""
        if self.label:
            return self.label
        v: Variable = VARIABLES[self.variable]
        where = "city" if self.district == CITY else self.district
        when = str(self.year) if self.year is not None else f"{self.aggregate} over the years"
        return f"{v.label}, {where}, {when}"

    def reduce(self, years: np.ndarray, values: np.ndarray) -> float:
        """The outcome from one run's series; NaN where the run has no value for it."""
        if self.year is not None:
            hit = values[years == self.year]
            return float(hit[0]) if len(hit) == 1 else float("nan")
        if len(values) == 0:
            return float("nan")
        return float(REDUCERS[self.aggregate](values))

    def of(
        self, table: LongTable, scenario: str | None = None, replicate: int | None = None
    ) -> float:
        return self.reduce(
            *table.select(self.variable, self.district, scenario=scenario, replicate=replicate)
        )

    def by_run(self, table: LongTable) -> dict[RunKey, float]:
        """The outcome of every run in the table."""
        return {(s, r): self.of(table, s, r) for s, r in table.runs}


def headlines(scenario: Scenario) -> tuple[Outcome, ...]:
    """The figures a planner looks at first: settlement and land over the run, and the plan's
    targets in the target year (the horizon where the scenario sets none)."""
    t = scenario.targets
    year = t.year if t is not None and t.year <= scenario.horizon else scenario.horizon
    out = [
        Outcome("settled_total", aggregate="sum", label="Settled persons over the run"),
        Outcome("linked_land_ha", aggregate="sum", label="Linked land granted over the run (ha)"),
        Outcome("hukou_population", year=year, label=f"Registered population in {year}"),
        Outcome(
            "hukou_urbanization_rate", year=year, label=f"Hukou urbanization rate in {year} (%)"
        ),
    ]
    if t is not None:
        out.append(
            Outcome(
                "gap_narrowing_since_baseline_pp",
                year=year,
                label=f"Gap narrowed since {t.baseline_year} (negative: widened), in {year} (pp)",
            )
        )
    return tuple(out)


#: Inputs that change no headline figure: they only split, price or grade what the headlines
#: count (land by use, fiscal sums, the planning band) or describe the districts (their area).
NOT_HEADLINE_INPUTS = (
    "fiscal.",
    "land.housing_m2_per_person",
    "land.services_m2_per_person",
    "land.planning_band_m2",
    "districts.land_area_km2",
)


def affects_headlines(key: str) -> bool:
    """Whether an input (by key path) can change a headline figure."""
    return not key.startswith(NOT_HEADLINE_INPUTS)
