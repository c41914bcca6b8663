"""The published variables of the long results table: name, unit, meaning and a human label.

Names are part of the public interface (see the results contract); add, never rename. Figures
and reports take their labels and units from here, never from a variable's raw name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulation.names import (
    CHANNEL_LABELS,
    CHANNELS,
    LAND_SOURCE_LABELS,
    LAND_SOURCES,
    LAND_USES,
    QUOTA_CHANNELS,
    Limit,
)

Scope = Literal["both", "city", "districts"]


@dataclass(frozen=True)
class Variable:
    """One published variable."""

    name: str
    unit: str
    label: str  # for axes, legends and tables: what a reader calls it
    doc: str  # what it means, precisely
    scope: Scope = "both"  # rows for districts and the city (ALL), the city only, districts only
    kind: Literal["stock", "flow", "rate", "flag", "code"] = "stock"


def _v(name: str, unit: str, label: str, doc: str, **kw: str) -> Variable:
    return Variable(name, unit, label, doc, **kw)  # type: ignore[arg-type]


#: The plan's targets (§1) as published: (name, label, unit of the value compared).
TARGETS: tuple[tuple[str, str, str], ...] = (
    ("hukou_population", "registered population", "persons"),
    ("hukou_urbanization", "hukou urbanization", "%"),
    ("gap_narrowing", "gap narrowing", "pp"),
)

_LIMITS = ", ".join(f"{int(limit)} {limit.label}" for limit in Limit)

_CATALOGUE: tuple[Variable, ...] = (
    # stocks at year end
    _v("resident_population", "persons", "Resident population", "registered plus non-registered"),
    _v(
        "hukou_population",
        "persons",
        "Registered population",
        "registered (hukou) population, by district of registration",
    ),
    _v(
        "hukou_residents",
        "persons",
        "Registered residents",
        "registered persons living in the district, wherever in the city they are registered "
        "(resident population = registered residents + non-registered residents)",
    ),
    _v(
        "non_hukou_population",
        "persons",
        "Non-registered residents",
        "non-registered residents, dependents included",
    ),
    _v(
        "urban_resident_population",
        "persons",
        "Urban residents",
        "residents living in urban areas",
    ),
    _v(
        "urban_hukou_population",
        "persons",
        "Urban registered population",
        "registered population with urban registration",
    ),
    _v(
        "students_registered",
        "persons",
        "Students registered at universities",
        "students holding a hukou at their university's collective address",
    ),
    _v(
        "residence_permit_holders",
        "persons",
        "Residence-permit holders",
        "non-registered heads holding a residence permit",
    ),
    _v(
        "applicants_waiting",
        "persons",
        "Applicants waiting",
        "main applicants to a quota channel not admitted this year",
    ),
    _v("urban_construction_land_ha", "ha", "Urban construction land", "land stock at year end"),
    _v(
        "land_ceiling_ha",
        "ha",
        "Construction-land ceiling",
        "planned urban construction-land ceiling",
    ),
    _v(
        "construction_land_per_capita_m2",
        "m2/person",
        "Construction land per urban resident",
        "urban construction land per urban resident",
        kind="rate",
    ),
    _v(
        "planning_band_status",
        "code",
        "Position in the planning band",
        "-1 below, 0 within, 1 above the GB 50137-2011 band of land per person",
        kind="code",
    ),
    _v(
        "hukou_urbanization_rate",
        "%",
        "Hukou urbanization rate",
        "urban registered population / denominator (see targets)",
        kind="rate",
    ),
    _v(
        "resident_urbanization_rate",
        "%",
        "Resident urbanization rate",
        "urban residents / residents",
        kind="rate",
    ),
    _v(
        "urbanization_gap_pp",
        "pp",
        "Urbanization gap",
        "resident minus hukou urbanization rate",
        kind="rate",
    ),
    # flows during the year
    _v("arrivals", "persons", "Arrivals", "non-registered persons arriving", kind="flow"),
    _v("departures", "persons", "Departures", "non-registered persons leaving", kind="flow"),
    _v(
        "hukou_natural_change",
        "persons",
        "Natural change of the registered",
        "births minus deaths of the registered population",
        kind="flow",
    ),
    _v(
        "hukou_moved_out",
        "persons",
        "Hukou moved out of the city",
        "registered residents moving their hukou out of the city, and leaving it",
        kind="flow",
    ),
    _v(
        "hukou_moved_in",
        "persons",
        "Hukou moved into the city",
        "everyone moving their hukou into the city: settlers with their dependents and new "
        "students (the published 迁入), by district of registration",
        kind="flow",
    ),
    _v(
        "student_hukou_in",
        "persons",
        "Students' hukou moved in",
        "new university students moving their hukou to the city on enrolment",
        kind="flow",
    ),
    _v(
        "student_hukou_out",
        "persons",
        "Graduates' hukou moved out",
        "graduates leaving the city and moving their hukou out",
        kind="flow",
    ),
    *(
        _v(
            f"settled_{channel}",
            "persons",
            f"Settled: {CHANNEL_LABELS[channel]}",
            f"main applicants settled through {CHANNEL_LABELS[channel]} settlement",
            kind="flow",
        )
        for channel in CHANNELS
    ),
    _v(
        "settled_dependents",
        "persons",
        "Settled: dependents",
        "dependents registering with the main applicants",
        kind="flow",
    ),
    _v(
        "settled_total",
        "persons",
        "Settled persons",
        "everyone who registered, dependents included, by district of registration",
        kind="flow",
    ),
    _v(
        "settled_by_residence",
        "persons",
        "Settled persons by residence",
        "everyone who registered, dependents included, by the district where they live",
        kind="flow",
    ),
    *(
        variable
        for channel in QUOTA_CHANNELS
        for variable in (
            _v(
                f"quota_released_{channel}",
                "persons",
                f"Quota released: {CHANNEL_LABELS[channel]}",
                f"{CHANNEL_LABELS[channel]} quota released over the year's windows (with any "
                "carried over), per quota group: districts for talent, the city otherwise",
                kind="flow",
            ),
            _v(
                f"quota_used_{channel}",
                "persons",
                f"Quota used: {CHANNEL_LABELS[channel]}",
                f"{CHANNEL_LABELS[channel]} quota used by those admitted, per quota group",
                kind="flow",
            ),
            _v(
                f"quota_filled_{channel}",
                "flag",
                f"Quota filled: {CHANNEL_LABELS[channel]}",
                "1 when an approved applicant was turned away for lack of quota in a window of "
                "the year, per quota group",
                kind="flag",
            ),
        )
    ),
    _v(
        "settled_counted_for_land",
        "persons",
        "Settlers counted for land",
        "settlers registering at an urban address (进城落户), in the district the land rule "
        "counts them in",
        kind="flow",
    ),
    _v(
        "land_standard_m2_per_person",
        "m2/person",
        "Linkage standard",
        "linkage standard applied (0 central); the city row is entitlement per settled person",
        kind="rate",
    ),
    _v(
        "land_entitlement_ha",
        "ha",
        "Land entitlement",
        "settled_counted_for_land x standard",
        kind="flow",
    ),
    _v(
        "linked_land_ha",
        "ha",
        "Linked land granted",
        "land granted after the supply limits",
        kind="flow",
    ),
    *(
        _v(
            f"linked_{source}_ha",
            "ha",
            f"Linked land: {LAND_SOURCE_LABELS[source]}",
            f"linked land granted from {LAND_SOURCE_LABELS[source]}",
            kind="flow",
        )
        for source in LAND_SOURCES
    ),
    _v(
        "land_shortfall_ha",
        "ha",
        "Land shortfall",
        "entitlement not granted (a central district has none: see central_renewal_shortfall_ha)",
        kind="flow",
    ),
    _v(
        "land_binding_limit",
        "code",
        "Limit that bound",
        f"{_LIMITS} (districts only, no ALL row)",
        scope="districts",
        kind="code",
    ),
    *(
        _v(
            f"linked_{use}_ha",
            "ha",
            f"Linked land for {use}",
            {
                "housing": "linked land for housing, affordable housing first",
                "services": "linked land for education, health, elderly care, jobs, infra",
                "industry": "linked land left for necessary industry",
            }[use],
            kind="flow",
        )
        for use in LAND_USES
    ),
    _v(
        "central_renewal_need_ha",
        "ha",
        "Renewal need of central settlers",
        "renewal land the year's settlers of a central district need, which gets no new land for "
        "them (国土资发〔2016〕123号): settled_counted_for_land x the housing and services land "
        "per person linked land would serve (plan §7); 0 outside the centre",
        kind="flow",
    ),
    _v(
        "central_renewal_ha",
        "ha",
        "Renewal land housing central settlers",
        "existing land renewed for settlers of a central district, within the renewal supply "
        "that linked land left (plan §7 城市更新)",
        kind="flow",
    ),
    _v(
        "central_renewal_shortfall_ha",
        "ha",
        "Renewal need not met",
        "central_renewal_need_ha - central_renewal_ha: central settlers' land that renewal supply "
        "could not give (binding limit 'renewal'); apart from land_shortfall_ha, which is "
        "linked-land entitlement not granted",
        kind="flow",
    ),
    _v(
        "other_land_demand_ha",
        "ha",
        "Other new-land demand",
        "new construction land wanted for uses other than settlement, and for the growth of "
        "urban residents",
        kind="flow",
    ),
    _v(
        "other_land_granted_ha",
        "ha",
        "Other new land granted",
        "new construction land granted to other demand within the plan quota and the ceiling",
        kind="flow",
    ),
    _v(
        "new_construction_land_ha",
        "ha",
        "New construction land",
        "all new urban construction land of the year: linked new land and other new land",
        kind="flow",
    ),
    _v(
        "reward_fund_yuan",
        "yuan",
        "Citizenization reward",
        "citizenization reward money (人钱挂钩)",
        kind="flow",
    ),
    _v(
        "public_cost_yuan",
        "yuan",
        "Public cost of settlers",
        "public cost of the year's settlers",
        kind="flow",
    ),
    _v(
        "school_places_demand",
        "places",
        "School places needed",
        "school-age children among settled dependents",
        kind="flow",
    ),
    _v(
        "affordable_housing_units",
        "units",
        "Affordable housing units needed",
        "settled households needing affordable housing",
        kind="flow",
    ),
    _v(
        "insurance_enrolments",
        "persons",
        "Insurance enrolments",
        "settlers enrolling in the city's insurance schemes",
        kind="flow",
    ),
    # city-level evaluation (ALL rows only)
    _v(
        "gap_narrowing_since_baseline_pp",
        "pp",
        "Gap narrowed since baseline",
        "baseline gap minus this year's gap (on the published series)",
        scope="city",
        kind="rate",
    ),
    _v(
        "resident_urbanization_shift_pp",
        "pp",
        "Shift to the published resident rate",
        "added to the model's resident urbanization rate to match the published base-year rate "
        "before the gap target is measured",
        scope="city",
        kind="rate",
    ),
    *(
        variable
        for target, label, unit in TARGETS
        for variable in (
            _v(
                f"target_{target}_met",
                "flag",
                f"Target met: {label}",
                f"1 when the {label} is at or above about (within the tolerance) the target",
                scope="city",
                kind="flag",
            ),
            _v(
                f"target_{target}_goal",
                unit,
                f"Goal: {label}",
                "the plan's goal in the target year (the gap: the narrowing since the baseline "
                "required), the same in every year",
                scope="city",
                kind="rate",
            ),
            _v(
                f"target_{target}_path",
                unit,
                f"Path to the target: {label}",
                "straight line from the base-year value (the gap: no narrowing at the baseline) "
                "to the goal in the target year; the goal itself from then on",
                scope="city",
                kind="rate",
            ),
            _v(
                f"target_{target}_on_track",
                "flag",
                f"On track: {label}",
                "1 when at or above the path less the target's tolerance",
                scope="city",
                kind="flag",
            ),
        )
    ),
)

VARIABLES: dict[str, Variable] = {v.name: v for v in _CATALOGUE}


def unit(name: str) -> str:
    return VARIABLES[name].unit


def label(name: str) -> str:
    """A variable's human label with its unit, for an axis or a table header."""
    v = VARIABLES[name]
    return f"{v.label} ({v.unit})" if v.unit and v.unit not in ("flag", "code") else v.label
