"""Settlement channels: eligibility, ranking, quotas (plan §3, §4, §5)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import simulation
from simulation import channels
from simulation.channels.points import points
from simulation.channels.quota import QuotaBook
from simulation.config import (
    ChannelWindows,
    PointsChannel,
    PointsTable,
    PolicyChannel,
    Reforms,
    SpecialChannel,
    TalentChannel,
)
from simulation.population import DEPARTED, FRONTLINE, SETTLED, SHORTAGE
from tests.helpers import make_population

TINY = Path(__file__).parent / "data" / "tiny" / "tiny.toml"


def eligible(channel, pop):
    return channel.eligible(pop, slice(0, pop.n), np.ones(pop.n, dtype=bool)).tolist()


def test_eligibility_of_a_slice_gives_indices_into_the_whole_population():
    pop = make_population(5, education=[3, 0, 3, 3, 0], age=30)
    talent = channels.Talent(TalentChannel(quota=(1.0,)))
    whole = talent.eligible(pop, slice(0, 5), np.ones(5, dtype=bool))
    later = talent.eligible(pop, slice(2, 5), np.ones(3, dtype=bool))
    assert whole.tolist() == [0, 2, 3]
    assert later.tolist() == [2, 3]


# --- who may apply at all ----------------------------------------------------------------


def test_only_willing_heads_apply():
    pop = make_population(3, willing=[True, False, True])
    assert channels.open_to_apply(pop, Reforms(), slice(0, 3)).tolist() == [True, False, True]
    assert channels.open_to_apply(pop, Reforms(), slice(1, 3)).tolist() == [False, True]


def test_heads_who_left_or_settled_do_not_apply():
    """Eligibility is found once a year; whether a head is still here, when they apply."""
    from simulation.engine import Model

    model = Model(simulation.load_scenario(TINY))
    talent = next(c for c in model.channels if c.name == "talent")
    before = model.apply(talent, 0.1)
    model.pop.status[before[:10]] = [SETTLED] * 5 + [DEPARTED] * 5
    after = model.apply(talent, 0.35)
    assert after.tolist() == before[10:].tolist()


@pytest.mark.parametrize(
    ("switch", "column"),
    [
        ("unified_hukou", "agri_restricted"),
        ("no_family_planning_precondition", "family_planning_ok"),
        ("collective_hukou_fallback", "has_address"),
    ],
)
def test_each_reform_switch_changes_who_may_apply(switch, column):
    blocked_value = column == "agri_restricted"
    pop = make_population(2, **{column: [blocked_value, not blocked_value]})
    rows = slice(0, 2)
    with_reform = channels.open_to_apply(pop, Reforms(), rows)
    without = channels.open_to_apply(pop, dataclasses.replace(Reforms(), **{switch: False}), rows)
    assert with_reform.tolist() == [True, True]
    assert without.tolist() == [False, True]


# --- admission within quota --------------------------------------------------------------


def test_admission_stops_at_the_quota_of_each_group():
    ordered = np.array([5, 3, 9, 1, 7])
    groups = np.array([0, 1, 0, 0, 1])
    cost = np.array([1.0, 1.0, 2.0, 1.0, 1.0])
    chosen = channels.admit_in_order(ordered, groups, cost, np.array([3.0, 1.0]))
    assert ordered[chosen].tolist() == [5, 3, 9]
    # ranked group by group already (as talent ranks its applicants)
    grouped = channels.admit_in_order(
        np.array([4, 2, 8, 6]),
        np.array([0, 0, 1, 1]),
        np.array([2.0, 2.0, 1.0, 1.0]),
        np.array([3.0, 5.0]),
    )
    assert grouped.tolist() == [0, 2, 3]


def test_admission_keeps_rank_order_and_never_exceeds_quota():
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(0, 40))
        k = int(rng.choice([1, 3]))  # one citywide group, or several
        groups = rng.integers(0, k, n)
        if rng.random() < 0.5:  # ranked group by group
            groups.sort()
        cost = rng.integers(1, 4, n).astype(float)
        remaining = rng.integers(0, 20, k).astype(float)
        chosen = channels.admit_in_order(np.arange(n), groups, cost, remaining)
        used = np.bincount(groups[chosen], weights=cost[chosen], minlength=k)
        assert np.all(used <= remaining)
        assert chosen.tolist() == sorted(chosen.tolist())
        for g in range(k):  # within a group, admitted heads are a prefix of its ranking
            members = np.flatnonzero(groups == g)
            taken = np.isin(members, chosen)
            assert taken.tolist() == sorted(taken.tolist(), reverse=True)
            if not taken.all():  # and the first refused would not have fitted
                assert used[g] + cost[members[taken.sum()]] > remaining[g]


def citywide(annual: float, schedule: ChannelWindows) -> QuotaBook:
    return QuotaBook("points", np.array([annual]), schedule, n_districts=2, per_district=False)


def test_quota_book_releases_by_window_and_carries_or_lapses():
    schedule = ChannelWindows(windows=(0.2, 0.6), processing_years=0.1)
    book = citywide(100.0, schedule)
    assert book.release().tolist() == [50.0]
    book.use(np.array([20.0]), np.array([0]))
    assert book.release().tolist() == [80.0]  # the unused part rolls into the next window
    book.close_year()
    book.start_year(1, np.array([100.0]))
    assert book.release().tolist() == [50.0]  # lapsed
    carry = citywide(100.0, dataclasses.replace(schedule, unused_quota="carry_over"))
    carry.release()
    carry.close_year()
    carry.start_year(1, np.array([100.0]))
    assert carry.release().tolist() == [100.0]  # 50 carried + 50 released


def test_quota_growth_compounds_by_year():
    book = citywide(100.0, ChannelWindows(windows=(0.5,), quota_growth=0.1))
    book.start_year(2, np.array([100.0]))
    assert book.release()[0] == pytest.approx(121.0)
    book.start_year(2, np.array([200.0]))  # a year series gave a bigger quota this year
    assert book.release()[0] == pytest.approx(242.0)


def test_quota_record_is_per_district_or_for_the_city_alone():
    schedule = ChannelWindows(windows=(0.2, 0.6), processing_years=0.1)
    by_district = QuotaBook("talent", np.array([10.0, 30.0]), schedule, 2, per_district=True)
    by_district.release()
    by_district.use(np.array([5.0, 15.0]), np.array([3, 0]))  # three turned away in the first
    record = by_district.record()
    np.testing.assert_array_equal(record["quota_released_talent"], [5.0, 15.0, 20.0])
    np.testing.assert_array_equal(record["quota_used_talent"], [5.0, 15.0, 20.0])
    np.testing.assert_array_equal(record["quota_filled_talent"][:2], [1.0, 0.0])
    assert np.isnan(record["quota_filled_talent"][2])  # no city row for a district flag
    city = citywide(100.0, schedule)
    city.release()
    city.use(np.array([10.0]), np.array([0]))
    record = city.record()
    assert np.isnan(record["quota_used_points"][:2]).all()
    assert record["quota_used_points"][2] == 10.0
    assert record["quota_filled_points"][2] == 0.0


# --- talent introduction -----------------------------------------------------------------


def test_talent_degree_or_skill_route_within_age_limits():
    pop = make_population(
        5,
        education=[3, 3, 2, 0, 0],
        skill=[0, 0, 0, 2, 2],
        age=[40, 41, 30, 45, 46],
    )
    talent = channels.Talent(TalentChannel(quota=(10.0,)))
    assert eligible(talent, pop) == [0, 3]


def test_talent_quota_groups_are_districts_and_education_ranking_is_an_option():
    pop = make_population(3, work_district=[0, 1, 1], education=[2, 2, 3], lottery=[0.1, 0.2, 0.9])
    lottery = channels.Talent(TalentChannel(quota=(1.0, 1.0)))
    by_education = channels.Talent(TalentChannel(quota=(1.0, 1.0), ranking="education"))
    idx = np.arange(3)
    assert lottery.groups(pop, idx).tolist() == [0, 1, 1]
    assert lottery.rank(pop, idx).tolist() == [0, 1, 2]
    assert by_education.rank(pop, idx).tolist() == [0, 2, 1]  # best first within a district


def test_talent_settlers_register_where_they_work_unless_the_scenario_says_where_they_live():
    pop = make_population(
        3, district=[0, 0, 1], work_district=[1, 0, 0], urban=False, has_address=[1, 1, 0]
    )
    idx = np.arange(3)
    at_work = channels.Talent(TalentChannel(quota=(1.0, 1.0)))
    at_home = channels.Talent(TalentChannel(quota=(1.0, 1.0), registration="residence"))
    assert at_work.groups(pop, idx).tolist() == [1, 0, 0]
    assert at_work.urban_address(pop, idx).all()  # a collective address is urban
    assert at_home.groups(pop, idx).tolist() == [0, 0, 1]
    # At home: rural where they live, unless without an address of their own, when the
    # district's collective address (urban) is the fallback (§4 三).
    assert at_home.urban_address(pop, idx).tolist() == [False, False, True]


# --- points ------------------------------------------------------------------------------

BONUS = np.array([0.0, 10.0])


def test_points_add_up_over_the_seven_indicators():
    pop = make_population(
        1,
        education=2,
        skill=1,
        occupation=SHORTAGE,
        social_service=14,
        tax=True,
        innovation=True,
        district=1,
    )
    table = PointsTable()
    # college 40 (larger than skill 20), shortage 20, social service capped at 10, tax 20,
    # innovation 20, district orientation 10
    assert points(pop, np.array([0]), table, BONUS).tolist() == [120.0]
    cumulative = dataclasses.replace(table, education_skill_cumulative=True)
    assert points(pop, np.array([0]), cumulative, BONUS).tolist() == [140.0]


def test_points_gate_of_2016():
    base = {"education": 3, "insurance_years": 4, "permit_years": 1, "age": 45}
    pop = make_population(6, **base)
    pop.age[1] = 46  # too old
    pop.insurance_years[2] = 3  # too few years of insurance
    pop.permit_years[3] = 0  # no residence permit
    pop.education[4] = 2  # 40 points only
    pop.education[5], pop.district[5] = 2, 1  # 40 + 10 district points: still short of 60
    ch = channels.Points(PointsChannel(table=PointsTable(district_bonus=(0.0, 10.0))))
    assert eligible(ch, pop) == [0]
    pop.tax[5] = True
    assert eligible(ch, pop) == [0, 5]


def test_points_ranked_by_medical_insurance_then_permit_tenure():
    pop = make_population(
        4,
        insurance_years=[5, 9, 9, 7],
        permit_years=[1, 2, 5, 1],
        education=[3, 1, 1, 3],
        lottery=[0.5, 0.1, 0.2, 0.3],
    )
    ch = channels.Points(PointsChannel(table=PointsTable(district_bonus=(0.0,))))
    assert ch.rank(pop, np.arange(4)).tolist() == [2, 1, 3, 0]
    by_points = channels.Points(
        PointsChannel(ranking="points", table=PointsTable(district_bonus=(0.0,)))
    )
    assert by_points.rank(pop, np.arange(4)).tolist() == [3, 0, 2, 1]


# --- policy-based and special groups -----------------------------------------------------


def test_policy_channel_takes_graduates_veterans_and_family_reunion_as_enabled():
    pop = make_population(
        4, graduate=[1, 0, 0, 0], veteran=[0, 1, 0, 0], family_reunion=[0, 0, 1, 0]
    )
    assert eligible(channels.Policy(PolicyChannel()), pop) == [0, 1, 2]
    assert eligible(channels.Policy(PolicyChannel(veterans=False)), pop) == [0, 2]
    assert channels.Policy(PolicyChannel()).quota_per_group is None


def test_policy_approval_is_decided_once_per_head():
    pop = make_population(10_000, approval=np.random.default_rng(1).random(10_000))
    ch = channels.Policy(PolicyChannel(approval_rate=0.3))
    approved = ch.approve(pop, np.arange(10_000))
    assert approved.mean() == pytest.approx(0.3, abs=0.02)
    assert np.array_equal(
        ch.approve(pop, np.arange(10_000)), approved
    )  # reapplying changes nothing


def test_special_groups_need_frontline_tenure_or_an_award():
    pop = make_population(
        4,
        occupation=[FRONTLINE[0], FRONTLINE[-1], FRONTLINE[0], 0],
        insurance_years=[5, 6, 4, 0],
        outstanding_worker=[0, 0, 0, 1],
    )
    ch = channels.Special(SpecialChannel())
    assert eligible(ch, pop) == [0, 1, 3]
    assert ch.rank(pop, np.arange(4)).tolist() == [1, 0, 2, 3]


def test_build_skips_disabled_channels():
    from simulation.config import Channels

    made = channels.build(
        Channels(talent=TalentChannel(quota=(1.0,)), special=SpecialChannel(enabled=False))
    )
    assert [c.name for c in made] == ["talent", "points", "policy"]


@pytest.mark.parametrize("sort_all_below", [0, 50_000])  # partial selection, or one sort
def test_first_application_at_zero_ties_whatever_the_sign_of_the_zero(monkeypatch, sort_all_below):
    """-0.0 and 0.0 are the same time: the lottery decides between them, and both come before
    a later time and before never having applied."""
    monkeypatch.setattr(channels.base, "SORT_ALL_BELOW", sort_all_below)
    pop = make_population(
        4,
        lottery=[0.75, 0.5, 0.25, 0.0],
        queued_at_talent=np.array([-0.0, 0.0, 0.5, np.inf], dtype=np.float32),
    )
    applicants = np.arange(4)
    groups = np.zeros(4, dtype=np.int64)
    ranked = channels.base.first_come(pop, "talent", applicants, groups)
    assert ranked.tolist() == [1, 0, 2, 3]
    best = channels.base.first_come(pop, "talent", applicants, groups, limit=np.array([1]))
    assert best.tolist() == [1]


@pytest.mark.parametrize("sort_all_below", [0, 50_000])  # partial selection, or one sort
@pytest.mark.parametrize("n_groups", [4, 300])  # group keys narrow, or too wide for one sort
def test_the_best_of_each_group_are_the_first_of_the_full_ranking(
    monkeypatch, sort_all_below, n_groups
):
    """Selecting the best few per group gives exactly what a full ranking would admit, ties in
    the lottery included (they go by row order either way)."""
    monkeypatch.setattr(channels.base, "SORT_ALL_BELOW", sort_all_below)
    rng = np.random.default_rng(5)
    n = 2000
    pop = make_population(
        n,
        lottery=np.floor(rng.random(n) * 50) / 64,  # many exact ties
        queued_at_talent=rng.choice([0.1, 0.35, 1.1], n).astype(np.float32),
    )
    applicants = np.sort(rng.choice(n, 1500, replace=False))
    groups = rng.integers(0, n_groups, len(applicants))
    order = np.lexsort(
        (
            np.arange(len(applicants)),
            pop.lottery[applicants],
            pop.queued_at_talent[applicants],
            groups,
        )
    )
    full = applicants[order]  # group, first application, lottery, then row order
    assert channels.base.first_come(pop, "talent", applicants, groups).tolist() == full.tolist()
    limit = np.resize([5, 0, 40, 10_000], n_groups)
    best = channels.base.first_come(pop, "talent", applicants, groups, limit=limit)
    group_of = dict(zip(applicants.tolist(), groups.tolist(), strict=True))
    expected = []
    for g in range(n_groups):
        in_group = [a for a in full.tolist() if group_of[a] == g]
        expected += in_group[: limit[g]]
    assert best.tolist() == expected


class Raffle(channels.Channel):
    """A channel that says only who is eligible: everything else is the default."""

    name = "raffle"
    schedule = ChannelWindows(windows=(0.5,))
    quota_per_group = np.array([3.0])

    def eligible(self, pop, rows, open_):
        return np.arange(rows.start, rows.stop)[open_]


def test_a_channel_without_its_own_ranking_admits_by_lottery_within_its_quota():
    pop = make_population(6, lottery=[0.9, 0.1, 0.5, 0.3, 0.7, 0.2], dependents=0)
    book = QuotaBook("raffle", np.array([3.0]), Raffle.schedule, 2, per_district=False)
    book.release()
    admitted = Raffle().admit_within_quota(pop, np.arange(6), book, ppa=1)
    assert admitted.tolist() == [1, 5, 3]  # the three lowest draws, in their order
    assert book.remaining().tolist() == [0.0]
