"""Sweep designs: the parameters swept (levels, ranges, distributions) and the points to run.

Every design is first a matrix of unit coordinates, one row per point and one column per
parameter, each in [0, 1]. A parameter turns its coordinate into a scenario value through its
quantile function (inverse distribution function), so one matrix serves every kind of
parameter, and the sensitivity analysis reads the same coordinates the samplers drew.

- `grid`: the full factorial of each parameter's levels (or `steps` evenly spaced points of a
  range, ends included); coordinates i / (n - 1).
- `lhs`: a Latin hypercube (scipy.stats.qmc).
- `sobol_sequence`: a scrambled Sobol' sequence (scipy.stats.qmc); a power-of-two size.
- `saltelli`: the cross-sampled Sobol' design of SALib's Sobol analysis (`SALib.sample.sobol`):
  N (2k + 2) points, or N (k + 2) without second-order indices; N a power of two.
- `morris`: SALib's Morris trajectories (`SALib.sample.morris`): N (k + 1) points on a grid
  of `levels` levels.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from simulation.errors import ScenarioError
from simulation.experiments.extras import require

Kind = Literal["levels", "uniform", "loguniform", "triangular", "normal"]
KINDS: tuple[Kind, ...] = get_args(Kind)
DISTRIBUTIONS = ("uniform", "loguniform", "triangular", "normal")
Method = Literal["grid", "lhs", "sobol_sequence", "saltelli", "morris"]
METHODS: tuple[Method, ...] = get_args(Method)

#: How far from 0 and 1 an unbounded distribution is evaluated, so its values stay finite.
EDGE = 1e-12


@dataclass(frozen=True)
class Parameter:
    """One swept scenario value: its key path, and how a unit coordinate becomes a value.

    `levels` are taken with equal weight; the distributions are given by `low`, `high`
    (uniform, log-uniform, triangular with `mode`) or `mean`, `sd` (normal, truncated to
    [`low`, `high`] where either is given). With `scale`, the value multiplies the base
    scenario's value at `key` (every district's, for a per-district value). `integer` rounds
    values of an integer parameter. `steps` points of a range make its grid levels.
    """

    key: str
    kind: Kind
    levels: tuple[Any, ...] = ()
    low: float = math.nan
    high: float = math.nan
    mode: float = math.nan
    mean: float = math.nan
    sd: float = math.nan
    steps: int = 0
    scale: bool = False
    integer: bool = False
    name: str = ""

    @property
    def label(self) -> str:
        """The column naming this parameter in the sweep's tables."""
        if self.name:
            return self.name
        return f"{self.key}:scale" if self.scale else self.key

    @property
    def bounded(self) -> bool:
        """Whether every coordinate in [0, 1], ends included, gives a finite value."""
        return self.kind != "normal" or not (math.isnan(self.low) or math.isnan(self.high))

    @property
    def grid_size(self) -> int:
        """How many grid levels the parameter has (0 when it has none)."""
        return len(self.levels) if self.kind == "levels" else self.steps

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The values at coordinates `u` (a numeric parameter; levels give level indices)."""
        u = np.asarray(u, dtype=float)
        if self.kind == "levels":
            n = len(self.levels)
            return np.minimum(np.floor(u * n), n - 1)
        if self.kind == "uniform":
            return self.low + u * (self.high - self.low)
        if self.kind == "loguniform":
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        if self.kind == "triangular":
            return _triangular(u, self.low, self.mode, self.high)
        return _normal(u, self.mean, self.sd, self.low, self.high)

    def value(self, u: float) -> Any:
        """The scenario value (or scale factor) at coordinate `u`, as Python data."""
        x = float(self.quantile(np.asarray([u]))[0])
        if self.kind == "levels":
            return self.levels[int(x)]
        return round(x) if self.integer else x

    def describe(self) -> dict[str, Any]:
        """The parameter as plain data (for the sweep's manifest and fingerprint)."""
        out: dict[str, Any] = {"name": self.label, "key": self.key, "kind": self.kind}
        for attr in ("low", "high", "mode", "mean", "sd"):
            if not math.isnan(getattr(self, attr)):
                out[attr] = getattr(self, attr)
        if self.levels:
            out["levels"] = list(self.levels)
        if self.steps:
            out["steps"] = self.steps
        out["scale"] = self.scale
        out["integer"] = self.integer
        return out


def _triangular(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    width = high - low
    split = (mode - low) / width
    rising = low + np.sqrt(u * width * (mode - low))
    falling = high - np.sqrt((1 - u) * width * (high - mode))
    return np.where(u < split, rising, falling)


def _normal(u: np.ndarray, mean: float, sd: float, low: float, high: float) -> np.ndarray:
    from scipy import special

    lo, hi = _normal_cdf_bounds(mean, sd, low, high)
    p = np.clip(lo + u * (hi - lo), EDGE, 1 - EDGE)
    x = mean + sd * special.ndtri(p)
    if not math.isnan(low):
        x = np.maximum(x, low)
    if not math.isnan(high):
        x = np.minimum(x, high)
    return x


def normal_mass(mean: float, sd: float, low: float, high: float) -> float:
    """The probability a normal distribution gives to [low, high] (either end may be NaN)."""
    lo, hi = _normal_cdf_bounds(mean, sd, low, high)
    return hi - lo


def _normal_cdf_bounds(mean: float, sd: float, low: float, high: float) -> tuple[float, float]:
    """The normal distribution function at `low` and `high`; 0 and 1 for an open end (NaN)."""
    from scipy import special

    lo = 0.0 if math.isnan(low) else float(special.ndtr((low - mean) / sd))
    hi = 1.0 if math.isnan(high) else float(special.ndtr((high - mean) / sd))
    return lo, hi


@dataclass(frozen=True)
class DesignSpec:
    """How the points are chosen: the method, its size, its seed and its options."""

    method: Method
    samples: int = 0  # points (lhs, sobol_sequence), base samples N (saltelli), trajectories
    seed: int = 0
    second_order: bool = False  # saltelli: also the cross-samples second-order indices need
    levels: int = 4  # morris: levels of its grid

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "seed": self.seed}
        if self.method != "grid":
            out["samples"] = self.samples
        if self.method == "saltelli":
            out["second_order"] = self.second_order
        if self.method == "morris":
            out["levels"] = self.levels
        return out


def _power_of_two(n: int) -> bool:
    return n >= 2 and n & (n - 1) == 0


def check_design(spec: DesignSpec, params: Sequence[Parameter], file: str) -> None:
    """Refuse a design its method cannot use, naming the key of the sweep file at fault."""

    def fail(key: str, expected: str, got: object) -> ScenarioError:
        return ScenarioError(file, key, expected, got)

    method = spec.method
    if method == "grid":
        for p in params:
            if p.grid_size == 0:
                raise fail(
                    f'parameters."{p.key}"',
                    "levels, or a range with `steps`, for a grid design",
                    p.kind,
                )
        return
    for p in params:
        if p.steps:
            raise fail(f'parameters."{p.key}".steps', "steps only in a grid design", p.steps)
    if method == "lhs" and spec.samples < 2:
        raise fail("design.samples", "at least 2 points for a Latin hypercube", spec.samples)
    if method in ("sobol_sequence", "saltelli") and not _power_of_two(spec.samples):
        raise fail(
            "design.samples",
            f"a power of two of at least 2 for a {method} design (e.g. 64, 128, 256)",
            spec.samples,
        )
    if method == "morris":
        if spec.samples < 2:
            raise fail("design.samples", "at least 2 Morris trajectories", spec.samples)
        if spec.levels < 2 or spec.levels % 2:
            raise fail("design.levels", "an even number of levels of at least 2", spec.levels)
        for p in params:
            if not p.bounded:
                raise fail(
                    f'parameters."{p.key}"',
                    "a bounded parameter for a Morris design (its grid reaches both ends): "
                    "give the normal distribution `low` and `high`",
                    "an unbounded normal distribution",
                )


def size(spec: DesignSpec, params: Sequence[Parameter]) -> int:
    """How many points the design has."""
    k = len(params)
    if spec.method == "grid":
        return math.prod(p.grid_size for p in params)
    if spec.method == "saltelli":
        return spec.samples * (2 * k + 2 if spec.second_order else k + 2)
    if spec.method == "morris":
        return spec.samples * (k + 1)
    return spec.samples


def salib_problem(names: Sequence[str]) -> dict[str, Any]:
    """SALib's description of the design space: every parameter, by name, on [0, 1]."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def unit_matrix(spec: DesignSpec, params: Sequence[Parameter]) -> np.ndarray:
    """The design's unit coordinates: points x parameters."""
    k = len(params)
    method = spec.method
    if method == "grid":
        axes = [np.linspace(0, 1, p.grid_size) if p.grid_size > 1 else [0.0] for p in params]
        return np.asarray(list(itertools.product(*axes)), dtype=float).reshape(-1, k)
    if method in ("lhs", "sobol_sequence"):
        from scipy.stats import qmc

        rng = np.random.default_rng(spec.seed)
        if method == "lhs":
            return np.asarray(qmc.LatinHypercube(d=k, seed=rng).random(spec.samples))
        m = spec.samples.bit_length() - 1
        return np.asarray(qmc.Sobol(d=k, scramble=True, seed=rng).random_base2(m))
    if method == "saltelli":
        sampler = require("SALib.sample.sobol", "sweep", "a saltelli design")
        return np.asarray(
            sampler.sample(
                salib_problem([p.label for p in params]),
                spec.samples,
                calc_second_order=spec.second_order,
                scramble=True,
                seed=spec.seed,
            )
        )
    sampler = require("SALib.sample.morris", "sweep", "a morris design")
    return np.asarray(
        sampler.sample(
            salib_problem([p.label for p in params]),
            spec.samples,
            num_levels=spec.levels,
            seed=spec.seed,
        )
    )


def point_values(params: Sequence[Parameter], unit: np.ndarray) -> dict[str, Any]:
    """The values of one point (a row of the unit matrix), by parameter label."""
    return {p.label: p.value(float(u)) for p, u in zip(params, unit, strict=True)}
