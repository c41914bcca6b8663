"""The people-land linkage rule (人地挂钩, plan §7) and the limits of land supply (§7).

国土资发〔2016〕123号: new urban construction land for a district is tied to the people who
settled there, at a standard set by the district's existing urban construction land per urban
resident (<= 100 m2 -> 100 m2 per settled person; 100-150 -> 80; > 150 -> 50), adjustable by the
province within ±10 %, and nothing for the central districts of a super-large city. What is
granted is limited by the annual new-land plan quota and the planned construction-land ceiling,
supplemented by rural construction land freed and converted under 城乡建设用地增减挂钩 and rural
land consolidation (§7), and by urban renewal of existing land (§7 城市更新), which serves
settlers without adding new land. (§9's voluntary paid exit of settlers' own rural rights is
confined to their home collective for now and frees no urban land, so it is not a source.)

The rule concerns people settling in cities and towns (进城落户): only settlers registering at an
urban address count. A central district gets no new land for them; they are to be housed through
renewal of existing land (§7 城市更新), recorded apart from the linked land: what they need (the
housing and services land per person that linked land would serve), what renewal supplied and
what it could not. Where renewal falls short, renewal supply is the limit that bound.

Linked land is only part of a district's land story: the annual land-use plan also serves other
demand (industry, infrastructure, the growth of the resident population), which takes what the
linked land leaves of the plan quota and of rural exit, within the same ceiling. So land per
urban resident, and with it next year's tier, moves with all of the city's development.

Timing: the land for a year's settlers is granted at that year's end, within that year's plan
quota, and raises the stock that sets the next year's standard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.config import DistrictTable, LandParams, Tier
from simulation.names import LAND_SOURCES, NEW_LAND_SOURCES, LandSource, LandUse, Limit
from simulation.record import Record, with_cities, with_value

M2_PER_HA = 10_000.0


def per_capita_m2(urban_land_ha: np.ndarray, urban_residents: np.ndarray) -> np.ndarray:
    """Urban construction land per urban resident, m2.

    With no urban residents it is infinite where there is land and zero where there is none (a
    district with neither has no existing land to weigh against, so the first tier applies).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        empty = np.where(urban_land_ha > 0, np.inf, 0.0)
        return np.where(urban_residents > 0, urban_land_ha * M2_PER_HA / urban_residents, empty)


def standard_m2(
    existing_m2: np.ndarray, tiers: tuple[Tier, ...], adjustment: float, central: np.ndarray
) -> np.ndarray:
    """Linkage standard per settled person for each district (国土资发〔2016〕123号).

    A tier's upper bound is inclusive: exactly 100 m2 falls in the first tier and exactly
    150 m2 in the second, as the rule is worded (≤ 100; 100-150 inclusive; > 150).
    """
    uppers = np.asarray([t.upper_m2 for t in tiers])
    standards = np.asarray([t.standard_m2 for t in tiers])
    tier = np.minimum(np.searchsorted(uppers, existing_m2, side="left"), len(tiers) - 1)
    return np.where(central, 0.0, standards[tier] * (1 + adjustment))


def entitlement_ha(settled: np.ndarray, standard: np.ndarray) -> np.ndarray:
    """Land the rule grants for a year's settlers: persons x standard."""
    return settled * standard / M2_PER_HA


@dataclass(frozen=True)
class Grant:
    """Linked land each district received in one year, by source, and the limit that bound."""

    by_source: dict[LandSource, np.ndarray]
    limit: np.ndarray

    @property
    def linked_ha(self) -> np.ndarray:
        return sum((self.by_source[s] for s in LAND_SOURCES), np.zeros_like(self.limit, float))

    @property
    def new_land_ha(self) -> np.ndarray:
        """Granted land that adds to the urban construction land stock (renewal does not)."""
        return sum((self.by_source[s] for s in NEW_LAND_SOURCES), np.zeros_like(self.limit, float))


def supply_ha(params: LandParams, source: LandSource) -> np.ndarray:
    """Land a source can give each district in a year."""
    values = {
        "plan_quota": params.plan_quota_ha,
        "rural_exit": params.rural_exit_ha,
        "renewal": params.renewal_ha,
    }[source]
    return np.asarray(values, dtype=float)


@dataclass
class Supply:
    """What is left this year of each source, and of the room under the ceiling; and what was
    drawn from each source, whatever it was drawn for (the land account checks the stock
    against it)."""

    left: dict[LandSource, np.ndarray]
    room: np.ndarray
    drawn: dict[LandSource, np.ndarray]

    @classmethod
    def of(cls, params: LandParams, stock_ha: np.ndarray, ceiling_ha: np.ndarray) -> Supply:
        left = {source: supply_ha(params, source) for source in LAND_SOURCES}
        drawn = {source: np.zeros_like(stock_ha, dtype=float) for source in LAND_SOURCES}
        return cls(left, np.maximum(ceiling_ha - stock_ha, 0.0), drawn)

    def take(self, source: LandSource, need: np.ndarray) -> np.ndarray:
        """Take up to `need` from a source; new land also uses room under the ceiling."""
        new = source in NEW_LAND_SOURCES
        available = np.minimum(self.left[source], self.room) if new else self.left[source]
        taken = np.minimum(need, available)
        self.left[source] = self.left[source] - taken
        self.drawn[source] = self.drawn[source] + taken
        if new:
            self.room = self.room - taken
        return taken


def allocate(
    entitlement: np.ndarray,
    supply: Supply,
    order: tuple[LandSource, ...],
    central: np.ndarray,
) -> Grant:
    """Meet each district's entitlement from its sources in the scenario's order.

    New land (plan quota, rural exit) may not take the stock above the ceiling; renewal land is
    existing land and is not held by the ceiling.
    """
    new_supply = sum(supply.left[s] for s in NEW_LAND_SOURCES)
    need = entitlement.astype(float).copy()
    granted = {}
    for source in order:
        granted[source] = supply.take(source, need)
        need = need - granted[source]
    short = need > 1e-9
    # The ceiling bound where it left new supply unused; otherwise supply simply ran out.
    ceiling = short & (supply.room <= 1e-9) & (new_supply > 0)
    limit = np.where(short, np.where(ceiling, Limit.CEILING, Limit.SUPPLY), Limit.NONE)
    return Grant(by_source=granted, limit=np.where(central, Limit.CENTRAL, limit).astype(np.int64))


def allocate_other(demand: np.ndarray, supply: Supply) -> np.ndarray:
    """New land for other demand, from what linkage left of the plan quota, then rural exit."""
    granted = np.zeros_like(demand)
    for source in NEW_LAND_SOURCES:
        granted += supply.take(source, demand - granted)
    return granted


def uses(
    linked_ha: np.ndarray, settled: np.ndarray, params: LandParams
) -> dict[LandUse, np.ndarray]:
    """Split granted land by use in the order of priority of the national opinion.

    Housing (especially affordable housing for settlers) comes first, then education, health,
    elderly care, employment and infrastructure, and what is left goes to necessary industry
    (plan §7 优先保障住房……以及教育、医疗、养老、就业等民生建设用地). The needs per settled
    person are scenario parameters.
    """
    housing = np.minimum(linked_ha, settled * params.housing_m2_per_person / M2_PER_HA)
    rest = linked_ha - housing
    services = np.minimum(rest, settled * params.services_m2_per_person / M2_PER_HA)
    return {"housing": housing, "services": services, "industry": rest - services}


def ceilings(stock_ha: np.ndarray, headroom: tuple[float, ...]) -> np.ndarray:
    """Planned urban construction-land ceiling per district from the base-year stock."""
    return stock_ha * (1 + np.asarray(headroom, dtype=float))


def planning_band(per_capita: np.ndarray, band: tuple[float, ...]) -> np.ndarray:
    """-1 below, 0 within, +1 above the GB 50137-2011 per-capita planning band."""
    low, high = band
    return np.where(per_capita < low, -1, np.where(per_capita > high, 1, 0))


@dataclass(frozen=True)
class LandYear:
    """One year's land: the linkage rule applied to the year's settlers, the renewal housing
    the settlers of central districts, and the new land for other demand."""

    settled: np.ndarray  # settlers counted by the rule (urban addresses), per district
    standard: np.ndarray
    entitlement: np.ndarray
    grant: Grant
    central_need_ha: np.ndarray  # renewal land the settlers of central districts need
    central_renewal_ha: np.ndarray  # what renewal supplied them
    other_demand_ha: np.ndarray
    other_granted_ha: np.ndarray
    params: LandParams
    drawn: dict[LandSource, np.ndarray]  # land drawn from each source, for any use

    @property
    def central_shortfall_ha(self) -> np.ndarray:
        """Renewal land central settlers needed and renewal supply could not give."""
        return self.central_need_ha - self.central_renewal_ha

    @property
    def limit(self) -> np.ndarray:
        """The limit that bound: the grant's, except that a central district whose settlers'
        renewal need was not met was bound by renewal supply (plan §7)."""
        short = self.central_shortfall_ha > 1e-9
        return np.where(short, Limit.RENEWAL, self.grant.limit).astype(np.int64)

    def record(self) -> Record:
        linked = self.grant.linked_ha
        out = with_cities(
            {
                "settled_counted_for_land": self.settled,
                "land_entitlement_ha": self.entitlement,
                "linked_land_ha": linked,
                **{f"linked_{s}_ha": self.grant.by_source[s] for s in LAND_SOURCES},
                "land_shortfall_ha": self.entitlement - linked,
                **{
                    f"linked_{use}_ha": value
                    for use, value in uses(linked, self.settled, self.params).items()
                },
                "central_renewal_need_ha": self.central_need_ha,
                "central_renewal_ha": self.central_renewal_ha,
                "central_renewal_shortfall_ha": self.central_shortfall_ha,
                "other_land_demand_ha": self.other_demand_ha,
                "other_land_granted_ha": self.other_granted_ha,
                "new_construction_land_ha": self.grant.new_land_ha + self.other_granted_ha,
            }
        )
        entitlement, settled = out["land_entitlement_ha"], out["settled_counted_for_land"]
        # The city's standard is the entitlement per settled person, over all districts.
        city_standard = entitlement[-1] * M2_PER_HA / settled[-1] if settled[-1] > 0 else 0.0
        out["land_standard_m2_per_person"] = with_value(self.standard, city_standard)
        out["land_binding_limit"] = with_value(self.limit, np.nan)
        return out


class LandBook:
    """Urban construction land of every district: the stock, its ceiling and the yearly grant."""

    def __init__(self, table: DistrictTable, params: LandParams) -> None:
        self.stock_ha = np.array([d.urban_construction_land_ha for d in table.districts], float)
        self.base_ha = self.stock_ha.copy()
        self.ceiling_ha = ceilings(self.base_ha, params.ceiling_headroom)
        self.central = np.array([name in params.central_districts for name in table.names])
        self.params_band = params.planning_band_m2
        # Base-year shares of construction land outside the centre: the no-linkage counterfactual
        # spreads land for settlers by these.
        outside = np.where(self.central, 0.0, self.stock_ha)
        total = outside.sum()
        self.prior_shares = outside / total if total > 0 else np.zeros_like(outside)

    def grant(
        self,
        params: LandParams,
        settled: np.ndarray,
        existing_m2: np.ndarray,
        urban_growth: np.ndarray,
    ) -> LandYear:
        """One year's land, at the year's parameters.

        `settled` are the year's settlers the rule counts, `existing_m2` the land per urban
        resident at last year-end (it sets the standard, §7), `urban_growth` the change of urban
        residents over the year (other demand grows with it).
        """
        self.ceiling_ha = ceilings(self.base_ha, params.ceiling_headroom)
        standard = standard_m2(existing_m2, params.tiers, params.adjustment, self.central)
        entitlement = entitlement_ha(settled, standard)
        if params.linkage == "prior_shares":
            entitlement = entitlement.sum() * self.prior_shares
        supply = Supply.of(params, self.stock_ha, self.ceiling_ha)
        grant = allocate(entitlement, supply, params.source_order, self.central)
        # Central settlers get no new land (国土资发〔2016〕123号) but need what linked land would
        # serve them first, housing and services, from renewal of existing land (plan §7).
        need_m2 = params.housing_m2_per_person + params.services_m2_per_person
        central_need = np.where(self.central, settled * need_m2 / M2_PER_HA, 0.0)
        central_renewal = supply.take("renewal", central_need)
        growth_ha = np.maximum(urban_growth, 0.0) * params.resident_growth_m2_per_person / M2_PER_HA
        other_demand = np.asarray(params.other_demand_ha, dtype=float) + growth_ha
        other = allocate_other(other_demand, supply)
        self.stock_ha = self.stock_ha + grant.new_land_ha + other
        return LandYear(
            settled,
            standard,
            entitlement,
            grant,
            central_need,
            central_renewal,
            other_demand,
            other,
            params,
            supply.drawn,
        )

    def stock_record(self, urban_residents: np.ndarray) -> Record:
        """Land stock, ceiling, land per urban resident and its place in the planning band."""
        out = with_cities(
            {"urban_construction_land_ha": self.stock_ha, "land_ceiling_ha": self.ceiling_ha}
        )
        per_capita = per_capita_m2(out["urban_construction_land_ha"], urban_residents)
        out["construction_land_per_capita_m2"] = per_capita
        out["planning_band_status"] = planning_band(per_capita, self.params_band).astype(float)
        return out
