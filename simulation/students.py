"""University students' hukou (plan §3 进一步落实大中专……学生户口迁入).

New students move their hukou to their university's collective address on enrolment and are
registered residents of the university's district while they study. At graduation those who
stay in the city keep the hukou (they count as registered residents from then on like anyone
else); the others move it out as they leave. Cohorts are tracked by year of enrolment; the base
year holds `study_years` cohorts of the first year's size (a steady state), already inside the
district table's registered population.
"""

from __future__ import annotations

import numpy as np

from simulation.config import DistrictTable, StudentParams
from simulation.numeric import normalised, rounded_split


def district_weights(params: StudentParams, table: DistrictTable) -> np.ndarray:
    """Where university places are: the scenario's weights, else registered-population shares."""
    hukou = np.array([d.hukou_population for d in table.districts], dtype=float)
    return normalised(params.district_weights, hukou)


def split(total: float, weights: np.ndarray) -> np.ndarray:
    """Whole persons per district adding up to round(total): largest remainders."""
    return rounded_split(np.array([float(round(total))]), weights[None, :])[0]


class Students:
    """Cohorts of registered students by district, oldest first."""

    def __init__(self, params: StudentParams, table: DistrictTable) -> None:
        self.weights = district_weights(params, table)
        first = split(params.enrolment_per_year, self.weights)
        self.cohorts = [first.copy() for _ in range(params.study_years)]

    def year(self, params: StudentParams) -> tuple[np.ndarray, np.ndarray]:
        """One academic year: the oldest cohort graduates, a new one enrols. Returns the hukou
        moved in (enrolment) and out (graduates leaving), per district."""
        graduating = self.cohorts.pop(0)
        leaving = graduating - np.rint(graduating * params.stay_share)
        enrolled = split(params.enrolment_per_year, self.weights)
        self.cohorts.append(enrolled)
        return enrolled, leaving

    @property
    def registered(self) -> np.ndarray:
        """Students holding a hukou at their university, per district."""
        return np.sum(self.cohorts, axis=0)
