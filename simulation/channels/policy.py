"""Policy-based settlement: students and graduates, veterans, family reunion (plan §3, §5 三).

Demand-driven: every willing eligible head applies and is admitted if approved on the merits
(`approval_rate`); there is no quota.
"""

from __future__ import annotations

import numpy as np

from simulation.channels.base import Channel
from simulation.config import PolicyChannel
from simulation.population import Population


class Policy(Channel):
    name = "policy"

    def __init__(self, params: PolicyChannel) -> None:
        self.params = params
        self.schedule = params.schedule
        self.quota_per_group = None

    def eligible(self, pop: Population, rows: slice, open_: np.ndarray) -> np.ndarray:
        p = self.params
        mask = np.zeros(len(open_), dtype=bool)
        if p.graduates:
            mask |= pop.graduate[rows]
        if p.veterans:
            mask |= pop.veteran[rows]
        if p.family_reunion:
            mask |= pop.family_reunion[rows]
        return rows.start + np.flatnonzero(open_ & mask)

    def approve(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        """A case is decided on its merits, so a refused head is refused again if they reapply."""
        return pop.approval[applicants] < self.params.approval_rate
