"""Talent introduction, the main settlement channel (plan §3, §5 一).

Eligible: a degree (bachelor by default) within the education age limit, or a recognised skill
(senior worker by default) within the skill age limit (the plan relaxes the age limits:
适当放宽入户年龄要求). Quotas are per district of registration, larger for Huangpu, Huadu,
Nansha and Zengcheng (§5 一), and settlers register where they work (see
`simulation.registration`); applicants are admitted first come (lottery) or by education.
"""

from __future__ import annotations

import numpy as np

from simulation import registration
from simulation.channels.base import Channel, first_come
from simulation.config import TalentChannel
from simulation.population import Population


class Talent(Channel):
    name = "talent"
    quota_by_district = True

    def __init__(self, params: TalentChannel) -> None:
        self.params = params
        self.schedule = params.schedule
        self.quota_per_group = np.asarray(params.quota, dtype=float) * params.quota_scale
        self.at_employer = params.registration == "employer"

    def eligible(self, pop: Population, rows: slice, open_: np.ndarray) -> np.ndarray:
        p = self.params
        age = pop.age[rows]
        by_degree = (pop.education[rows] >= p.min_education) & (age <= p.max_age)
        by_skill = (pop.skill[rows] >= p.min_skill) & (age <= p.skill_max_age)
        insured = pop.insurance_years[rows] >= p.min_insurance_years
        return rows.start + np.flatnonzero(open_ & (by_degree | by_skill) & insured)

    def rank(
        self, pop: Population, applicants: np.ndarray, limit: np.ndarray | None = None
    ) -> np.ndarray:
        """Best first within each district of registration (quota groups come out grouped).

        First come, first served by the time of first application, ties by lottery; or by
        education first as a scenario option.
        """
        district = self.registers_in(pop, applicants)
        keys = [district]
        if self.params.ranking == "education":
            keys.append(3 - pop.education[applicants])
        return first_come(pop, self.name, applicants, *keys, limit=limit)

    def groups(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        """Quota groups are the districts of registration (§5 一: each district's quota)."""
        return self.registers_in(pop, applicants)

    def registers_in(self, pop: Population, heads: np.ndarray) -> np.ndarray:
        return registration.district(pop, heads, at_employer=self.at_employer)

    def urban_address(self, pop: Population, heads: np.ndarray) -> np.ndarray:
        return registration.urban_address(pop, heads, at_employer=self.at_employer)
