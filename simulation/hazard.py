"""When events with a yearly chance happen: leaving the city, taking up a permit or insurance.

Each head draws one standard exponential "clock" when created; the event happens when the
hazard accumulated since then reaches it. With a chance that changes from year to year (a year
series) the accumulated hazard is piecewise linear in time, so the moment is found once, at
creation, and two scenarios with the same seed send the same heads away at the same moments
wherever their rates agree (common random numbers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulation.numeric import bucket

# A chance of 1 a year means "at once"; as a hazard it is capped at this (99.9999 % a day).
MAX_HAZARD = -np.log(1e-6) * 365.0


class Hazard:
    """Yearly chances of an event, for year 0 (the first after the base year), 1, ...; the
    last one holds after the years given."""

    def __init__(self, annual_chances: Sequence[float]) -> None:
        chances = np.clip(np.asarray(annual_chances, dtype=float), 0.0, 1.0)
        with np.errstate(divide="ignore"):
            self.rates = np.minimum(-np.log1p(-chances), MAX_HAZARD)
        self.constant = bool(np.all(self.rates == self.rates[0]))
        self.cumulative = np.r_[0.0, np.cumsum(self.rates)]  # at times 0, 1, ..., len

    def times(self, clock: np.ndarray, start: float | np.ndarray) -> np.ndarray:
        """Time at which each clock runs out, for heads starting at `start` (years since the
        base year-end); infinite where the hazard never accumulates enough."""
        if self.constant:
            rate = self.rates[0]
            if rate <= 0:
                return np.full(len(clock), np.inf, dtype=np.float32)
            with np.errstate(over="ignore"):
                return (start + clock / rate).astype(np.float32)
        years = len(self.rates)
        before = np.interp(start, np.arange(years + 1), self.cumulative)
        # After the last year the last rate goes on (interp alone would hold the hazard flat).
        before = before + np.maximum(np.asarray(start) - years, 0) * self.rates[-1]
        target = before + clock
        # The year in which the accumulated hazard reaches the target: the first whose end
        # has at least it (years without hazard are skipped, as no time passes for the clock).
        end = bucket(self.cumulative, target, side="left")
        year = np.clip(end - 1, 0, years - 1)
        rate = self.rates[year]
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = year + (target - self.cumulative[year]) / rate
            last = self.rates[-1]
            beyond = years + (target - self.cumulative[-1]) / last if last > 0 else np.inf
        out = np.where(end <= years, np.where(end == 0, start, inside), beyond)
        return np.maximum(out, start).astype(np.float32)
