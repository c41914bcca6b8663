"""Special groups: frontline workers of hard industries and outstanding migrant workers (plan §3).

Frontline: fire service, sanitation, public transport, private education, medical, elderly and
disability care (继续做好……特殊艰苦行业一线人员……落户工作) with years of insurance in the city;
outstanding migrant workers qualify by their award. One citywide quota, ranked by insurance tenure.
"""

from __future__ import annotations

import numpy as np

from simulation.channels.base import Channel
from simulation.config import SpecialChannel
from simulation.population import FRONTLINE, Population


class Special(Channel):
    name = "special"

    def __init__(self, params: SpecialChannel) -> None:
        self.params = params
        self.schedule = params.schedule
        self.quota_per_group = np.asarray([params.quota], dtype=float)

    def eligible(self, pop: Population, rows: slice, open_: np.ndarray) -> np.ndarray:
        p = self.params
        occupation = pop.occupation[rows]
        in_group = (occupation >= FRONTLINE[0]) & (occupation <= FRONTLINE[-1])
        frontline = in_group & (pop.insurance_years[rows] >= p.min_insurance_years)
        qualified = (frontline | pop.outstanding_worker[rows]) & (pop.age[rows] <= p.max_age)
        return rows.start + np.flatnonzero(open_ & qualified)

    def rank(
        self, pop: Population, applicants: np.ndarray, limit: np.ndarray | None = None
    ) -> np.ndarray:
        keys = (pop.lottery[applicants], -pop.insurance_years[applicants])
        return applicants[np.lexsort(keys)]
