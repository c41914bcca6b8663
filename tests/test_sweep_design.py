"""Sweep designs: sizes, ranges, distributions, and the seeds of runs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from simulation.experiments.design import DesignSpec, Parameter, point_values, size, unit_matrix
from simulation.experiments.replicate import replicate_seeds
from simulation.experiments.sweepfile import load_sweep, run_seed
from tests.sweep_helpers import OUTCOMES, write_sweep

U = np.array([0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0])
INNER = U[1:-1]


def uniform(key="a", low=0.0, high=1.0, **kw):
    return Parameter(key, "uniform", low=low, high=high, **kw)


# --- distributions: unit coordinates through the quantile function --------------------------


def test_uniform_matches_scipy():
    p = uniform(low=2.0, high=7.0)
    np.testing.assert_allclose(p.quantile(U), stats.uniform(loc=2, scale=5).ppf(U))


def test_loguniform_matches_scipy():
    p = Parameter("a", "loguniform", low=0.01, high=100.0)
    np.testing.assert_allclose(p.quantile(U), stats.loguniform(0.01, 100).ppf(U), rtol=1e-12)


def test_triangular_matches_scipy():
    p = Parameter("a", "triangular", low=0.4, mode=0.55, high=0.7)
    expected = stats.triang(c=0.5, loc=0.4, scale=0.3).ppf(U)
    np.testing.assert_allclose(p.quantile(U), expected, rtol=1e-12)
    skewed = Parameter("a", "triangular", low=0.0, mode=1.0, high=4.0)
    np.testing.assert_allclose(
        skewed.quantile(U), stats.triang(c=0.25, loc=0, scale=4).ppf(U), rtol=1e-12
    )


def test_normal_matches_scipy_inside_the_unit_interval():
    p = Parameter("a", "normal", mean=0.08, sd=0.01)
    np.testing.assert_allclose(p.quantile(INNER), stats.norm(0.08, 0.01).ppf(INNER), rtol=1e-9)
    assert np.all(np.isfinite(p.quantile(U)))  # the ends are pulled in, not infinite
    assert not p.bounded


def test_a_truncated_normal_matches_scipy_and_stays_in_its_bounds():
    p = Parameter("a", "normal", mean=0.08, sd=0.01, low=0.05, high=0.09)
    a, b = (0.05 - 0.08) / 0.01, (0.09 - 0.08) / 0.01
    expected = stats.truncnorm(a, b, loc=0.08, scale=0.01).ppf(U)
    np.testing.assert_allclose(p.quantile(U), expected, rtol=1e-9, atol=1e-12)
    assert p.quantile(np.array([0.0]))[0] == pytest.approx(0.05)
    assert p.quantile(np.array([1.0]))[0] == pytest.approx(0.09)
    assert p.bounded


def test_levels_take_equal_shares_of_the_unit_interval():
    p = Parameter("a", "levels", levels=("x", "y", "z"))
    assert [p.value(u) for u in (0.0, 0.2, 0.34, 0.5, 0.67, 0.99, 1.0)] == list("xxyyzzz")


def test_an_integer_parameter_takes_whole_numbers():
    p = uniform(low=16, high=60, integer=True)
    values = [p.value(u) for u in U]
    assert all(isinstance(v, int) for v in values)
    assert values[0] == 16
    assert values[-1] == 60


# --- designs ----------------------------------------------------------------------------------


def grid_params():
    return [
        Parameter("a", "levels", levels=(1, 2, 3)),
        uniform("b", 10.0, 20.0, steps=5),
        Parameter("c", "levels", levels=("x", "y")),
    ]


def test_a_grid_is_the_product_of_the_levels_ends_included():
    params = grid_params()
    spec = DesignSpec("grid")
    unit = unit_matrix(spec, params)
    assert size(spec, params) == len(unit) == 3 * 5 * 2
    points = [tuple(point_values(params, row).values()) for row in unit]
    expected = list(itertools.product((1, 2, 3), (10.0, 12.5, 15.0, 17.5, 20.0), ("x", "y")))
    assert points == expected


@pytest.mark.parametrize("method", ["lhs", "sobol_sequence", "saltelli", "morris"])
def test_sampled_points_lie_within_the_parameter_ranges(method):
    params = [
        uniform("a", -0.1, 0.1),
        Parameter("b", "triangular", low=0.4, mode=0.55, high=0.7),
        Parameter("c", "loguniform", low=1.0, high=1000.0),
        Parameter("d", "normal", mean=0.08, sd=0.01, low=0.05, high=0.11),
    ]
    spec = DesignSpec(method, samples=16, seed=3)
    unit = unit_matrix(spec, params)
    assert unit.shape == (size(spec, params), 4)
    assert np.all((unit >= 0) & (unit <= 1))
    for row in unit:
        a, b, c, d = point_values(params, row).values()
        assert -0.1 <= a <= 0.1
        assert 0.4 <= b <= 0.7
        assert 1 <= c <= 1000
        assert 0.05 <= d <= 0.11


def test_sizes_of_the_sampling_designs():
    params = [uniform("a"), uniform("b"), uniform("c")]
    assert len(unit_matrix(DesignSpec("lhs", samples=10), params)) == 10
    assert len(unit_matrix(DesignSpec("sobol_sequence", samples=32), params)) == 32
    saltelli = DesignSpec("saltelli", samples=8)
    assert len(unit_matrix(saltelli, params)) == size(saltelli, params) == 8 * (3 + 2)
    second = DesignSpec("saltelli", samples=8, second_order=True)
    assert len(unit_matrix(second, params)) == size(second, params) == 8 * (2 * 3 + 2)
    morris = DesignSpec("morris", samples=5, levels=4)
    unit = unit_matrix(morris, params)
    assert len(unit) == size(morris, params) == 5 * (3 + 1)
    assert set(np.round(unit.ravel(), 9)) <= {0.0, round(1 / 3, 9), round(2 / 3, 9), 1.0}


def test_a_latin_hypercube_puts_one_point_in_each_stratum_of_each_parameter():
    unit = unit_matrix(DesignSpec("lhs", samples=20, seed=1), [uniform("a"), uniform("b")])
    for column in unit.T:
        assert sorted(np.floor(column * 20).astype(int)) == list(range(20))


def test_a_design_is_fixed_by_its_seed():
    params = [uniform("a"), uniform("b")]
    for method in ("lhs", "sobol_sequence", "saltelli", "morris"):
        first = unit_matrix(DesignSpec(method, samples=8, seed=4), params)
        again = unit_matrix(DesignSpec(method, samples=8, seed=4), params)
        other = unit_matrix(DesignSpec(method, samples=8, seed=5), params)
        np.testing.assert_array_equal(first, again)
        assert not np.array_equal(first, other), method


# --- seeds of runs ----------------------------------------------------------------------------


def _int_seed(sequence: np.random.SeedSequence) -> int:
    high, low = sequence.generate_state(2, np.uint32)
    return (int(high) & 0x7FFFFFFF) << 32 | int(low)


def test_a_runs_seed_is_the_spawned_child_of_its_point_and_replicate():
    children = np.random.SeedSequence(99).spawn(6)
    for point in range(6):
        grandchildren = children[point].spawn(3)
        for replicate in range(3):
            assert run_seed(99, point, replicate) == _int_seed(grandchildren[replicate])
    seeds = {run_seed(99, p, r) for p in range(6) for r in range(3)}
    assert len(seeds) == 18


def test_common_seeds_are_the_scenarios_replicate_seeds_at_every_point():
    expected = replicate_seeds(42, 4)
    for point in (0, 7):
        assert [run_seed(42, point, r, "common") for r in range(4)] == expected


def test_a_scaled_parameter_multiplies_every_districts_base_value(tmp_path):
    path = write_sweep(
        tmp_path,
        """
[design]
method = "grid"

[parameters]
"channels.talent.quota" = { scale = true, levels = [0.5, 2.0] }
"population.willing_share" = [0.3]
"""
        + OUTCOMES,
    )
    sweep = load_sweep(path)
    assert sweep.parameters[0].label == "channels.talent.quota:scale"
    low = sweep.variant({"channels.talent.quota:scale": 0.5, "population.willing_share": 0.3}, 0)
    high = sweep.variant({"channels.talent.quota:scale": 2.0, "population.willing_share": 0.3}, 1)
    assert low.channels.talent.quota == (75.0, 150.0)  # tiny: Core 150, Edge 300
    assert high.channels.talent.quota == (300.0, 600.0)
    assert low.population.willing_share == 0.3
    assert math.isclose(sweep.base.population.willing_share, 0.55)
