"""The validated scenario: frozen dataclasses built once from the TOML files.

Every parameter is declared with :func:`param`, which records its unit, what it means and where
its default comes from. A default without a source is an assumption, and the report lists the
assumptions a run depended on. Per-district parameters are stored as tuples aligned with the
district table's order.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from simulation.names import LAND_SOURCES, LandSource
from simulation.series import SeriesParam, with_year

ASSUMED = "assumed"
REQUIRED: Any = object()  # a parameter without default: a scenario must give it


def param(
    default: Any,
    doc: str,
    *,
    unit: str = "",
    source: str = ASSUMED,
    lo: float | None = None,
    hi: float | None = None,
    per_district: bool = False,
    fill: float | None = None,
    allow_inf: bool = False,
    series: bool = False,
    parse: str = "",
    whole: bool = False,
) -> Any:
    """Declare a scenario parameter with its documentation and provenance.

    A per-district parameter is given in a scenario as one number for every district or as a
    table of district names (with an optional `default`); `fill` is the value used for every
    district when the scenario does not name the parameter at all. A `series` parameter (a
    flow, rate or quota) may also be given as a table of years (see `simulation.series`).
    """
    meta = {
        "doc": doc,
        "unit": unit,
        "source": source,
        "lo": lo,
        "hi": hi,
        "per_district": per_district,
        "fill": fill,
        "allow_inf": allow_inf,
        "series": series,
        "parse": parse,
        "whole": whole,
    }
    if default is REQUIRED:
        return field(metadata=meta)
    if isinstance(default, (list, tuple, dict)):
        value = default
        return field(default_factory=lambda: value, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class District:
    """One row of the district table at the base year (year-end)."""

    name: str
    resident_population: int
    hukou_population: int
    urban_hukou_population: int
    urban_resident_share: float
    land_area_km2: float
    urban_construction_land_ha: float
    name_zh: str = ""  # the district's name in Chinese, for reports (optional column)
    adcode: str = ""  # its administrative code, for matching map boundaries (optional)

    @property
    def non_hukou_population(self) -> int:
        return self.resident_population - self.hukou_population


@dataclass(frozen=True)
class DistrictTable:
    """The districts of a city in a fixed order, with the provenance of each value."""

    districts: tuple[District, ...]
    source: str
    provenance: tuple[tuple[str, str, str, str], ...] = ()
    provenance_source: str = ""
    boundaries: str = ""  # a GeoJSON file of district boundaries, for maps (optional)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.districts)

    def __len__(self) -> int:
        return len(self.districts)


@dataclass(frozen=True)
class Occupations:
    """Shares of non-registered household heads by occupation group (plan §3)."""

    shortage: float = param(
        0.05, "listed shortage occupation (points item)", unit="share", lo=0, hi=1
    )
    sanitation: float = param(0.012, "sanitation frontline (环卫)", unit="share", lo=0, hi=1)
    public_transport: float = param(0.010, "public transport frontline", unit="share", lo=0, hi=1)
    fire: float = param(0.002, "public security fire service (公安消防)", unit="share", lo=0, hi=1)
    medical: float = param(0.010, "medical and health frontline", unit="share", lo=0, hi=1)
    elderly_care: float = param(0.005, "elderly care frontline", unit="share", lo=0, hi=1)
    disability_care: float = param(0.002, "disability care frontline", unit="share", lo=0, hi=1)
    private_education: float = param(
        0.010, "private education (民办教育)", unit="share", lo=0, hi=1
    )

    def shares(self) -> tuple[float, ...]:
        """Shares in code order: 1 shortage, 2.. frontline groups; 0 is 'other'."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))


#: Attributes drawn from shares, which a district may give its own (population.by_district).
SHARE_FIELDS = ("age_band_shares", "education_shares", "skill_shares")


@dataclass(frozen=True)
class PopulationParams:
    """Distributions of attributes of non-registered household heads, at synthesis and arrival."""

    mean_dependents: float = param(
        0.4, "spouse and minor children living with a head, mean", unit="persons", lo=0, hi=10
    )
    age_band_edges: tuple[int, ...] = param(
        (16, 25, 35, 45, 60), "age band edges", unit="years", lo=0, hi=120
    )
    age_band_shares: tuple[float, ...] = param(
        (0.25, 0.40, 0.22, 0.13), "share of heads in each age band", unit="share"
    )
    education_shares: tuple[float, ...] = param(
        (0.30, 0.45, 0.13, 0.12),
        "education: primary or none, secondary / high school, college, bachelor or more",
        unit="share",
    )
    skill_shares: tuple[float, ...] = param(
        (0.75, 0.15, 0.07, 0.03),
        "skill: none, intermediate worker, senior worker, intermediate title or more",
        unit="share",
    )
    occupations: Occupations = field(default_factory=Occupations)
    insured_share: float = param(
        0.55, "heads paying all five social insurances in the city", unit="share", lo=0, hi=1
    )
    mean_years_in_city: float = param(
        5.0, "years lived in the city so far (exponential), mean", unit="years", lo=0
    )
    permit_share: float = param(
        0.6,
        "heads holding a residence permit in the base year (arrivals start without one)",
        unit="share",
        lo=0,
        hi=1,
    )
    graduate_share: float = param(
        0.03, "new graduates of the city's colleges among arriving heads", unit="share", lo=0, hi=1
    )
    veteran_share: float = param(
        0.002, "resettled veterans among arriving heads", unit="share", lo=0, hi=1
    )
    family_reunion_share: float = param(
        0.03,
        "arriving heads eligible for family reunion with a hukou holder",
        unit="share",
        lo=0,
        hi=1,
    )
    outstanding_worker_share: float = param(
        0.002, "outstanding migrant workers (优秀异地务工人员)", unit="share", lo=0, hi=1
    )
    social_service_share: float = param(
        0.10, "heads with blood donation or volunteer points", unit="share", lo=0, hi=1
    )
    tax_share: float = param(
        0.05, "heads with >= 100,000 yuan income tax over 3 years", unit="share", lo=0, hi=1
    )
    innovation_share: float = param(
        0.01, "heads with patents or innovation awards", unit="share", lo=0, hi=1
    )
    rural_origin_share: float = param(
        0.6, "heads holding an agricultural hukou elsewhere", unit="share", lo=0, hi=1
    )
    family_planning_compliant_share: float = param(
        0.92, "heads who complied with family-planning policy", unit="share", lo=0, hi=1
    )
    address_share: float = param(
        0.5,
        "heads with a legal registration address (own home or employer collective hukou)",
        unit="share",
        lo=0,
        hi=1,
    )
    willing_share: float = param(
        0.55, "heads willing to settle (plan §2 尊重居民意愿)", unit="share", lo=0, hi=1
    )
    works_in_home_district: float = param(
        0.7,
        "heads working in the district where they live; the others work in a district drawn "
        "by `work_weights`",
        unit="share",
        lo=0,
        hi=1,
    )
    work_weights: tuple[float, ...] = param(
        (),
        "relative weight of each district as a place of work for those working outside their "
        "home district; empty means the base-year resident shares",
        per_district=True,
        lo=0,
    )
    by_district: tuple[tuple[str, str, tuple[float, ...]], ...] = param(
        (),
        "district-specific shares replacing the citywide ones for heads living there, as "
        "[population.by_district.<District>] tables of age_band_shares, education_shares or "
        "skill_shares",
        parse="district_shares",
    )

    def share_sizes(self) -> dict[str, int]:
        """The attributes drawn from shares (citywide or by district), and how many shares
        each takes."""
        return {name: self.share_size(name) for name in SHARE_FIELDS}

    def share_size(self, name: str) -> int:
        return len(self.age_band_edges) - 1 if name == "age_band_shares" else 4

    def shares(self, name: str, districts: tuple[str, ...]) -> np.ndarray:
        """Shares of one attribute for each district (rows), citywide where not given."""
        table = np.tile(np.asarray(getattr(self, name), dtype=float), (len(districts), 1))
        for district, field_name, values in self.by_district:
            if field_name == name and district in districts:
                table[districts.index(district)] = values
        return table


@dataclass(frozen=True)
class FlowParams:
    """Arrivals, departures and natural change during the year."""

    steps_per_year: int = param(4, "arrival / departure events per year", lo=1, hi=365)
    arrivals_per_year: float = param(
        0.0,
        "non-registered persons arriving per year, dependents included (a city sets its own)",
        unit="persons/year",
        lo=0,
        hi=1e9,
        series=True,
    )
    arrivals_growth: float = param(0.0, "annual growth of arrivals", unit="share/year", lo=-1)
    arrival_weights: tuple[float, ...] = param(
        (),
        "relative weight of each district in arrivals; empty means base non-registered shares",
        per_district=True,
        lo=0,
        series=True,
    )
    departure_rate: float = param(
        0.08,
        "share of non-registered heads leaving per year",
        unit="share/year",
        lo=0,
        hi=1,
        series=True,
    )
    return_age: int = param(
        60, "heads reaching this age leave the city", unit="years", lo=17, hi=200
    )
    hukou_natural_growth: float = param(
        0.008,
        "natural growth (births less deaths) of the registered population",
        unit="share/year",
        lo=-0.1,
        hi=0.1,
        series=True,
    )
    hukou_out_rate: float = param(
        0.0,
        "registered residents moving their hukou out of the city (and leaving it) per year",
        unit="share/year",
        lo=0,
        hi=0.5,
        series=True,
    )
    permit_uptake: float = param(
        0.15,
        "non-holders obtaining a residence permit per year, once eligible",
        unit="share/year",
        lo=0,
        hi=1,
        series=True,
    )
    permit_min_residence_years: float = param(
        0.5,
        "residence in the city before a residence permit can be had",
        unit="years",
        source="居住证暂行条例 (国务院令第663号, 2016) §2: 居住半年以上",
        lo=0,
        hi=10,
    )
    insurance_uptake: float = param(
        0.05,
        "uninsured heads starting social insurance per year",
        unit="share/year",
        lo=0,
        hi=1,
        series=True,
    )


@dataclass(frozen=True)
class StudentParams:
    """University students moving their hukou to the city on enrolment (plan §3 大中专学生户口迁入).

    Students who move their hukou to their university's collective address join the registered
    population where the university is; at graduation, those who stay in the city keep it and
    the others move it out as they leave.
    """

    enrolment_per_year: float = param(
        0.0,
        "new students moving their hukou to the city's universities per year (a city sets its own)",
        unit="persons/year",
        lo=0,
        hi=1e8,
        series=True,
    )
    study_years: int = param(4, "years from enrolment to graduation", unit="years", lo=1, hi=10)
    stay_share: float = param(
        0.5,
        "graduates who stay in the city and keep their hukou",
        unit="share",
        lo=0,
        hi=1,
        series=True,
    )
    district_weights: tuple[float, ...] = param(
        (),
        "relative weight of each district in university places; empty means the base-year "
        "registered shares",
        per_district=True,
        lo=0,
    )


@dataclass(frozen=True)
class Reforms:
    """The switches of plan §4."""

    unified_hukou: bool = param(
        True,
        "one resident hukou, no agricultural / non-agricultural split",
        source="plan §4 一",
    )
    no_family_planning_precondition: bool = param(
        True, "family-planning compliance no longer a precondition", source="plan §4 二"
    )
    collective_hukou_fallback: bool = param(
        True, "district public collective hukou as the fallback address", source="plan §4 三"
    )
    agricultural_restricted_share: float = param(
        0.3,
        "without the unified hukou: share of agricultural-hukou heads whose move is blocked",
        unit="share",
        lo=0,
        hi=1,
    )


@dataclass(frozen=True)
class ChannelWindows:
    """When a channel takes applications during the year, and what happens to unused quota."""

    windows: tuple[float, ...] = param(
        (0.25,), "application window openings, as fractions of the year", unit="year"
    )
    processing_years: float = param(
        0.25, "time from application to registration", unit="years", lo=0, hi=1
    )
    unused_quota: Literal["lapse", "carry_over"] = param(
        "lapse", "unused quota at year end: 'lapse' or 'carry_over' to the next year"
    )
    quota_growth: float = param(0.0, "annual growth of the quota", unit="share/year", lo=-1)
    quota_counts_dependents: bool = param(
        False, "whether dependents count against the quota (else main applicants only)"
    )


@dataclass(frozen=True)
class TalentChannel:
    """Talent introduction, the main channel (plan §3, §5 一)."""

    enabled: bool = param(True, "channel open", source="plan §5 一")
    quota: tuple[float, ...] = param(
        (),
        "main applicants admitted per district of registration per year (larger for Huangpu, "
        "Huadu, Nansha, Zengcheng in the plan; sizes not published)",
        unit="persons/year",
        per_district=True,
        fill=0,
        lo=0,
        series=True,
        whole=True,
    )
    quota_scale: float = param(
        1.0,
        "multiplier on every district's talent quota (a lever for sweeps and calibration, and a "
        "year series for quotas that changed with the plan)",
        unit="share",
        lo=0,
        hi=100,
        series=True,
    )
    registration: Literal["employer", "residence"] = param(
        "employer",
        "where talent settlers register: at the employer's or the district's collective address "
        "in the district where they work (plan §4 三, §5 一), or where they live",
        source="plan §4 三, §5 一",
    )
    min_education: int = param(3, "education level qualifying (3 = bachelor)", lo=0, hi=3)
    max_age: int = param(40, "age limit on the education route", unit="years", lo=16)
    min_skill: int = param(2, "skill level qualifying (2 = senior worker)", lo=0, hi=3)
    skill_max_age: int = param(45, "age limit on the skill route", unit="years", lo=16)
    min_insurance_years: float = param(
        0.0, "years of social insurance in the city required", unit="years", lo=0
    )
    ranking: Literal["lottery", "education"] = param(
        "lottery", "order of admission within quota: first come (lottery) or by education"
    )
    schedule: ChannelWindows = field(
        default_factory=lambda: ChannelWindows(windows=(0.1, 0.35, 0.6, 0.85), processing_years=0.1)
    )


@dataclass(frozen=True)
class PointsTable:
    """Points per indicator of the points-based channel (2014-2015 table; later ones unknown)."""

    education: tuple[float, ...] = param(
        (0, 20, 40, 60), "points by education level", source="2015 application guide"
    )
    skill: tuple[float, ...] = param(
        (0, 20, 40, 60), "points by skill level", source="2015 application guide"
    )
    education_skill_cumulative: bool = param(
        False, "whether education and skill points add up (else the larger counts)"
    )
    shortage_occupation: float = param(
        20, "listed shortage occupation", source="2015 application guide", lo=0
    )
    social_service_max: float = param(
        10, "blood donation / volunteering, cap over 5 years", source="2015 application guide", lo=0
    )
    tax: float = param(
        20, "income tax >= 100,000 yuan over 3 years", source="2015 application guide"
    )
    innovation: float = param(20, "patents and innovation awards", lo=0)
    district_bonus: tuple[float, ...] = param(
        (),
        "district-orientation points for living and working in the district (plan §5 二; values "
        "not published)",
        per_district=True,
        fill=0,
        lo=0,
    )


@dataclass(frozen=True)
class PointsChannel:
    """Points-based settlement (plan §5 二; 穗府规〔2016〕6号)."""

    enabled: bool = param(True, "channel open", source="plan §5 二")
    quota: float = param(
        0,
        "citywide main applicants admitted per year (a city sets its own)",
        unit="persons/year",
        lo=0,
        series=True,
        whole=True,
    )
    max_age: int = param(45, "age limit", unit="years", source="穗府规〔2016〕6号", lo=16)
    min_insurance_years: float = param(
        4, "years of social insurance in the city", unit="years", source="穗府规〔2016〕6号", lo=0
    )
    requires_permit: bool = param(True, "residence permit required", source="穗府规〔2016〕6号")
    min_points: float = param(60, "points threshold", source="穗府规〔2016〕6号", lo=0)
    table: PointsTable = field(default_factory=PointsTable)
    ranking: Literal["medical_insurance", "points"] = param(
        "medical_insurance",
        "rank eligible applicants by medical-insurance tenure (2016 rule) or by points",
        source="穗来穗〔2016〕24号",
    )
    schedule: ChannelWindows = field(
        default_factory=lambda: ChannelWindows(windows=(0.3,), processing_years=0.4)
    )


@dataclass(frozen=True)
class PolicyChannel:
    """Policy-based settlement: graduates, veterans, family reunion; no quota (plan §3, §5 三)."""

    enabled: bool = param(True, "channel open", source="plan §5 三")
    graduates: bool = param(True, "students and graduates", source="plan §3")
    veterans: bool = param(True, "resettled veterans", source="plan §3")
    family_reunion: bool = param(True, "family reunion with a hukou holder", source="plan §5 三")
    approval_rate: float = param(
        0.95, "share of applications approved", unit="share", lo=0, hi=1, series=True
    )
    schedule: ChannelWindows = field(
        default_factory=lambda: ChannelWindows(
            windows=(0.125, 0.375, 0.625, 0.875), processing_years=0.1
        )
    )


@dataclass(frozen=True)
class SpecialChannel:
    """Frontline workers of hard industries and outstanding migrant workers (plan §3)."""

    enabled: bool = param(True, "channel open", source="plan §3")
    quota: float = param(
        0,
        "citywide main applicants admitted per year (a city sets its own)",
        unit="persons/year",
        lo=0,
        series=True,
        whole=True,
    )
    min_insurance_years: float = param(
        5, "years of social insurance in the city for frontline workers", unit="years", lo=0
    )
    max_age: int = param(50, "age limit", unit="years", lo=16)
    schedule: ChannelWindows = field(
        default_factory=lambda: ChannelWindows(windows=(0.5,), processing_years=0.25)
    )


@dataclass(frozen=True)
class Channels:
    talent: TalentChannel = field(default_factory=TalentChannel)
    points: PointsChannel = field(default_factory=PointsChannel)
    policy: PolicyChannel = field(default_factory=PolicyChannel)
    special: SpecialChannel = field(default_factory=SpecialChannel)


@dataclass(frozen=True)
class Tier:
    """One row of the linkage table: up to `upper_m2` existing land per resident -> standard."""

    upper_m2: float = param(
        math.inf, "upper bound (inclusive) of existing land per urban resident", allow_inf=True
    )
    standard_m2: float = param(0.0, "new land per settled person", lo=0)


DEFAULT_TIERS = (
    Tier(100.0, 100.0),
    Tier(150.0, 80.0),
    Tier(math.inf, 50.0),
)


@dataclass(frozen=True)
class LandParams:
    """The people-land linkage rule (plan §7; 国土资发〔2016〕123号) and its supply limits."""

    tiers: tuple[Tier, ...] = param(
        DEFAULT_TIERS,
        "linkage standard by existing urban construction land per urban resident",
        source="国土资发〔2016〕123号",
    )
    adjustment: float = param(
        0.0,
        "provincial adjustment of the standard (a year series where the province changes it)",
        unit="share",
        source="国土资发〔2016〕123号: within ±10 %",
        lo=-0.10,
        hi=0.10,
        series=True,
    )
    central_districts: tuple[str, ...] = param(
        (),
        "central districts of a super-large city: no new land for settlement (a city's own list)",
        source="国土资发〔2016〕123号",
    )
    plan_quota_ha: tuple[float, ...] = param(
        (),
        "annual new construction-land plan quota of the district, for all uses; land linked to "
        "settlers is earmarked in it first (plan §7), other demand takes the rest",
        unit="ha/year",
        per_district=True,
        fill=100,
        lo=0,
        series=True,
    )
    ceiling_headroom: tuple[float, ...] = param(
        (),
        "planned construction-land ceiling as a share above the base-year stock (a year series "
        "where a new plan moves it)",
        unit="share",
        per_district=True,
        fill=0.10,
        lo=0,
        series=True,
    )
    renewal_ha: tuple[float, ...] = param(
        (),
        "urban renewal land available to settlers per year (plan §7 城市更新); in a central "
        "district it is how settlers are housed",
        unit="ha/year",
        per_district=True,
        fill=10,
        lo=0,
        series=True,
    )
    rural_exit_ha: tuple[float, ...] = param(
        (),
        "rural construction land freed and converted per year (城乡建设用地增减挂钩, plan §7)",
        unit="ha/year",
        per_district=True,
        fill=5,
        lo=0,
        series=True,
    )
    other_demand_ha: tuple[float, ...] = param(
        (),
        "new construction land wanted per year for uses other than settlement (industry, "
        "infrastructure, public facilities): within the plan quota and the ceiling",
        unit="ha/year",
        per_district=True,
        fill=0,
        lo=0,
        series=True,
    )
    resident_growth_m2_per_person: float = param(
        0.0,
        "new construction land wanted per additional urban resident over the year (growth of "
        "the resident population; settling moves nobody and adds none)",
        unit="m2/person",
        lo=0,
        hi=1000,
    )
    linkage: Literal["settlement", "prior_shares"] = param(
        "settlement",
        "how the land for settlers is spread over districts: by where they settled (the rule), "
        "or by the districts' base-year shares of construction land (a no-linkage counterfactual)",
    )
    settlers_counted_at: Literal["registration", "residence"] = param(
        "registration",
        "which district a settler's land goes to: where they register (落户地) or where they live",
    )
    source_order: tuple[LandSource, ...] = param(
        LAND_SOURCES, "order in which supply sources meet entitlement"
    )
    planning_band_m2: tuple[float, ...] = param(
        (65.0, 110.0),
        "planning band of urban construction land per person, climate zone IV",
        unit="m2/person",
        source="GB 50137-2011 §4.2.1",
    )
    housing_m2_per_person: float = param(
        30.0,
        "linked land served first to housing, especially affordable housing, per settled "
        "person; with the services land, what a central district's settler needs from renewal",
        unit="m2/person",
        lo=0,
    )
    services_m2_per_person: float = param(
        25.0,
        "linked land served next to education, health, elderly care, employment and "
        "infrastructure, per settled person",
        unit="m2/person",
        lo=0,
    )


@dataclass(frozen=True)
class FiscalParams:
    """Citizenization money and public services (plan §6, §10-§14)."""

    reward_per_person_yuan: float = param(
        1000, "citizenization reward per settled person (人钱挂钩; rate not published)", lo=0
    )
    public_cost_per_person_yuan: float = param(
        100_000, "public cost of one settled person", unit="yuan", lo=0
    )
    child_share_of_dependents: float = param(
        0.55, "minor children among dependents", unit="share", lo=0, hi=1
    )
    school_age_share_of_children: float = param(
        0.6, "children of compulsory-school age", unit="share", lo=0, hi=1
    )
    affordable_housing_share: float = param(
        0.2, "settled households needing affordable housing (plan §10)", unit="share", lo=0, hi=1
    )
    insurance_enrolment_share: float = param(
        1.0,
        "settlers enrolling in the city's medical and pension insurance (plan §11, §12)",
        unit="share",
        lo=0,
        hi=1,
    )


@dataclass(frozen=True)
class Targets:
    """A plan's goals (§1) and its evaluations (§17); a scenario without them has none.

    Every goal is required when the section is present: a city's targets are its own.
    """

    year: int = param(REQUIRED, "target year")
    hukou_population: float = param(REQUIRED, "registered population", unit="persons", lo=0)
    hukou_urbanization_rate: float = param(REQUIRED, "hukou urbanization rate", unit="%")
    gap_narrowing_pp: float = param(
        REQUIRED, "narrowing of the resident-hukou urbanization gap since the baseline", unit="pp"
    )
    baseline_year: int = param(REQUIRED, "baseline year of the gap")
    baseline_resident_urbanization_rate: float = param(
        REQUIRED, "published resident urbanization rate at baseline", unit="%"
    )
    baseline_hukou_urbanization_rate: float = param(
        REQUIRED, "published hukou urbanization rate at baseline", unit="%"
    )
    base_year_resident_urbanization_rate: float = param(
        REQUIRED,
        "published resident urbanization rate in the base year: the model's own base-year rate "
        "(from the district table) is shifted to it so the gap is measured on one series",
        unit="%",
    )
    evaluation_years: tuple[int, ...] = param(REQUIRED, "evaluation years (mid-term, final)")
    hukou_population_tolerance: float = param(
        0.01, "'about' (左右): accepted shortfall", unit="share", lo=0, hi=1
    )
    hukou_urbanization_tolerance_pp: float = param(
        0.1, "'about' (左右): accepted shortfall", unit="pp", lo=0
    )
    hukou_rate_denominator: Literal["hukou", "resident"] = param(
        "hukou",
        "denominator of the hukou urbanization rate: the registered population (as Guangzhou "
        "publishes it) or the resident population (the national 户籍人口城镇化率); the targets and "
        "baselines must use the same definition",
    )


@dataclass(frozen=True)
class ScenarioSource:
    """What a scenario was built from, so that a variant can be built the same way."""

    path: str
    raw: dict[str, Any]  # the merged `extends` chain, before any override
    origins: dict[str, str]  # key path -> file that set it
    overrides: tuple[tuple[str, Any, str], ...]  # (key path, value, where it was given)


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario: everything a run needs.

    Never change one with `dataclasses.replace`, which skips validation: derive a variant with
    :meth:`with_values`.
    """

    name: str
    base_year: int
    horizon: int
    seed: int
    persons_per_agent: int
    districts: DistrictTable
    population: PopulationParams = field(default_factory=PopulationParams)
    flows: FlowParams = field(default_factory=FlowParams)
    students: StudentParams = field(default_factory=StudentParams)
    reforms: Reforms = field(default_factory=Reforms)
    channels: Channels = field(default_factory=Channels)
    land: LandParams = field(default_factory=LandParams)
    fiscal: FiscalParams = field(default_factory=FiscalParams)
    targets: Targets | None = None
    provenance: tuple[tuple[str, str], ...] = ()
    files: tuple[str, ...] = ()
    replicates: int = 1
    #: Parameters given as year series; their fields hold the value of the first simulated year.
    series: tuple[SeriesParam, ...] = ()
    overrides: tuple[tuple[str, Any], ...] = ()
    source: ScenarioSource | None = field(
        default=None, compare=False, repr=False, metadata={"internal": True}
    )

    @property
    def years(self) -> range:
        """Simulated years, after the base year up to and including the horizon."""
        return range(self.base_year + 1, self.horizon + 1)

    def at_year(self, year: int) -> Scenario:
        """The scenario with every year-series parameter at its value in `year` (made once per
        year: a run and the checks before it ask for every year)."""
        if not self.series:
            return self
        if year not in self._at_year:
            self._at_year[year] = with_year(self, self.series, year)
        return self._at_year[year]

    @functools.cached_property
    def _at_year(self) -> dict[int, Scenario]:
        """The scenario as each year asked for has it (kept on the instance, not a field)."""
        return {}

    def with_fields(self, **values: Any) -> Scenario:
        """`dataclasses.replace` for fields no year series sets (the seed, the source). The
        years' scenarios are made once, here, and carried over with the same change: runs of
        one scenario with many seeds do not each make every year again."""
        if any(p.path.split(".")[0] in values for p in self.series):
            raise ValueError(f"a year series sets one of {sorted(values)}: use with_values")
        out = dataclasses.replace(self, **values)
        if self.series:
            made = {year: self.at_year(year) for year in self.years}
            out._at_year.update({y: dataclasses.replace(s, **values) for y, s in made.items()})
        return out

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the years made (a worker makes its own, if it needs them)."""
        return {k: v for k, v in self.__dict__.items() if k != "_at_year"}

    def with_values(self, values: dict[str, Any], *, origin: str = "with_values") -> Scenario:
        """A variant with the values at the given key paths (as a scenario file would write
        them, e.g. ``{"land.adjustment": 0.05, "channels.talent.quota.Huangpu": 20000}``),
        checked exactly as loading checks a file: a bad value raises the same ScenarioError.
        """
        # The loader sits above this module; importing it here keeps config free of it.
        from simulation.scenario import derive

        return derive(self, values, origin)


SECTION_CLASSES: dict[str, Any] = {
    "population": PopulationParams,
    "flows": FlowParams,
    "students": StudentParams,
    "reforms": Reforms,
    "channels": Channels,
    "land": LandParams,
    "fiscal": FiscalParams,
    "targets": Targets,
}


def declared_parameters() -> list[dict[str, Any]]:
    """Every scenario parameter as declared: key path, unit, default (the per-district fill
    where a city gives its own table), whether the default is sourced, and what it means."""
    rows: list[dict[str, Any]] = []
    for section, cls in SECTION_CLASSES.items():
        _declared(cls, section, None, rows)
    return rows


def _declared(cls: Any, prefix: str, base: Any, rows: list[dict[str, Any]]) -> None:
    for f in dataclasses.fields(cls):
        path = f"{prefix}.{f.name}"
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        elif f.default is not dataclasses.MISSING:
            default = f.default
        else:
            default = REQUIRED
        if base is not None:
            default = getattr(base, f.name)
        if dataclasses.is_dataclass(default) and not isinstance(default, type):
            _declared(type(default), path, default, rows)
            continue
        meta = f.metadata
        if meta.get("per_district"):
            default = "none" if meta.get("fill") is None else f"{meta['fill']:g} in every district"
        rows.append(
            {
                "key": path,
                "unit": meta.get("unit", ""),
                "default": "(required)" if default is REQUIRED else default,
                "source": meta.get("source", ASSUMED),
                "series": bool(meta.get("series")),
                "doc": meta.get("doc", ""),
            }
        )
