"""Urbanization, fiscal and public-service indicators, and the plan's targets (§1, §16, §17).

Every function takes district arrays and returns district values with the city total (`ALL`)
appended as the last element, ratios computed from city numerators and denominators.
"""

from __future__ import annotations

import numpy as np

from simulation.config import FiscalParams, Targets
from simulation.record import Record, city_only, with_cities


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Per cent, NaN where the denominator is not positive (there it is never divided by)."""
    out = np.full(len(denominator), np.nan)
    return np.divide(100.0 * numerator, denominator, out=out, where=denominator > 0)


def urbanization(
    hukou: np.ndarray,
    urban_hukou: np.ndarray,
    hukou_residents: np.ndarray,
    urban_hukou_residents: np.ndarray,
    non_hukou: np.ndarray,
    urban_non_hukou: np.ndarray,
    denominator: str,
) -> dict[str, np.ndarray]:
    """Resident and hukou urbanization rates and their gap (plan §1, §16).

    The registered population and its urban part are counted where people are registered; the
    residents (registered and not) where they live, which differs for those registered at an
    employer's collective address elsewhere (人户分离). The hukou rate's denominator is the
    registered population (Guangzhou's published measure) or the resident population (the
    national 户籍人口城镇化率), by scenario.
    """
    out = with_cities(
        {
            "resident_population": hukou_residents + non_hukou,
            "hukou_population": hukou,
            "hukou_residents": hukou_residents,
            "non_hukou_population": non_hukou,
            "urban_resident_population": urban_hukou_residents + urban_non_hukou,
            "urban_hukou_population": urban_hukou,
        }
    )
    resident = out["resident_population"]
    base = out["hukou_population"] if denominator == "hukou" else resident
    resident_rate = _rate(out["urban_resident_population"], resident)
    hukou_rate = _rate(out["urban_hukou_population"], base)
    out["hukou_urbanization_rate"] = hukou_rate
    out["resident_urbanization_rate"] = resident_rate
    out["urbanization_gap_pp"] = resident_rate - hukou_rate
    return out


def fiscal(
    settled_total: np.ndarray, settled_heads: np.ndarray, dependents: np.ndarray, p: FiscalParams
) -> dict[str, np.ndarray]:
    """Reward money (人钱挂钩, §6), public cost, school places (§13), housing need (§10),
    insurance enrolment (§11, §12)."""
    cities = with_cities(
        {
            "total": settled_total,
            "school": dependents * p.child_share_of_dependents * p.school_age_share_of_children,
            "housing": settled_heads * p.affordable_housing_share,
        }
    )
    total = cities["total"]
    return {
        "reward_fund_yuan": total * p.reward_per_person_yuan,
        "public_cost_yuan": total * p.public_cost_per_person_yuan,
        "school_places_demand": cities["school"],
        "affordable_housing_units": cities["housing"],
        "insurance_enrolments": total * p.insurance_enrolment_share,
    }


class TargetTracker:
    """A plan's targets (§1) checked for the city every year; the report picks §17's years.

    'About' (左右) targets are met within their tolerance. The gap target compares this year's
    gap with the baseline year's published gap (2013 in the plan). The model's resident rate
    comes from the district table and can differ from the published series by a constant: the
    shift that makes the base-year rate the published one is applied before the gap is measured.

    Before the target year a target is *on track* when at or above the straight line from its
    base-year value (for the gap: no narrowing at the baseline year) to the goal in the target
    year, less the same tolerance; from the target year on, the path is the goal itself.
    """

    def __init__(self, t: Targets, base_year: int, base: Record, n: int) -> None:
        self.t = t
        self.n = n
        self.shift_pp = t.base_year_resident_urbanization_rate - float(
            base["resident_urbanization_rate"][-1]
        )
        self.start = {
            "hukou_population": (base_year, float(base["hukou_population"][-1])),
            "hukou_urbanization": (base_year, float(base["hukou_urbanization_rate"][-1])),
            "gap_narrowing": (t.baseline_year, 0.0),
        }
        self.goal = {
            "hukou_population": t.hukou_population,
            "hukou_urbanization": t.hukou_urbanization_rate,
            "gap_narrowing": t.gap_narrowing_pp,
        }

    def _path(self, target: str, year: int) -> float:
        start_year, value = self.start[target]
        goal = self.goal[target]
        if year >= self.t.year or self.t.year <= start_year:
            return goal
        return value + (goal - value) * (year - start_year) / (self.t.year - start_year)

    def _floor(self, target: str, level: float) -> float:
        """The lowest value accepted as reaching `level`: 'about' (左右) allows a shortfall."""
        if target == "hukou_population":
            return level * (1 - self.t.hukou_population_tolerance)
        if target == "hukou_urbanization":
            return level - self.t.hukou_urbanization_tolerance_pp
        return level

    def record(self, year: int, urban: Record) -> Record:
        t = self.t
        baseline_gap = t.baseline_resident_urbanization_rate - t.baseline_hukou_urbanization_rate
        value = {
            "hukou_population": float(urban["hukou_population"][-1]),
            "hukou_urbanization": float(urban["hukou_urbanization_rate"][-1]),
            "gap_narrowing": baseline_gap
            - (float(urban["urbanization_gap_pp"][-1]) + self.shift_pp),
        }
        out = {
            "gap_narrowing_since_baseline_pp": city_only(value["gap_narrowing"], self.n),
            "resident_urbanization_shift_pp": city_only(self.shift_pp, self.n),
        }
        for target, level in value.items():
            goal, path = self.goal[target], self._path(target, year)
            met = level >= self._floor(target, goal)
            on_track = level >= self._floor(target, path)
            out[f"target_{target}_met"] = city_only(float(met), self.n)
            out[f"target_{target}_goal"] = city_only(goal, self.n)
            out[f"target_{target}_path"] = city_only(path, self.n)
            out[f"target_{target}_on_track"] = city_only(float(on_track), self.n)
        return out
