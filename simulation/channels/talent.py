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

    def eligible(self, pop: Population, candidates: np.ndarray) -> np.ndarray:
        p = self.params
        age = pop.age[candidates]
        by_degree = (pop.education[candidates] >= p.min_education) & (age <= p.max_age)
        by_skill = (pop.skill[candidates] >= p.min_skill) & (age <= p.skill_max_age)
        insured = pop.insurance_years[candidates] >= p.min_insurance_years
        return (by_degree | by_skill) & insured

    def rank(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        if self.params.ranking == "education":
            keys = (pop.lottery[applicants], -pop.education[applicants])
            return applicants[np.lexsort(keys)]
        return super().rank(pop, applicants)

    def groups(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        return pop.district[applicants].astype(np.int64)
