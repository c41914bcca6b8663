"""A city worked out by hand (tests/data/hand): the model must give the same numbers.

Two districts, A (central) and B. Nobody arrives or leaves and nobody has dependents; everyone
is a willing graduate aged 25-34, so the talent quotas (A 100, B 300 a year) fill exactly.
Registered persons grow by 1 % a year and 0.2 % move their hukou out, both of the stock before
either (last year-end's plus the year's settlers), rounded per district. 40 students a year move
their hukou to A's university and half of each graduating cohort (4-year courses) leaves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulation

HAND = Path(__file__).parent / "data" / "hand" / "hand.toml"


@pytest.fixture(scope="module")
def table():
    return simulation.run(HAND).table


def series(table, variable, district):
    return table.select(variable, district)[1].tolist()


def test_registered_population_by_hand(table):
    # A: 10,000 + 100 settled = 10,100; + rint(101.0) natural - rint(20.2) out + 40 - 20 students
    #    = 10,201; then 10,301 + 103 - 21 + 20 = 10,403; then 10,503 + 105 - 21 + 20 = 10,607.
    assert series(table, "hukou_population", "A") == [10_000, 10_201, 10_403, 10_607]
    # B: 5,300 + 53 - 11 = 5,342; 5,642 + 56 - 11 = 5,687; 5,987 + 60 - 12 = 6,035.
    assert series(table, "hukou_population", "B") == [5_000, 5_342, 5_687, 6_035]
    assert series(table, "hukou_natural_change", "A") == [101, 103, 105]
    assert series(table, "hukou_moved_out", "B") == [11, 11, 12]
    assert series(table, "student_hukou_in", "A") == [40, 40, 40]
    assert series(table, "student_hukou_out", "A") == [20, 20, 20]
    assert series(table, "students_registered", "A") == [160, 160, 160, 160]


def test_settlement_and_the_non_registered_by_hand(table):
    assert series(table, "settled_talent", "A") == [100, 100, 100]
    assert series(table, "settled_talent", "B") == [300, 300, 300]
    assert series(table, "settled_total", "ALL") == [400, 400, 400]
    assert series(table, "settled_dependents", "ALL") == [0, 0, 0]
    assert series(table, "non_hukou_population", "A") == [2_000, 1_900, 1_800, 1_700]
    assert series(table, "non_hukou_population", "B") == [4_000, 3_700, 3_400, 3_100]
    # Residents: registered where they live (all live where registered here) plus the rest.
    assert series(table, "resident_population", "B") == [9_000, 9_042, 9_087, 9_135]


def test_land_by_hand(table):
    # B starts at 81 ha for 9,000 urban residents: 90 m2 each, the first tier (100 m2 per
    # settler). 300 settlers are entitled to 3 ha; the plan quota gives 2, rural exit 0.5 and
    # renewal 0.2, so 0.3 ha is short and supply binds. The stock grows by the 2.5 ha of new
    # land: 83.5 ha for 9,042 residents is 92.3 m2, still the first tier, and so on.
    assert series(table, "land_standard_m2_per_person", "B") == [100, 100, 100]
    assert series(table, "land_entitlement_ha", "B") == pytest.approx([3.0, 3.0, 3.0])
    assert series(table, "linked_plan_quota_ha", "B") == pytest.approx([2.0, 2.0, 2.0])
    assert series(table, "linked_rural_exit_ha", "B") == pytest.approx([0.5, 0.5, 0.5])
    assert series(table, "linked_renewal_ha", "B") == pytest.approx([0.2, 0.2, 0.2])
    assert series(table, "land_shortfall_ha", "B") == pytest.approx([0.3, 0.3, 0.3])
    assert series(table, "land_binding_limit", "B") == [1, 1, 1]
    # The 2.7 ha granted serve housing first (300 x 30 m2 = 0.9 ha), then services (300 x
    # 25 m2 = 0.75 ha); the 1.05 ha left go to necessary industry.
    assert series(table, "linked_housing_ha", "B") == pytest.approx([0.9, 0.9, 0.9])
    assert series(table, "linked_services_ha", "B") == pytest.approx([0.75, 0.75, 0.75])
    assert series(table, "linked_industry_ha", "B") == pytest.approx([1.05, 1.05, 1.05])
    assert series(table, "urban_construction_land_ha", "B") == pytest.approx(
        [81.0, 83.5, 86.0, 88.5]
    )
    per_capita = series(table, "construction_land_per_capita_m2", "B")
    assert per_capita == pytest.approx([90.0, 835_000 / 9_042, 860_000 / 9_087, 885_000 / 9_135])
    # A is central: no standard and no new land; its 100 settlers need 100 x 55 m2 = 0.55 ha,
    # of which renewal has 0.3 ha a year: 0.25 ha is not met, and renewal supply bound.
    assert series(table, "land_standard_m2_per_person", "A") == [0, 0, 0]
    assert series(table, "linked_land_ha", "A") == [0, 0, 0]
    assert series(table, "central_renewal_need_ha", "A") == pytest.approx([0.55, 0.55, 0.55])
    assert series(table, "central_renewal_ha", "A") == pytest.approx([0.3, 0.3, 0.3])
    assert series(table, "central_renewal_shortfall_ha", "A") == pytest.approx([0.25] * 3)
    assert series(table, "land_binding_limit", "A") == [4, 4, 4]
    assert series(table, "land_shortfall_ha", "A") == [0, 0, 0]  # no entitlement to fall short of
    assert series(table, "urban_construction_land_ha", "A") == [100, 100, 100, 100]


def test_a_provincial_adjustment_given_as_a_series_applies_from_its_year():
    """The province raises the standard by 10 % in 2020, none before (国土资发〔2016〕123号
    allows ±10 %): B's first-tier 100 m2 becomes 110 m2 in 2020 only, and its 300 settlers'
    entitlement 3.3 ha; the supply of 2.7 ha still binds, so the grant is unchanged."""
    scenario = simulation.load_scenario(HAND, {"land.adjustment": {"2019": 0.0, "2020": 0.1}})
    table = simulation.run(scenario).table
    assert series(table, "land_standard_m2_per_person", "B") == pytest.approx([100, 100, 110])
    assert series(table, "land_entitlement_ha", "B") == pytest.approx([3.0, 3.0, 3.3])
    assert series(table, "linked_land_ha", "B") == pytest.approx([2.7, 2.7, 2.7])


def test_talent_settlers_registering_where_they_work_by_hand():
    """Everyone works in B and talent settlers register at the employer's address: B's quota
    of 300 takes them wherever they live, A's 100 finds nobody registering there."""
    scenario = simulation.load_scenario(
        HAND,
        {
            "channels.talent.registration": "employer",
            "population.works_in_home_district": 0.0,
            "population.work_weights": {"A": 0, "B": 1},
        },
    )
    table = simulation.run(scenario).table
    assert series(table, "settled_total", "B") == [300, 300, 300]
    assert series(table, "settled_total", "A") == [0, 0, 0]
    lives = np.add(
        series(table, "settled_by_residence", "A"), series(table, "settled_by_residence", "B")
    )
    assert lives.tolist() == [300, 300, 300]
    assert series(table, "settled_by_residence", "A")[0] > 0  # some live in A
    # Registered in B whatever they live: B grows as before, A only by its own change.
    assert series(table, "hukou_population", "B") == [5_000, 5_342, 5_687, 6_035]
    # A: 10,000 + rint(100) - rint(20) + 40 - 20 = 10,100; 10,100 + 101 - 20 + 20 = 10,201.
    assert series(table, "hukou_population", "A")[:3] == [10_000, 10_100, 10_201]
    # Those living in A but registered in B are residents of A, registered in B: this year's
    # settlers living in A, and their share of B's natural change (53 x settlers / 5,300,
    # rounded within B's row: at most one person more).
    extra = series(table, "hukou_residents", "A")[1] - series(table, "hukou_population", "A")[1]
    assert extra - series(table, "settled_by_residence", "A")[0] in (0, 1)
    assert series(table, "land_entitlement_ha", "B") == pytest.approx([3.0, 3.0, 3.0])
