"""Points-based settlement (plan §5 二; 穗府规〔2016〕6号, 穗来穗〔2016〕24号).

The gate: age <= 45, a residence permit, >= 4 years of social insurance paid in the city and
>= 60 points over seven indicators: education, skill, shortage occupation, social service, tax,
innovation, and the district where the applicant lives and works (地区导向, §5 二). Applicants
who pass are ranked by medical-insurance tenure, ties by residence-permit tenure (the 2016 rule),
or by points as a scenario option, within one citywide quota.
"""

from __future__ import annotations

import numpy as np

from simulation.channels.base import Channel
from simulation.config import PointsChannel, PointsTable
from simulation.population import SHORTAGE, Population


def points(pop: Population, heads: np.ndarray, table: PointsTable, bonus: np.ndarray) -> np.ndarray:
    """Points of each head on the seven indicators."""
    education = np.asarray(table.education)[pop.education[heads]]
    skill = np.asarray(table.skill)[pop.skill[heads]]
    qualification = (
        education + skill if table.education_skill_cumulative else np.maximum(education, skill)
    )
    return (
        qualification
        + table.shortage_occupation * (pop.occupation[heads] == SHORTAGE)
        + np.minimum(pop.social_service[heads], table.social_service_max)
        + table.tax * pop.tax[heads]
        + table.innovation * pop.innovation[heads]
        + bonus[pop.district[heads]]
    )


class Points(Channel):
    name = "points"

    def __init__(self, params: PointsChannel) -> None:
        self.params = params
        self.schedule = params.schedule
        self.quota_per_group = np.asarray([params.quota], dtype=float)
        self.bonus = np.asarray(params.table.district_bonus, dtype=float)

    def eligible(self, pop: Population, rows: slice, open_: np.ndarray) -> np.ndarray:
        p = self.params
        gate = open_ & (pop.age[rows] <= p.max_age)
        gate &= pop.insurance_years[rows] >= p.min_insurance_years
        if p.requires_permit:
            gate &= pop.permit_years[rows] > 0
        passed = rows.start + np.flatnonzero(gate)
        return passed[points(pop, passed, p.table, self.bonus) >= p.min_points]

    def rank(
        self, pop: Population, applicants: np.ndarray, limit: np.ndarray | None = None
    ) -> np.ndarray:
        tenure = (
            pop.lottery[applicants],
            -pop.permit_years[applicants],
            -pop.insurance_years[applicants],
        )
        if self.params.ranking == "points":
            score = points(pop, applicants, self.params.table, self.bonus)
            return applicants[np.lexsort((*tenure, -score))]
        return applicants[np.lexsort(tenure)]
