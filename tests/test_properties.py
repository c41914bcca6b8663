"""Invariants that hold for any valid scenario: Hypothesis varies the tiny city's policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulation

TINY = Path(__file__).parent / "data" / "tiny" / "tiny.toml"
SETTLED = ("settled_talent", "settled_points", "settled_policy", "settled_special")

overrides = st.fixed_dictionaries(
    {
        "persons_per_agent": st.integers(1, 12),
        "horizon": st.just(2021),
        "seed": st.integers(0, 2**32),
        "flows.departure_rate": st.floats(0, 1),
        "flows.arrivals_per_year": st.floats(0, 20_000),
        "channels.talent.quota": st.fixed_dictionaries(
            {"Core": st.integers(0, 400), "Edge": st.integers(0, 400)}
        ),
        "channels.talent.ranking": st.sampled_from(["lottery", "education"]),
        "channels.talent.schedule.unused_quota": st.sampled_from(["lapse", "carry_over"]),
        "channels.points.quota": st.integers(0, 300),
        "channels.points.ranking": st.sampled_from(["medical_insurance", "points"]),
        "channels.points.schedule.quota_counts_dependents": st.booleans(),
        "channels.special.enabled": st.booleans(),
        "channels.policy.approval_rate": st.floats(0, 1),
        "reforms.unified_hukou": st.booleans(),
        "reforms.collective_hukou_fallback": st.booleans(),
        "land.adjustment": st.floats(-0.1, 0.1),
        "land.plan_quota_ha": st.floats(0, 10),
        "land.ceiling_headroom": st.floats(0, 0.2),
        "land.other_demand_ha": st.floats(0, 5),
        "land.linkage": st.sampled_from(["settlement", "prior_shares"]),
        "channels.talent.registration": st.sampled_from(["employer", "residence"]),
        "population.works_in_home_district": st.floats(0, 1),
        "flows.hukou_out_rate": st.floats(0, 0.05),
        "flows.hukou_natural_growth": st.builds(
            lambda early, late: {"2018": early, "2021": late},
            st.floats(-0.02, 0.02),
            st.floats(-0.02, 0.02),
        ),
        "students.enrolment_per_year": st.integers(0, 3000),
    }
)


def series(table, variable, district):
    return table.select(variable, district)[1]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides)
def test_accounts_quotas_and_land_hold_for_any_valid_scenario(values):
    scenario = simulation.load_scenario(TINY, values)
    table = simulation.run(scenario).table
    again = simulation.run(scenario).table
    assert np.array_equal(table.value, again.value)  # same scenario and seed, same numbers
    for d in ("Core", "Edge", "ALL"):
        stock = series(table, "non_hukou_population", d)
        flows = series(table, "arrivals", d) - series(table, "departures", d)
        np.testing.assert_allclose(
            stock[1:], stock[:-1] + flows - series(table, "settled_by_residence", d)
        )
        settled = sum(series(table, v, d) for v in SETTLED) + series(table, "settled_dependents", d)
        np.testing.assert_allclose(series(table, "settled_total", d), settled)
        linked = series(table, "linked_land_ha", d)
        assert np.all(linked <= series(table, "land_entitlement_ha", d) + 1e-9)
        land = series(table, "urban_construction_land_ha", d)
        assert np.all(land <= series(table, "land_ceiling_ha", d) + 1e-9)
    assert np.all(series(table, "linked_land_ha", "Core") == 0)  # the central district
    if not values["channels.points.schedule.quota_counts_dependents"]:
        assert np.all(series(table, "settled_points", "ALL") <= values["channels.points.quota"])
    talent_carry = values["channels.talent.schedule.unused_quota"] == "carry_over"
    for d in ("Core", "Edge"):
        settled = series(table, "settled_talent", d)
        released = values["channels.talent.quota"][d] * np.arange(1, len(settled) + 1)
        if talent_carry:  # never more than everything released so far
            assert np.all(np.cumsum(settled) <= released)
        else:
            assert np.all(settled <= values["channels.talent.quota"][d])
