"""Talent introduction, the main settlement channel (plan §3, §5 一).

Eligible: a degree (bachelor by default) within the education age limit, or a recognised skill
(senior worker by default) within the skill age limit (the plan relaxes the age limits:
适当放宽入户年龄要求). Quotas are per district, larger for Huangpu, Huadu, Nansha and Zengcheng
(§5 一); applicants are admitted first come (lottery) or by education.
"""

from __future__ import annotations

import numpy as np

from simulation.channels.base import Channel
from simulation.config import TalentChannel
from simulation.population import Population


class Talent(Channel):
    name = "talent"

    def __init__(self, params: TalentChannel) -> None:
        self.params = params
        self.schedule = params.schedule
        self.quota_per_group = np.asarray(params.quota, dtype=float)

    def eligible(self, pop: Population, open_: np.ndarray) -> np.ndarray:
        p = self.params
        by_degree = (pop.education >= p.min_education) & (pop.age <= p.max_age)
        by_skill = (pop.skill >= p.min_skill) & (pop.age <= p.skill_max_age)
        insured = pop.insurance_years >= p.min_insurance_years
        return np.flatnonzero(open_ & (by_degree | by_skill) & insured)

    def rank(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        """Best first within each district (quota groups come out already grouped)."""
        district = pop.district[applicants]
        if self.params.ranking == "education":
            keys = (pop.lottery[applicants], -pop.education[applicants], district)
            return applicants[np.lexsort(keys)]
        # district + lottery in [0, 1) orders by district, then by lottery, in one sort
        return applicants[np.argsort(district + pop.lottery[applicants].astype(np.float64))]

    def groups(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        return pop.district[applicants].astype(np.int64)
