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

Timing: the land for a year's settlers is granted at that year's end, within that year's plan
quota, and raises the stock that sets the next year's standard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.config import LandParams, Tier

M2_PER_HA = 10_000.0

# Which limit stopped a district from receiving its full entitlement.
LIMIT_NONE, LIMIT_SUPPLY, LIMIT_CEILING, LIMIT_CENTRAL = 0, 1, 2, 3


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
    """What each district received in one year, by source, and the limit that bound."""

    plan_quota_ha: np.ndarray
    rural_exit_ha: np.ndarray
    renewal_ha: np.ndarray
    limit: np.ndarray

    @property
    def linked_ha(self) -> np.ndarray:
        return self.plan_quota_ha + self.rural_exit_ha + self.renewal_ha

    @property
    def new_land_ha(self) -> np.ndarray:
        """Granted land that adds to the urban construction land stock (renewal does not)."""
        return self.plan_quota_ha + self.rural_exit_ha


def allocate(
    entitlement: np.ndarray,
    stock_ha: np.ndarray,
    ceiling_ha: np.ndarray,
    params: LandParams,
    central: np.ndarray,
) -> Grant:
    """Meet each district's entitlement from its supply sources in the scenario's order.

    New land (plan quota, rural exit) may not take the stock above the ceiling; renewal land is
    existing land and is not held by the ceiling.
    """
    room = np.maximum(ceiling_ha - stock_ha, 0.0)
    need = entitlement.astype(float).copy()
    supply = {
        "plan_quota": np.asarray(params.plan_quota_ha, dtype=float),
        "rural_exit": np.asarray(params.rural_exit_ha, dtype=float),
        "renewal": np.asarray(params.renewal_ha, dtype=float),
    }
    granted = {}
    for source in params.source_order:
        available = supply[source] if source == "renewal" else np.minimum(supply[source], room)
        take = np.minimum(need, available)
        if source != "renewal":
            room = room - take
        need = need - take
        granted[source] = take
    return Grant(
        plan_quota_ha=granted["plan_quota"],
        rural_exit_ha=granted["rural_exit"],
        renewal_ha=granted["renewal"],
        limit=_binding_limit(need, supply, room, central),
    )


def _binding_limit(
    shortfall: np.ndarray, supply: dict[str, np.ndarray], room: np.ndarray, central: np.ndarray
) -> np.ndarray:
    new_supply = supply["plan_quota"] + supply["rural_exit"]
    short = shortfall > 1e-9
    # The ceiling bound where it left new supply unused; otherwise supply simply ran out.
    ceiling = short & (room <= 1e-9) & (new_supply > 0)
    limit = np.where(short, np.where(ceiling, LIMIT_CEILING, LIMIT_SUPPLY), LIMIT_NONE)
    return np.where(central, LIMIT_CENTRAL, limit).astype(np.int64)


def uses(linked_ha: np.ndarray, settled: np.ndarray, params: LandParams) -> dict[str, np.ndarray]:
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
