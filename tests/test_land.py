"""The people-land linkage rule and its supply limits (plan §7; 国土资发〔2016〕123号)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation import land
from simulation.config import DEFAULT_TIERS, LandParams
from simulation.names import Limit

NOT_CENTRAL = np.array([False])


def standard(existing: float, adjustment: float = 0.0, central: bool = False) -> float:
    out = land.standard_m2(np.array([existing]), DEFAULT_TIERS, adjustment, np.array([central]))
    return float(out[0])


@pytest.mark.parametrize(
    ("existing", "expected"),
    [(40.0, 100.0), (100.0, 100.0), (100.01, 80.0), (150.0, 80.0), (150.01, 50.0), (400.0, 50.0)],
)
def test_tiers_follow_the_national_standard_with_inclusive_upper_bounds(existing, expected):
    assert standard(existing) == expected


def test_no_urban_residents_means_the_last_tier_unless_there_is_no_land_either():
    per_capita = land.per_capita_m2(np.array([50.0, 0.0]), np.array([0.0, 0.0]))
    assert math.isinf(per_capita[0])
    assert standard(per_capita[0]) == 50.0
    assert per_capita[1] == 0.0
    assert standard(per_capita[1]) == 100.0


@pytest.mark.parametrize("adjustment", [-0.10, -0.05, 0.0, 0.10])
def test_provincial_adjustment_scales_the_standard(adjustment):
    assert standard(120.0, adjustment) == pytest.approx(80.0 * (1 + adjustment))


def test_central_districts_get_no_standard():
    assert standard(40.0, central=True) == 0.0


def test_entitlement_is_settled_persons_times_standard_in_hectares():
    ent = land.entitlement_ha(np.array([10_000.0, 2_500.0]), np.array([100.0, 80.0]))
    np.testing.assert_allclose(ent, [100.0, 20.0])


def params(**kw) -> LandParams:
    base = LandParams(
        plan_quota_ha=(10.0,), rural_exit_ha=(2.0,), renewal_ha=(1.0,), ceiling_headroom=(0.1,)
    )
    return dataclasses.replace(base, **kw)


def allocate(entitlement, stock=100.0, ceiling=200.0, p=None, central=False):
    p = p or params()
    supply = land.Supply.of(p, np.array([stock]), np.array([ceiling]))
    return land.allocate(np.array([entitlement]), supply, p.source_order, np.array([central]))


def sources(g: land.Grant) -> tuple[float, ...]:
    """Land granted from the plan quota, rural exit and renewal, in that order."""
    return tuple(float(g.by_source[s][0]) for s in ("plan_quota", "rural_exit", "renewal"))


def test_small_entitlement_is_met_from_the_plan_quota_first():
    g = allocate(5.0)
    assert sources(g) == (5.0, 0.0, 0.0)
    assert g.limit[0] == Limit.NONE


def test_sources_are_used_in_order_and_supply_binds():
    g = allocate(20.0)
    assert sources(g) == (10.0, 2.0, 1.0)
    assert g.linked_ha[0] == 13.0
    assert g.new_land_ha[0] == 12.0  # renewal reuses existing land
    assert g.limit[0] == Limit.SUPPLY


def test_ceiling_holds_new_land_but_not_renewal():
    g = allocate(20.0, stock=195.0, ceiling=200.0)
    assert g.new_land_ha[0] == pytest.approx(5.0)
    assert g.by_source["renewal"][0] == 1.0
    assert g.limit[0] == Limit.CEILING


def test_source_order_is_a_scenario_choice():
    g = allocate(2.0, p=params(source_order=("renewal", "rural_exit", "plan_quota")))
    assert sources(g) == (0.0, 1.0, 1.0)


def test_central_district_is_reported_as_such():
    assert allocate(0.0, central=True).limit[0] == Limit.CENTRAL


@given(
    entitlement=st.floats(0, 1e4),
    stock=st.floats(0, 1e4),
    headroom=st.floats(0, 1e4),
    plan=st.floats(0, 1e3),
    rural=st.floats(0, 1e3),
    renewal=st.floats(0, 1e3),
)
def test_grant_never_exceeds_entitlement_nor_takes_land_above_the_ceiling(
    entitlement, stock, headroom, plan, rural, renewal
):
    p = params(plan_quota_ha=(plan,), rural_exit_ha=(rural,), renewal_ha=(renewal,))
    g = allocate(entitlement, stock=stock, ceiling=stock + headroom, p=p)
    assert g.linked_ha[0] <= entitlement + 1e-9
    assert stock + g.new_land_ha[0] <= stock + headroom + 1e-6
    assert min(sources(g)) >= 0
    met = g.linked_ha[0] >= entitlement - 1e-9
    assert (g.limit[0] == Limit.NONE) == met


def test_ceiling_is_the_base_stock_plus_headroom():
    np.testing.assert_allclose(land.ceilings(np.array([100.0, 50.0]), (0.1, 0.0)), [110.0, 50.0])


def test_planning_band_position():
    band = land.planning_band(np.array([50.0, 65.0, 110.0, 120.0]), (65.0, 110.0))
    assert band.tolist() == [-1, 0, 0, 1]


def test_linked_land_serves_housing_then_services_then_industry():
    p = LandParams(housing_m2_per_person=30.0, services_m2_per_person=20.0)
    settled = np.array([1000.0, 1000.0, 1000.0])
    split = land.uses(np.array([2.0, 4.0, 8.0]), settled, p)  # needs: 3 ha housing, 2 ha services
    assert split["housing"].tolist() == [2.0, 3.0, 3.0]
    assert split["services"].tolist() == [0.0, 1.0, 2.0]
    assert split["industry"].tolist() == [0.0, 0.0, 3.0]


# --- the land book: linked land, renewal for central settlers, other demand ------------------


def book(**kw) -> tuple[land.LandBook, LandParams]:
    """Two districts, Core (central) and Edge, each with 1,000 ha of construction land."""
    from simulation.config import District, DistrictTable

    rows = tuple(
        District(name, 100_000, 50_000, 50_000, 1.0, 50.0, 1000.0) for name in ("Core", "Edge")
    )
    p = LandParams(
        plan_quota_ha=(5.0, 5.0),
        rural_exit_ha=(0.0, 1.0),
        renewal_ha=(2.0, 0.5),
        ceiling_headroom=(0.5, 0.5),
        housing_m2_per_person=30.0,
        services_m2_per_person=20.0,
        **{"other_demand_ha": (0.0, 0.0), "central_districts": ("Core",), **kw},
    )
    return land.LandBook(DistrictTable(rows, "test"), p), p


def test_a_hand_worked_year_of_land():
    """Edge: 1,000 settlers at 100 m2 (100 m2 per resident is the first tier) are entitled to
    10 ha: 5 from the plan quota, 1 from rural exit, 0.5 from renewal, 3.5 short. Core is
    central: no entitlement, but its 200 settlers need 200 x 50 m2 = 1 ha of renewal, which it
    has. Other demand of 3 ha a district finds Edge's quota and rural exit used up, and takes
    3 ha of Core's plan quota."""
    b, p = book(other_demand_ha=(3.0, 3.0))
    year = b.grant(p, np.array([200.0, 1000.0]), np.array([100.0, 100.0]), np.zeros(2))
    assert year.entitlement.tolist() == [0.0, 10.0]
    edge = tuple(float(year.grant.by_source[s][1]) for s in ("plan_quota", "rural_exit", "renewal"))
    assert edge == (5.0, 1.0, 0.5)
    assert year.grant.limit.tolist() == [Limit.CENTRAL, Limit.SUPPLY]
    assert year.central_renewal_ha.tolist() == [1.0, 0.0]
    assert year.other_granted_ha.tolist() == [3.0, 0.0]
    np.testing.assert_allclose(b.stock_ha, [1003.0, 1006.0])  # renewal adds no land
    drawn = {source: values.tolist() for source, values in year.drawn.items()}
    assert drawn == {"plan_quota": [3.0, 5.0], "rural_exit": [0.0, 1.0], "renewal": [1.0, 0.5]}
    record = year.record()
    assert record["new_construction_land_ha"].tolist() == [3.0, 6.0, 9.0]
    assert record["land_shortfall_ha"].tolist() == [0.0, 3.5, 3.5]
    assert record["central_renewal_need_ha"].tolist() == [1.0, 0.0, 1.0]
    assert record["central_renewal_shortfall_ha"].tolist() == [0.0, 0.0, 0.0]


def test_central_settlers_beyond_the_renewal_supply_are_bound_by_renewal():
    """Core's 500 settlers need 500 x 50 m2 = 2.5 ha of renewal land; it has 2 ha. The 0.5 ha
    not met is the renewal shortfall, apart from the (linked) land shortfall, and the limit
    that bound is renewal supply."""
    b, p = book()
    year = b.grant(p, np.array([500.0, 0.0]), np.array([100.0, 100.0]), np.zeros(2))
    record = year.record()
    assert record["central_renewal_need_ha"].tolist() == [2.5, 0.0, 2.5]
    assert record["central_renewal_ha"].tolist() == [2.0, 0.0, 2.0]
    assert record["central_renewal_shortfall_ha"].tolist() == [0.5, 0.0, 0.5]
    assert record["land_shortfall_ha"].tolist() == [0.0, 0.0, 0.0]
    assert record["land_binding_limit"][:2].tolist() == [Limit.RENEWAL, Limit.NONE]
    np.testing.assert_allclose(b.stock_ha, [1000.0, 1000.0])  # renewal adds no land


def test_other_demand_grows_with_urban_residents_and_moves_the_standard():
    b, p = book(resident_growth_m2_per_person=80.0)
    year = b.grant(p, np.zeros(2), np.array([100.0, 100.0]), np.array([0.0, 500.0]))
    assert year.other_demand_ha.tolist() == [0.0, 4.0]  # 500 new urban residents x 80 m2
    assert year.other_granted_ha.tolist() == [0.0, 4.0]
    residents = np.array([100_000.0, 100_500.0, 200_500.0])
    per_capita = b.stock_record(residents)["construction_land_per_capita_m2"]
    assert per_capita[1] == pytest.approx(1004.0 * 1e4 / 100_500)


def test_without_linkage_land_for_settlers_follows_prior_shares_not_settlement():
    b, p = book(linkage="prior_shares")
    year = b.grant(p, np.array([0.0, 1000.0]), np.array([100.0, 100.0]), np.zeros(2))
    # All 10 ha of entitlement go to the only non-central district, whoever settled where.
    assert year.entitlement.tolist() == [0.0, 10.0]
    b2, p2 = book(linkage="prior_shares", central_districts=())
    year2 = b2.grant(p2, np.array([0.0, 1000.0]), np.array([100.0, 100.0]), np.zeros(2))
    assert year2.entitlement.tolist() == [5.0, 5.0]  # equal stocks, equal shares
