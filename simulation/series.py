"""Year series: a flow, rate or quota given for some years and interpolated between them.

In a scenario file a parameter that may vary over time takes, instead of one number, a table of
years: ``hukou_natural_growth = { 2017 = 0.0095, 2018 = 0.0085, 2025 = 0.004 }``; a per-district
one may give a district its own series: ``quota = { Huangpu = { 2018 = 12000, 2020 = 20000 },
default = 8000 }``. Values are interpolated linearly between the years given and held constant
before the first and after the last.

A key path ending in a year (``--set flows.hukou_natural_growth.2019=0.01``, `with_values`, a
sweep or a calibration parameter) sets one point of a series the scenario already gives; a
district without a series of its own first takes a copy of its table's `default` series. A
parameter given as one number has no years to set one of (what would the others be?), so
that is refused, with the whole series to give instead: ``quota.Huangpu = { 2018 = 12000,
2019 = 5000 }`` keeps 12000 to 2018 and has 5000 from 2019.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class YearSeries:
    """Values at given years (strictly increasing), linear in between, flat outside.

    A series of whole numbers (a quota, in persons) stays whole between its years: the line's
    value is rounded half to even (6000 in 2018 and 6001 in 2020 give 6000 in 2019, not
    6000.5), so a year's quota admits whole persons as a quota given as one number must.
    """

    years: tuple[int, ...]
    values: tuple[float, ...]
    whole: bool = False

    def at(self, year: float) -> float:
        value = float(np.interp(year, self.years, self.values))
        return float(round(value)) if self.whole else value


@dataclass(frozen=True)
class SeriesParam:
    """A parameter given as a year series: its key path (with the district for a per-district
    parameter) and the series."""

    path: str  # e.g. "flows.hukou_natural_growth"
    district: int | None  # index into the district table, for a per-district parameter
    series: YearSeries


def is_year_table(value: Any) -> bool:
    """Whether a TOML value is a table keyed by years."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and k.isascii() and k.isdigit() for k in value)
    )


def with_year(obj: Any, params: tuple[SeriesParam, ...], year: int) -> Any:
    """`obj` (a scenario) with every series parameter set to its value in `year`."""
    grouped: dict[str, list[SeriesParam]] = {}
    for p in params:
        grouped.setdefault(p.path, []).append(p)
    for path, members in grouped.items():
        obj = _replace_path(obj, path.split("."), members, year)
    return obj


def _replace_path(obj: Any, parts: list[str], members: list[SeriesParam], year: int) -> Any:
    head, rest = parts[0], parts[1:]
    current = getattr(obj, head)
    if rest:
        return dataclasses.replace(obj, **{head: _replace_path(current, rest, members, year)})
    if members[0].district is not None:  # a per-district tuple: every district's series at once
        values = list(current)
        for p in members:
            values[p.district] = p.series.at(year)  # type: ignore[index]
        return dataclasses.replace(obj, **{head: tuple(values)})
    value = members[0].series.at(year)
    if isinstance(current, int) and not isinstance(current, bool):
        return dataclasses.replace(obj, **{head: round(value)})
    return dataclasses.replace(obj, **{head: value})
