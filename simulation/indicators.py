"""Urbanization, fiscal and public-service indicators, and the plan's targets (§1, §16, §17).

Every function takes district arrays and returns district values with the city total (`ALL`)
appended as the last element, ratios computed from city numerators and denominators.
"""

from __future__ import annotations

import numpy as np

from simulation.config import FiscalParams, Targets
from simulation.land import per_capita_m2, planning_band


def with_city(values: np.ndarray) -> np.ndarray:
    """District values followed by their city total."""
    values = np.asarray(values, dtype=float)
    return np.r_[values, values.sum()]


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, 100.0 * numerator / denominator, np.nan)


def _city_only(value: float, n: int) -> np.ndarray:
    out = np.full(n + 1, np.nan)
    out[-1] = value
    return out


def urbanization(
    hukou: np.ndarray,
    urban_hukou: np.ndarray,
    non_hukou: np.ndarray,
    urban_non_hukou: np.ndarray,
    denominator: str,
) -> dict[str, np.ndarray]:
    """Resident and hukou urbanization rates and their gap (plan §1, §16).

    The hukou rate's denominator is the registered population (Guangzhou's published measure)
    or the resident population (the national 户籍人口城镇化率), by scenario.
    """
    resident = with_city(hukou + non_hukou)
    urban_resident = with_city(urban_hukou + urban_non_hukou)
    hukou_all, urban_hukou_all = with_city(hukou), with_city(urban_hukou)
    base = hukou_all if denominator == "hukou" else resident
    resident_rate = _rate(urban_resident, resident)
    hukou_rate = _rate(urban_hukou_all, base)
    return {
        "resident_population": resident,
        "hukou_population": hukou_all,
        "non_hukou_population": with_city(non_hukou),
        "urban_resident_population": urban_resident,
        "urban_hukou_population": urban_hukou_all,
        "hukou_urbanization_rate": hukou_rate,
        "resident_urbanization_rate": resident_rate,
        "urbanization_gap_pp": resident_rate - hukou_rate,
    }


def land_stock(
    urban_land_ha: np.ndarray,
    ceiling_ha: np.ndarray,
    urban_residents: np.ndarray,
    band: tuple[float, ...],
) -> dict[str, np.ndarray]:
    """Land stock, ceiling, per-capita land and its position in the planning band."""
    land = with_city(urban_land_ha)
    per_capita = per_capita_m2(land, urban_residents)
    return {
        "urban_construction_land_ha": land,
        "land_ceiling_ha": with_city(ceiling_ha),
        "construction_land_per_capita_m2": per_capita,
        "planning_band_status": planning_band(per_capita, band).astype(float),
    }


def fiscal(
    settled_total: np.ndarray, settled_heads: np.ndarray, dependents: np.ndarray, p: FiscalParams
) -> dict[str, np.ndarray]:
    """Reward money (人钱挂钩, §6), public cost, school places (§13), housing need (§10),
    insurance enrolment (§11, §12)."""
    total = with_city(settled_total)
    return {
        "reward_fund_yuan": total * p.reward_per_person_yuan,
        "public_cost_yuan": total * p.public_cost_per_person_yuan,
        "school_places_demand": with_city(
            dependents * p.child_share_of_dependents * p.school_age_share_of_children
        ),
        "affordable_housing_units": with_city(settled_heads * p.affordable_housing_share),
        "insurance_enrolments": total * p.insurance_enrolment_share,
    }


def targets(
    urban: dict[str, np.ndarray], t: Targets, offset_pp: float, n: int
) -> dict[str, np.ndarray]:
    """A plan's targets (§1) checked for the city every year; the report picks §17's years.

    'About' (左右) targets are met within their tolerance. The gap target compares this year's
    gap with the baseline year's published gap (2013 in the plan). The model's resident rate
    comes from the district table and can differ from the published series by a constant;
    `offset_pp`, fixed in the base year, shifts it onto the published series first.
    """
    hukou = urban["hukou_population"][-1]
    rate = urban["hukou_urbanization_rate"][-1]
    baseline_gap = t.baseline_resident_urbanization_rate - t.baseline_hukou_urbanization_rate
    narrowing = baseline_gap - (urban["urbanization_gap_pp"][-1] + offset_pp)
    return {
        "gap_narrowing_since_baseline_pp": _city_only(narrowing, n),
        "target_hukou_population_met": _city_only(
            float(hukou >= t.hukou_population * (1 - t.hukou_population_tolerance)), n
        ),
        "target_hukou_urbanization_met": _city_only(
            float(rate >= t.hukou_urbanization_rate - t.hukou_urbanization_tolerance_pp), n
        ),
        "target_gap_narrowing_met": _city_only(float(narrowing >= t.gap_narrowing_pp), n),
    }
