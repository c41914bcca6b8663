"""A year's record: each published variable as district values with the city total last."""

from __future__ import annotations

import numpy as np

Record = dict[str, np.ndarray]


def with_cities(values: dict[str, np.ndarray]) -> Record:
    """Each of several variables of the same districts followed by its city total, made as the
    rows of one table whose totals are summed in one pass: a record takes dozens of variables a
    year, and on arrays this small each sum costs far more than its additions. (Each row is
    summed on its own, to the same bits as its own `sum()`.)"""
    if not values:
        return {}
    rows = iter(values.values())
    first = next(rows)
    table = np.empty((len(values), len(first) + 1))
    table[0, :-1] = first
    for row, districts in zip(table[1:], rows, strict=True):
        row[:-1] = districts
    np.add.reduce(table[:, :-1], axis=1, out=table[:, -1])
    return dict(zip(values, table, strict=True))


def with_value(values: np.ndarray, last: float) -> np.ndarray:
    """District values followed by a value of the city's own (NaN where it has none)."""
    out = np.empty(len(values) + 1)
    out[:-1] = values
    out[-1] = last
    return out


def city_only(value: float, n: int) -> np.ndarray:
    """A value published for the city alone: no district rows."""
    out = np.full(n + 1, np.nan)
    out[-1] = value
    return out
