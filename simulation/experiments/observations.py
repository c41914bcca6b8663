"""Observed figures a run is scored against: reading them, and the model's error on each.

An observations file is a CSV with the columns `variable, district, year, value, measure,
weight, source`: a published variable of the model (e.g. `hukou_population`), a district or
`ALL`, the year, the observed value, `level` (compare values) or `change` (compare changes since
the run's base year, for a series the model matches only up to a constant, such as a rate from
district tables that do not add up to the published city rate), a weight, and where it comes
from. Observations after `last_year` are refused: later figures are kept aside to test the model,
never used to fit it. Rows for the base year or earlier are anchors for `change`, not scored.
`last_year` itself may not pass LAST_FITTING_YEAR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.districts import read_rows
from simulation.errors import ScenarioError
from simulation.results import LongTable
from simulation.variables import VARIABLES

COLUMNS = ("variable", "district", "year", "value", "measure", "weight", "source")
MEASURES = ("level", "change")

#: The last year whose figures may fit or score the model. The figures published after it are
#: held out: the fitted model is tested on them, which means nothing if they helped to fit it;
#: so neither the command line nor a calibration file may move the line later.
LAST_FITTING_YEAR = 2018


def check_last_year(last_year: int, file: str | Path, key: str) -> int:
    """`last_year` as given in `file` at `key`, refused past LAST_FITTING_YEAR."""
    if last_year > LAST_FITTING_YEAR:
        raise ScenarioError(
            file,
            key,
            f"a year up to {LAST_FITTING_YEAR} (later figures are kept aside to test the model)",
            last_year,
        )
    return last_year


@dataclass(frozen=True)
class Observation:
    variable: str
    district: str
    year: int
    value: float
    measure: str
    weight: float
    source: str


def read_observations(
    path: str | Path, districts: Sequence[str], last_year: int = LAST_FITTING_YEAR
) -> tuple[Observation, ...]:
    """Observations from a CSV file up to `last_year`, each row checked (file, row and column
    in the error)."""
    check_last_year(last_year, "read_observations", "last_year")
    path = Path(path)
    rows = read_rows(path, "observations", COLUMNS)
    return tuple(_row(path, i, row, districts, last_year) for i, row in enumerate(rows, start=2))


def _row(
    path: Path, line: int, row: dict[str, str], districts: Sequence[str], last_year: int
) -> Observation:
    def bad(column: str, expected: str) -> ScenarioError:
        return ScenarioError(path, f"row {line}.{column}", expected, row.get(column))

    if row["variable"] not in VARIABLES:
        raise bad("variable", "a published variable (python run.py variables)")
    if row["district"] not in (*districts, "ALL"):
        raise bad("district", f"a district of the scenario ({', '.join(districts)}) or ALL")
    if row["measure"] not in MEASURES:
        raise bad("measure", f"one of {list(MEASURES)}")
    try:
        year = int(row["year"])
    except (TypeError, ValueError):
        raise bad("year", "a year") from None
    if year > last_year:
        raise bad(
            "year", f"a year up to {last_year}: later figures are kept aside to test the model"
        )
    numbers = {}
    for column in ("value", "weight"):
        try:
            numbers[column] = float(row[column])
        except (TypeError, ValueError):
            raise bad(column, "a number") from None
        if not math.isfinite(numbers[column]):
            raise bad(column, "a finite number")
    if numbers["weight"] < 0:
        raise bad("weight", "a weight of 0 or more")
    return Observation(
        row["variable"],
        row["district"],
        year,
        numbers["value"],
        row["measure"],
        numbers["weight"],
        row.get("source", ""),
    )


@dataclass(frozen=True)
class Residual:
    """The model against one observation (the mean over the runs in the table)."""

    observation: Observation
    modelled: float
    error: float  # modelled - observed (of the change, for a `change` observation)
    relative: float  # error / observed level (or observed change, for a `change` observation)

    @property
    def key(self) -> tuple[str, str, int]:
        o = self.observation
        return o.variable, o.district, o.year


def scored(observations: Sequence[Observation], base_year: int) -> list[Observation]:
    """The observations a run from `base_year` is scored on: those after it."""
    return [o for o in observations if o.year > base_year]


def residuals(
    table: LongTable, observations: Sequence[Observation], base_year: int
) -> list[Residual]:
    """The model's error on each observation after the base year, averaged over the runs."""
    anchors = {(o.variable, o.district, o.year): o.value for o in observations}
    out = []
    for o in scored(observations, base_year):
        modelled = _mean(table, o.variable, o.district, o.year)
        error, scale = modelled - o.value, o.value
        if o.measure == "change":
            anchor = anchors.get((o.variable, o.district, base_year))
            if anchor is None:
                raise ScenarioError(
                    "observations",
                    f"{o.variable}.{o.district}",
                    f"an observation in the base year {base_year} to measure the change from",
                    "none",
                )
            base = _mean(table, o.variable, o.district, base_year)
            error = (modelled - base) - (o.value - anchor)
            # A change is judged against its own size (against the level, a miss of half
            # the change in a rate near 86 % would count as a fraction of a per cent).
            scale = o.value - anchor if o.value != anchor else o.value
        out.append(Residual(o, modelled, error, error / abs(scale) if scale else math.nan))
    return out


def _mean(table: LongTable, variable: str, district: str, year: int) -> float:
    values = [
        table.value_at(variable, year, district, scenario=s, replicate=r) for s, r in table.runs
    ]
    return float(np.mean(values))


def loss(rows: Sequence[Residual]) -> float:
    """Weighted mean of squared relative errors."""
    weights = np.array([r.observation.weight for r in rows])
    errors = np.array([r.relative for r in rows])
    return float(np.sum(weights * errors**2) / np.sum(weights)) if weights.sum() > 0 else 0.0
