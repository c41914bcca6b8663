"""Quota bookkeeping for one channel: releases by window, use, and unused quota at year end.

Each window releases an equal share of the year's quota; what a window leaves unused stays
available to the later windows of the year. At year end unused quota lapses, or is carried into
next year's first window (`unused_quota = "carry_over"`).
"""

from __future__ import annotations

import numpy as np

from simulation.config import ChannelWindows


class QuotaBook:
    """Released and used quota of one channel in one year, per quota group."""

    def __init__(self, annual: np.ndarray, schedule: ChannelWindows) -> None:
        self.annual = np.asarray(annual, dtype=float)
        self.schedule = schedule
        self.carry = np.zeros_like(self.annual)
        self.start_year(0)

    def start_year(self, years_since_base: int) -> None:
        growth = (1 + self.schedule.quota_growth) ** years_since_base
        self.year_quota = self.annual * growth
        self.released = self.carry.copy()
        self.used = np.zeros_like(self.annual)

    def release(self) -> np.ndarray:
        """Open a window: add its share of the year's quota and return what is available."""
        self.released = self.released + self.year_quota / len(self.schedule.windows)
        return self.remaining()

    def remaining(self) -> np.ndarray:
        return np.maximum(self.released - self.used, 0.0)

    def use(self, per_group: np.ndarray) -> None:
        self.used = self.used + per_group

    def close_year(self) -> None:
        unused = self.remaining()
        self.carry = unused if self.schedule.unused_quota == "carry_over" else np.zeros_like(unused)
