"""The long results table of one or many runs, its percentile summary, and the manifest."""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import io
import json
import math
import platform
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulation.names import CITY
from simulation.record import Record
from simulation.variables import VARIABLES, unit


@dataclass(frozen=True)
class RunOutput:
    """What one run of the engine returns: one record per year (the base year first)."""

    years: tuple[int, ...]
    districts: tuple[str, ...]
    records: tuple[Record, ...]


COLUMNS = ("scenario", "replicate", "year", "district", "variable", "value", "unit")
SUMMARY_COLUMNS = ("scenario", "variable", "district", "year", "unit", "mean", "p5", "p50", "p95")
DEPENDENCIES = ("numpy", "scipy", "simpy", "matplotlib")

RunKey = tuple[str, int]


@dataclass(frozen=True, eq=False)
class LongTable:
    """One row per value: scenario, replicate, year, district, variable, value (unit by name).

    A table holds one run or many (scenarios x replicates); tables concatenate.
    """

    scenario: np.ndarray
    replicate: np.ndarray
    year: np.ndarray
    district: np.ndarray
    variable: np.ndarray
    value: np.ndarray

    @classmethod
    def from_output(cls, scenario: str, replicate: int, out: RunOutput) -> LongTable:
        """Rows year by year, variables in catalogue order, districts in table order."""
        n_districts = len(out.districts)
        names: list[str] = []
        blocks: list[np.ndarray] = []
        years: list[int] = []
        for year, record in zip(out.years, out.records, strict=True):
            unknown = set(record) - set(VARIABLES)
            if unknown:
                raise ValueError(f"unpublished variables in a record: {sorted(unknown)}")
            present = [name for name in VARIABLES if name in record]
            names.extend(present)
            blocks.extend(record[name] for name in present)
            years.extend([year] * len(present))
        values = np.concatenate(blocks) if blocks else np.zeros(0)
        keep = ~np.isnan(values)
        variable = np.repeat(np.asarray(names, dtype=object), n_districts)
        district = np.tile(np.asarray(out.districts, dtype=object), len(names))
        row_year = np.repeat(np.asarray(years, dtype=np.int64), n_districts)
        rows = int(keep.sum())
        return cls(
            scenario=np.full(rows, scenario, dtype=object),
            replicate=np.full(rows, replicate, dtype=np.int64),
            year=row_year[keep],
            district=district[keep],
            variable=variable[keep],
            value=values[keep].astype(float),
        )

    @classmethod
    def concat(cls, tables: Iterable[LongTable]) -> LongTable:
        tables = list(tables)
        if not tables:
            raise ValueError("concat() needs at least one table")
        return cls(
            **{
                f.name: np.concatenate([getattr(t, f.name) for t in tables])
                for f in dataclasses.fields(cls)
            }
        )

    def __len__(self) -> int:
        return len(self.value)

    def filter(self, mask: np.ndarray) -> LongTable:
        """The rows where `mask` holds."""
        return LongTable(**{f.name: getattr(self, f.name)[mask] for f in dataclasses.fields(self)})

    # --- what the table holds ---------------------------------------------------------------

    @functools.cached_property
    def runs(self) -> tuple[RunKey, ...]:
        """(scenario, replicate) of every run, in table order."""
        pairs = zip(self.scenario.tolist(), self.replicate.tolist(), strict=True)
        return tuple(dict.fromkeys(pairs))

    @property
    def scenarios(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for s, _ in self.runs))

    @property
    def replicates(self) -> tuple[int, ...]:
        return tuple(sorted({r for _, r in self.runs}))

    @functools.cached_property
    def districts(self) -> tuple[str, ...]:
        """Districts in table order, `ALL` last."""
        names = dict.fromkeys(self.district.tolist())
        names.pop(CITY, None)
        return (*names, CITY) if len(self) else ()

    @functools.cached_property
    def variables(self) -> tuple[str, ...]:
        present = set(self.variable.tolist())
        return tuple(v for v in VARIABLES if v in present)

    @functools.cached_property
    def years(self) -> tuple[int, ...]:
        return tuple(int(y) for y in np.unique(self.year))

    def run(self, scenario: str | None = None, replicate: int | None = None) -> LongTable:
        """The rows of one run (the only scenario, or replicate 0, where not given)."""
        key = self._one_run(scenario, replicate)
        return self.filter((self.scenario == key[0]) & (self.replicate == key[1]))

    # --- selecting values -------------------------------------------------------------------

    @functools.cached_property
    def _index(self) -> dict[tuple[str, int, str, str], np.ndarray]:
        """Row numbers of every (scenario, replicate, variable, district), in year order."""
        groups: dict[tuple[str, int, str, str], list[int]] = {}
        keys = zip(
            self.scenario.tolist(),
            self.replicate.tolist(),
            self.variable.tolist(),
            self.district.tolist(),
            strict=True,
        )
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)
        out = {}
        for key, rows in groups.items():
            index = np.asarray(rows, dtype=np.int64)
            out[key] = index[np.argsort(self.year[index], kind="stable")]
        return out

    def _check(self, variable: str, district: str) -> None:
        if variable not in VARIABLES:
            raise KeyError(
                f"unknown variable {variable!r}; the published variables are listed in "
                "simulation/variables.py (python run.py variables)"
            )
        if district not in self.districts:
            raise KeyError(f"unknown district {district!r}; the table has {list(self.districts)}")

    def _one_run(self, scenario: str | None, replicate: int | None) -> RunKey:
        scenarios = self.scenarios
        if scenario is None:
            if len(scenarios) > 1:
                raise ValueError(
                    f"the table holds scenarios {list(scenarios)}: say which with scenario="
                )
            scenario = scenarios[0] if scenarios else ""
        elif scenario not in scenarios:
            raise KeyError(f"unknown scenario {scenario!r}; the table has {list(scenarios)}")
        if replicate is None:
            replicate = min((r for s, r in self.runs if s == scenario), default=0)
            if sum(1 for s, _ in self.runs if s == scenario) > 1:
                raise ValueError(
                    f"the table holds {len(self.replicates)} replicates of {scenario!r}: "
                    "say which with replicate=, or use replicate_matrix()"
                )
        return scenario, replicate

    def select(
        self,
        variable: str,
        district: str = CITY,
        *,
        scenario: str | None = None,
        replicate: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Years and values of one variable in one district (`ALL` for the city) of one run.

        A variable the run did not publish (a target the scenario does not set) gives empty
        arrays; a name that is not a published variable, or a district not in the table, is an
        error.
        """
        self._check(variable, district)
        scenario, replicate = self._one_run(scenario, replicate)
        rows = self._index.get((scenario, replicate, variable, district))
        if rows is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return self.year[rows], self.value[rows]

    def replicate_matrix(
        self, variable: str, district: str = CITY, *, scenario: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Years and a (replicates x years) matrix of one variable of one scenario."""
        self._check(variable, district)
        scenario, _ = self._one_run(scenario, 0) if scenario is None else (scenario, 0)
        reps = [r for s, r in self.runs if s == scenario]
        series = [self.select(variable, district, scenario=scenario, replicate=r) for r in reps]
        if not series or len(series[0][0]) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((len(reps), 0))
        years = series[0][0]
        for other, _ in series[1:]:
            if not np.array_equal(other, years):
                raise ValueError(f"replicates of {scenario!r} differ in the years of {variable}")
        return years, np.vstack([values for _, values in series])

    def value_at(
        self,
        variable: str,
        year: int,
        district: str = CITY,
        *,
        scenario: str | None = None,
        replicate: int | None = None,
    ) -> float:
        years, values = self.select(variable, district, scenario=scenario, replicate=replicate)
        hits = values[years == year]
        if len(hits) != 1:
            raise KeyError(f"no value of {variable} for {district} in {year}")
        return float(hits[0])

    # --- output -----------------------------------------------------------------------------

    def rows(self) -> Iterator[tuple[Any, ...]]:
        units = {name: unit(name) for name in self.variables}
        for scenario, replicate, year, district, variable, value in zip(
            self.scenario.tolist(),
            self.replicate.tolist(),
            self.year.tolist(),
            self.district.tolist(),
            self.variable.tolist(),
            self.value.tolist(),
            strict=True,
        ):
            yield (scenario, replicate, year, district, variable, value, units[variable])

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in self.rows():
            writer.writerow((*row[:5], format(row[5], ".10g"), row[6]))
        return buffer.getvalue()

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (needs the `pandas` extra)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "to_pandas() needs pandas: pip install 'peopleland[pandas]'"
            ) from None
        return pd.DataFrame.from_records(list(self.rows()), columns=list(COLUMNS))


# --- summaries over replicates ---------------------------------------------------------------


def _codes(values: np.ndarray, order: Sequence[Any] | None = None) -> tuple[np.ndarray, list[Any]]:
    """Integer codes of `values`, numbered in `order` if given, else by first appearance."""
    uniques, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    if order is None:
        ranked = np.argsort(first, kind="stable")
    else:
        position = {v: i for i, v in enumerate(order)}
        ranked = np.argsort([position[v] for v in uniques.tolist()], kind="stable")
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[ranked] = np.arange(len(uniques))
    return rank[inverse.ravel()], [uniques[i] for i in ranked]


@dataclass(frozen=True, eq=False)
class Summary:
    """Mean and 5th, 50th and 95th percentiles over replicates, per scenario, variable,
    district and year."""

    scenario: np.ndarray
    variable: np.ndarray
    district: np.ndarray
    year: np.ndarray
    mean: np.ndarray
    p5: np.ndarray
    p50: np.ndarray
    p95: np.ndarray
    count: np.ndarray

    def rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(len(self.mean)):
            variable = self.variable[i]
            yield (
                self.scenario[i],
                variable,
                self.district[i],
                int(self.year[i]),
                unit(variable),
                float(self.mean[i]),
                float(self.p5[i]),
                float(self.p50[i]),
                float(self.p95[i]),
            )

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(SUMMARY_COLUMNS)
        for row in self.rows():
            writer.writerow((*row[:5], *(format(v, ".10g") for v in row[5:])))
        return buffer.getvalue()


def summarize(table: LongTable) -> Summary:
    """Percentiles over the replicates of each scenario (linear interpolation)."""
    scenario, scenarios = _codes(table.scenario)
    variable, variables = _codes(table.variable, list(VARIABLES))
    district, districts = _codes(table.district, table.districts)
    year, years = _codes(table.year, table.years)
    key = ((scenario * len(variables) + variable) * len(districts) + district) * len(years) + year
    order = np.argsort(key, kind="stable")
    sorted_key, values = key[order], table.value[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    counts = np.diff(np.r_[starts, len(sorted_key)])
    if len(counts) and np.all(counts == counts[0]):
        grid = values.reshape(len(counts), counts[0])
        mean = grid.mean(axis=1)
        p5, p50, p95 = np.percentile(grid, [5, 50, 95], axis=1)
    else:
        groups = np.split(values, starts[1:])
        mean = np.array([g.mean() for g in groups])
        p5, p50, p95 = np.array([np.percentile(g, [5, 50, 95]) for g in groups]).T.reshape(3, -1)
    first = order[starts]
    return Summary(
        scenario=np.asarray(scenarios, dtype=object)[scenario[first]],
        variable=np.asarray(variables, dtype=object)[variable[first]],
        district=np.asarray(districts, dtype=object)[district[first]],
        year=table.year[first],
        mean=mean,
        p5=p5,
        p50=p50,
        p95=p95,
        count=counts,
    )


# --- the manifest ----------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Plain JSON data: dataclasses as objects, tuples as arrays, non-finite numbers as the
    strings "inf", "-inf" and "nan" (strict JSON has no literal for them)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.metadata.get("internal")
        }
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    return value


def to_json(data: Any) -> str:
    """Strict JSON text (no NaN or Infinity literals), indented, UTF-8 characters kept."""
    return json.dumps(jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def checksum(path: str | Path) -> str:
    """SHA-256 of a file (remembered while the file keeps its size and modification time)."""
    info = Path(path).stat()
    return _checksum(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=256)
def _checksum(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def versions() -> dict[str, str]:
    """Python's version and the installed versions of the package and its dependencies."""
    return dict(_versions())


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    from importlib import metadata  # slow to import: only when a manifest is written

    out = {"python": platform.python_version()}
    for name in ("peopleland", *DEPENDENCIES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return tuple(out.items())


# --- paired differences between scenarios ---------------------------------------------------

DIFFERENCE_COLUMNS = (
    "scenario",
    "reference",
    "variable",
    "district",
    "year",
    "unit",
    "mean_difference",
    "ci_low",
    "ci_high",
)


@dataclass(frozen=True, eq=False)
class Differences:
    """Each scenario minus the reference, paired by replicate seed: the mean difference over
    replicates and its 95 % interval (Student's t; empty with a single replicate)."""

    scenario: np.ndarray
    reference: np.ndarray
    variable: np.ndarray
    district: np.ndarray
    year: np.ndarray
    mean_difference: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    sd: np.ndarray  # standard deviation of the paired differences
    count: np.ndarray  # replicates paired

    def __len__(self) -> int:
        return len(self.mean_difference)

    def select(
        self, variable: str, district: str = CITY, *, scenario: str | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Years, mean difference, interval low and high of one variable in one district."""
        if variable not in VARIABLES:
            raise KeyError(f"unknown variable {variable!r}")
        scenarios = tuple(dict.fromkeys(self.scenario.tolist()))
        if scenario is None:
            if len(scenarios) > 1:
                raise ValueError(f"the differences hold {list(scenarios)}: say which")
            scenario = scenarios[0] if scenarios else ""
        mask = (self.scenario == scenario) & (self.variable == variable)
        mask &= self.district == district
        order = np.argsort(self.year[mask], kind="stable")
        return (
            self.year[mask][order],
            self.mean_difference[mask][order],
            self.ci_low[mask][order],
            self.ci_high[mask][order],
        )

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(DIFFERENCE_COLUMNS)
        for i in range(len(self)):
            writer.writerow(
                (
                    self.scenario[i],
                    self.reference[i],
                    self.variable[i],
                    self.district[i],
                    int(self.year[i]),
                    unit(self.variable[i]),
                    *(_number(a[i]) for a in (self.mean_difference, self.ci_low, self.ci_high)),
                )
            )
        return buffer.getvalue()


def _number(value: float) -> str:
    """A CSV cell: empty where there is no number (an interval from one replicate)."""
    return "" if math.isnan(value) else format(value, ".10g")


def t_quantile(level: float, df: np.ndarray) -> np.ndarray:
    """Two-sided Student's t quantile for the given confidence level; NaN where df < 1."""
    from scipy.special import stdtrit  # imported when needed: scipy.stats alone takes ~1 s

    df = np.asarray(df, dtype=float)
    return np.where(df >= 1, stdtrit(np.maximum(df, 1), 0.5 + level / 2), np.nan)


def mean_interval(samples: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Mean over axis 0 and the half-width of its `level` interval (NaN for one sample)."""
    samples = np.asarray(samples, dtype=float)
    n = samples.shape[0]
    mean = samples.mean(axis=0)
    if n < 2:
        return mean, np.full_like(mean, np.nan)
    sd = samples.std(axis=0, ddof=1)
    return mean, t_quantile(level, np.full_like(mean, n - 1)) * sd / np.sqrt(n)
