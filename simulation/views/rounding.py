"""How precisely a report may state a figure: rounding to what a run can resolve, and wording.

One agent stands for `persons_per_agent` persons, so a count resting on n agents varies by
about √n agents from one run to the next: a count of N persons by about √(N x persons per
agent) persons. With replicates the variation is measured instead: the half-width of the 95 %
interval of the mean over replicates. A figure is shown down to the power of ten at or below
its variation, and never finer than its quantum (one agent for a count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulation.results import mean_interval

#: The finest step a figure of a unit is shown to: what the tables themselves resolve.
QUANTA = {"ha": 0.1, "yuan": 1.0, "places": 1.0, "units": 1.0, "%": 0.01, "pp": 0.01}
RATE_UNITS = ("%", "pp", "m2/person")


def step_for(variation: float, quantum: float) -> float:
    """The rounding step: the power of ten at or below `variation`, never below `quantum`."""
    if not math.isfinite(variation) or variation <= 0:
        return quantum
    return max(quantum, 10.0 ** math.floor(math.log10(variation)))


def round_to(value: float, step: float) -> float:
    """`value` to the nearest multiple of `step` (halves away from zero, as people round)."""
    if not math.isfinite(value):
        return value
    units = abs(value) / step
    rounded = math.floor(units + 0.5) * step
    return math.copysign(rounded, value) if rounded else 0.0


def number(value: float, step: float = 1.0) -> str:
    """`value` rounded to `step`, thousands separated, with the decimals the step needs."""
    if not math.isfinite(value):
        return "n/a"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    text = f"{round_to(value, step):,.{decimals}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text


@dataclass(frozen=True)
class Estimate:
    """A figure over the runs of a scenario: its mean, the 95 % half-width of that mean (NaN
    with one run) and the step it is shown to."""

    samples: tuple[float, ...]
    step: float

    @property
    def mean(self) -> float:
        return float(np.mean(self.samples)) if self.samples else math.nan

    @property
    def half_width(self) -> float:
        if len(self.samples) < 2:
            return math.nan
        return float(mean_interval(np.asarray(self.samples))[1])

    @property
    def text(self) -> str:
        return number(self.mean, self.step)

    @property
    def with_interval(self) -> str:
        """The mean and, with replicates, its interval: '1,040 ± 100'."""
        if math.isnan(self.half_width) or self.half_width == 0:  # one run, or no spread
            return self.text
        return f"{self.text} ± {number(self.half_width, self.step)}"

    def relative_half_width(self) -> float:
        """Half-width over |mean|: how well the replicates pin the mean down."""
        if math.isnan(self.half_width):
            return math.nan
        if self.mean == 0:
            return 0.0 if self.half_width == 0 else math.inf
        return self.half_width / abs(self.mean)


@dataclass(frozen=True)
class Precision:
    """The rounding rule of one set of runs (`runs` replicates at `persons_per_agent`)."""

    persons_per_agent: int
    runs: int

    def _variation(self, samples: np.ndarray, single: float) -> float:
        if len(samples) >= 2:
            return float(mean_interval(samples)[1])
        return single

    def persons(self, samples: object, *, base: float = 0.0) -> Estimate:
        """A count of persons; for a stock, `base` is its base-year value, from data: only the
        change since then varies between runs."""
        values = np.atleast_1d(np.asarray(samples, dtype=float))
        change = abs(float(np.mean(values)) - base) if len(values) else 0.0
        single = math.sqrt(change * self.persons_per_agent)
        step = step_for(self._variation(values, single), float(self.persons_per_agent))
        return Estimate(tuple(values.tolist()), step)

    def scaled(
        self, samples: object, unit: str, *, persons: float, quantum: float | None = None
    ) -> Estimate:
        """A figure proportional to a count of `persons` (land, money, places): with one run,
        the same relative variation as that count. `quantum` replaces the unit's own."""
        values = np.atleast_1d(np.asarray(samples, dtype=float))
        mean = abs(float(np.mean(values))) if len(values) else 0.0
        relative = math.sqrt(self.persons_per_agent / persons) if persons > 0 else 0.0
        finest = quantum if quantum is not None else QUANTA.get(unit, 1.0)
        step = step_for(self._variation(values, mean * relative), finest)
        return Estimate(tuple(values.tolist()), step)

    def rate(self, samples: object, unit: str = "%") -> Estimate:
        """A rate or a difference of rates: two decimals, or the replicates' variation."""
        values = np.atleast_1d(np.asarray(samples, dtype=float))
        quantum = QUANTA.get(unit, 0.1)
        step = step_for(self._variation(values, 0.0), quantum)
        return Estimate(tuple(values.tolist()), step)

    def rule(self, example: float | None = None) -> str:
        """The rule in one paragraph, with a worked example."""
        ppa = self.persons_per_agent
        agent = "one person" if ppa == 1 else f"{ppa} persons"
        text = (
            f"**How figures are rounded.** One agent of the model stands for {agent}, so a count "
            "resting on n agents varies by about √n agents from one run to the next: a count of "
            f"N persons by about √(N × {ppa}) persons (for a stock such as the registered "
            "population, N is its change since the base year). "
        )
        if self.runs > 1:
            text += (
                f"With {self.runs} replicates the variation is measured instead, as the "
                "half-width of the 95 % interval of the mean over replicates (shown as ±). "
            )
        text += (
            "Each figure is shown down to the power of ten at or below its variation, and "
            f"never finer than {agent}; land, money, places and units derived from a count keep "
            "that count's relative precision; rates and points are shown to two decimals"
            + (" or to their variation, whichever is coarser" if self.runs > 1 else "")
            + "."
        )
        if example is not None and example > 0 and self.runs == 1:
            noise = math.sqrt(example * ppa)
            step = step_for(noise, float(ppa))
            text += (
                f" For example, {example:,.0f} settled persons vary by about "
                f"√({example:,.0f} × {ppa}) ≈ {noise:,.0f}, so they are shown as "
                f"{number(example, step)}."
            )
        return text


def change(value: float, step: float, *, up: str, down: str, unit: str = "") -> str:
    """A signed change in words: 'narrowed by 0.62 points', 'widened by 0.81 points'."""
    unit = f" {unit}" if unit else ""
    if round_to(value, step) == 0:
        return "no change"
    word = up if value > 0 else down
    return f"{word} by {number(abs(value), step)}{unit}"


def relative(value: float, step: float, *, more: str = "more", less: str = "fewer") -> str:
    """A signed difference in words: '120 more', '0.81 fewer'; 'no change' at zero."""
    if round_to(value, step) == 0:
        return "no difference at this precision"
    return f"{number(abs(value), step)} {more if value > 0 else less}"
