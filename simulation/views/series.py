"""Reading a results table for figures and reports: series over replicates, run totals, names.

Every function works alike on one run and on many replicates: values come as a matrix with
one row per replicate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from simulation.errors import ManifestError
from simulation.names import CITY, Limit
from simulation.results import LongTable
from simulation.variables import VARIABLES


def districts(table: LongTable) -> tuple[str, ...]:
    """The districts of the table, without the city total."""
    return tuple(d for d in table.districts if d != CITY)


def matrix(
    table: LongTable, variable: str, district: str = CITY, *, scenario: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Years and a (replicates x years) matrix; empty where the variable is not published."""
    if district not in table.districts:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0))
    return table.replicate_matrix(variable, district, scenario=scenario)


def totals(
    table: LongTable, variable: str, district: str = CITY, *, scenario: str | None = None
) -> np.ndarray:
    """Each replicate's sum over the years (for a flow: the whole run)."""
    _, values = matrix(table, variable, district, scenario=scenario)
    return values.sum(axis=1) if values.size else np.zeros(max(len(values), 1))


def at_year(
    table: LongTable,
    variable: str,
    year: int,
    district: str = CITY,
    *,
    scenario: str | None = None,
) -> np.ndarray:
    """Each replicate's value in `year`; NaN where there is none."""
    years, values = matrix(table, variable, district, scenario=scenario)
    hit = years == year
    if not hit.any():
        return np.full(max(len(values), 1), np.nan)
    return values[:, np.flatnonzero(hit)[0]]


def replicate_count(table: LongTable, scenario: str | None = None) -> int:
    scenario = scenario if scenario is not None else table.scenarios[0]
    return sum(1 for s, _ in table.runs if s == scenario)


def modal(codes: np.ndarray) -> np.ndarray:
    """The most common code over replicates (rows), year by year; the lower code on a tie."""
    codes = np.asarray(codes, dtype=np.int64)
    if codes.size == 0:
        return np.zeros(codes.shape[-1] if codes.ndim == 2 else 0, dtype=np.int64)
    top = int(codes.max()) + 1
    counts = np.stack([(codes == c).sum(axis=0) for c in range(top)])
    return np.asarray(counts.argmax(axis=0), dtype=np.int64)


def limit_years(
    table: LongTable, district: str, *, scenario: str | None = None
) -> dict[Limit, np.ndarray] | None:
    """The years each limit bound a district (the limit most replicates report), for every
    limit that bound at all, in `Limit` order; None where the district has no such series."""
    years, codes = matrix(table, "land_binding_limit", district, scenario=scenario)
    if not codes.size:
        return None
    common = modal(codes)
    bound = {limit: years[common == limit] for limit in Limit if limit != Limit.NONE}
    return {limit: y for limit, y in bound.items() if len(y)}


def percentiles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5th, 50th and 95th percentiles over replicates (rows)."""
    p5, p50, p95 = np.percentile(values, [5, 50, 95], axis=0)
    return p5, p50, p95


def axis_label(variable: str, *, per_year: bool | None = None, cumulative: bool = False) -> str:
    """A variable's label and unit for an axis: flows per year unless `cumulative`."""
    v = VARIABLES[variable]
    unit = v.unit if v.unit not in ("flag", "code") else ""
    flow = v.kind == "flow" if per_year is None else per_year
    if cumulative:
        return f"{v.label}, cumulative ({unit})" if unit else f"{v.label}, cumulative"
    if flow and unit:
        return f"{v.label} ({unit} per year)"
    return f"{v.label} ({unit})" if unit else v.label


def display_names(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """District names for people: English, then Chinese where the table has it, and the city."""
    names = {CITY: "City total"}
    for row in rows:
        zh = str(row.get("name_zh") or "").strip()
        names[row["name"]] = f"{row['name']} {zh}" if zh else str(row["name"])
    return names


def described(scenario: Mapping[str, Any], key: str) -> Any:
    """A value of the scenario's description in a manifest, by key path ("land.planning_band_m2").

    What the scenario *says* (a channel open, the targets' years, the planning band) is read
    from the manifest; what it *leads to* is read from the table. Either way there is no
    default: a missing value raises `ManifestError` rather than be guessed.
    """
    node: Any = scenario
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ManifestError(f"scenario.{key}")
        node = node[part]
    return node
