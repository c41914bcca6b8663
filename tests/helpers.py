"""Small hand-made populations for unit tests."""

from __future__ import annotations

import numpy as np

from simulation.population import ATTRIBUTES, Population


def make_population(n: int, **columns: object) -> Population:
    """A population of `n` willing, active heads with neutral attributes, then `columns` set."""
    data = {name: np.zeros(n, dtype=dtype) for name, dtype in ATTRIBUTES.items()}
    data["willing"][:] = True
    data["age"][:] = 30
    data["lottery"][:] = np.linspace(0, 1, n, endpoint=False, dtype=np.float32)
    for name, value in columns.items():
        data[name][:] = value
    return Population(data)
