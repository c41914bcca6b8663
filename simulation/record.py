"""A year's record: each published variable as district values with the city total last."""

from __future__ import annotations

import numpy as np

Record = dict[str, np.ndarray]


def with_city(values: np.ndarray) -> np.ndarray:
    """District values followed by their city total."""
    values = np.asarray(values, dtype=float)
    out = np.empty(len(values) + 1)
    out[:-1] = values
    out[-1] = values.sum()
    return out


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
