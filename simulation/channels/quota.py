"""Quota bookkeeping for one channel: releases by window, use, and unused quota at year end.

Each window releases an equal share of the year's quota; what a window leaves unused stays
available to the later windows of the year. At year end unused quota lapses, or is carried into
next year's first window (`unused_quota = "carry_over"`).
"""

from __future__ import annotations

import numpy as np

from simulation.config import ChannelWindows
from simulation.population import Population
from simulation.record import city_only, with_cities, with_value

Record = dict[str, np.ndarray]


def cost(pop: Population, heads: np.ndarray, ppa: int, schedule: ChannelWindows) -> np.ndarray:
    """What each admitted head uses of the quota: the persons it stands for, with dependents
    when the quota counts them (`quota_counts_dependents`)."""
    out = np.full(len(heads), float(ppa))
    if schedule.quota_counts_dependents:
        out *= 1 + pop.dependents[heads]
    return out


class QuotaBook:
    """Released and used quota of one channel in one year, per quota group.

    Groups are the districts (`per_district`) or one citywide group.
    """

    def __init__(
        self,
        channel: str,
        annual: np.ndarray,
        schedule: ChannelWindows,
        n_districts: int,
        per_district: bool,
    ) -> None:
        self.channel = channel
        self.annual = np.asarray(annual, dtype=float)
        self.schedule = schedule
        self.n_districts = n_districts
        self.per_district = per_district
        self.carry = np.zeros_like(self.annual)
        self.start_year(0, self.annual)

    def start_year(self, years_since_base: int, annual: np.ndarray) -> None:
        """A new year's quota: `annual` (this year's value of the scenario's quota) grown by
        `quota_growth` a year since the first simulated year."""
        self.annual = np.asarray(annual, dtype=float)
        growth = (1 + self.schedule.quota_growth) ** years_since_base
        self.year_quota = self.annual * growth
        self.released = self.carry.copy()
        self.used = np.zeros_like(self.annual)
        self.filled = np.zeros(len(self.annual), dtype=bool)

    def release(self) -> np.ndarray:
        """Open a window: add its share of the year's quota and return what is available."""
        self.released = self.released + self.year_quota / len(self.schedule.windows)
        return self.remaining()

    def remaining(self) -> np.ndarray:
        return np.maximum(self.released - self.used, 0.0)

    def use(self, per_group: np.ndarray, turned_away: np.ndarray) -> None:
        """Book what admitted applicants used; `turned_away` counts approved applicants per
        group refused for lack of quota."""
        self.used = self.used + per_group
        self.filled |= turned_away > 0

    def record(self) -> Record:
        """The year's released, used and filled quota, per district and city where the groups
        are districts, for the city alone otherwise."""
        released, used = f"quota_released_{self.channel}", f"quota_used_{self.channel}"
        filled = f"quota_filled_{self.channel}"
        if self.per_district:
            out = with_cities({released: self.released, used: self.used})
            out[filled] = with_value(self.filled.astype(float), np.nan)
            return out
        return {
            released: self._city(self.released),
            used: self._city(self.used),
            filled: self._city(self.filled.astype(float)),
        }

    def _city(self, values: np.ndarray) -> np.ndarray:
        return city_only(values.sum(), self.n_districts)

    def close_year(self) -> None:
        unused = self.remaining()
        self.carry = unused if self.schedule.unused_quota == "carry_over" else np.zeros_like(unused)
