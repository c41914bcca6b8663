"""A year's record: district values with the city total last."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulation.record import with_cities


def test_with_cities_appends_each_variables_city_total():
    out = with_cities({"a": np.array([1.0, 2.0, 3.0]), "b": np.array([0, 5, -1])})
    assert out["a"].tolist() == [1.0, 2.0, 3.0, 6.0]
    assert out["b"].tolist() == [0.0, 5.0, -1.0, 4.0]
    assert with_cities({}) == {}


@given(
    st.integers(1, 40).flatmap(
        lambda n: st.lists(
            arrays(np.float64, n, elements=st.floats(-1e12, 1e12)), min_size=1, max_size=8
        )
    )
)
def test_with_cities_totals_each_variable_to_the_bit_as_one_at_a_time(variables):
    """Summed in one pass, each row's total is the one its own sum gives, to the last bit."""
    out = with_cities({str(i): v for i, v in enumerate(variables)})
    for i, values in enumerate(variables):
        assert out[str(i)].tobytes() == np.append(values, values.sum()).tobytes()
