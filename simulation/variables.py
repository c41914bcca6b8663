"""The published variables of the long results table: name, unit and meaning.

Names are part of the public interface (see the results contract); add, never rename.
"""

from __future__ import annotations

VARIABLES: dict[str, tuple[str, str]] = {
    # stocks at year end
    "resident_population": ("persons", "registered plus non-registered residents"),
    "hukou_population": ("persons", "registered (hukou) population"),
    "non_hukou_population": ("persons", "non-registered residents, dependents included"),
    "urban_resident_population": ("persons", "residents living in urban areas"),
    "urban_hukou_population": ("persons", "registered population with urban registration"),
    "residence_permit_holders": ("persons", "non-registered heads holding a residence permit"),
    "applicants_waiting": ("persons", "main applicants to a quota channel not admitted this year"),
    "urban_construction_land_ha": ("ha", "urban construction land stock"),
    "land_ceiling_ha": ("ha", "planned urban construction-land ceiling"),
    "construction_land_per_capita_m2": ("m2/person", "urban construction land per urban resident"),
    "planning_band_status": ("code", "-1 below, 0 within, 1 above the GB 50137-2011 band"),
    "hukou_urbanization_rate": ("%", "urban registered population / denominator (see targets)"),
    "resident_urbanization_rate": ("%", "urban residents / residents"),
    "urbanization_gap_pp": ("pp", "resident minus hukou urbanization rate"),
    # flows during the year
    "arrivals": ("persons", "non-registered persons arriving"),
    "departures": ("persons", "non-registered persons leaving"),
    "hukou_natural_change": ("persons", "births minus deaths of the registered population"),
    "settled_talent": ("persons", "main applicants settled through talent introduction"),
    "settled_points": ("persons", "main applicants settled through points"),
    "settled_policy": ("persons", "main applicants settled through policy-based settlement"),
    "settled_special": ("persons", "main applicants settled through the special-groups channel"),
    "settled_dependents": ("persons", "dependents registering with the main applicants"),
    "settled_total": ("persons", "everyone who registered, dependents included"),
    "land_standard_m2_per_person": ("m2/person", "linkage standard applied (0 central)"),
    "land_entitlement_ha": ("ha", "settled_total x standard"),
    "linked_land_ha": ("ha", "land granted after the supply limits"),
    "linked_plan_quota_ha": ("ha", "granted from the annual new-land plan quota"),
    "linked_rural_exit_ha": ("ha", "granted from rural land converted (城乡建设用地增减挂钩)"),
    "linked_renewal_ha": ("ha", "granted from urban renewal of existing land"),
    "land_shortfall_ha": ("ha", "entitlement not granted"),
    "land_binding_limit": (
        "code",
        "0 none, 1 annual supply, 2 ceiling, 3 central district (districts only, no ALL row)",
    ),
    "linked_housing_ha": ("ha", "linked land for housing, affordable housing first"),
    "linked_services_ha": ("ha", "linked land for education, health, elderly care, jobs, infra"),
    "linked_industry_ha": ("ha", "linked land left for necessary industry"),
    "reward_fund_yuan": ("yuan", "citizenization reward money (人钱挂钩)"),
    "public_cost_yuan": ("yuan", "public cost of the year's settlers"),
    "school_places_demand": ("places", "school-age children among settled dependents"),
    "affordable_housing_units": ("units", "settled households needing affordable housing"),
    "insurance_enrolments": ("persons", "settlers enrolling in the city's insurance schemes"),
    # city-level evaluation (ALL rows only)
    "gap_narrowing_since_baseline_pp": ("pp", "baseline gap minus this year's gap"),
    "target_hukou_population_met": ("flag", "registered population at or above about the target"),
    "target_hukou_urbanization_met": ("flag", "hukou urbanization at or above about the target"),
    "target_gap_narrowing_met": ("flag", "gap narrowed by at least the target since baseline"),
}


SETTLED_BY_CHANNEL = {
    "talent": "settled_talent",
    "points": "settled_points",
    "policy": "settled_policy",
    "special": "settled_special",
}


def unit(name: str) -> str:
    return VARIABLES[name][0]
