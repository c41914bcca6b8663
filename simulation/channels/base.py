"""What every settlement channel shares: who may apply at all, quotas, admission in rank order."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from simulation import registration
from simulation.channels.quota import QuotaBook, cost
from simulation.config import ChannelWindows, Reforms
from simulation.population import Population


def open_to_apply(pop: Population, reforms: Reforms, rows: slice) -> np.ndarray:
    """Which heads among `rows` may apply through any channel, given the §4 reforms and their
    own wishes (whether they are still here is checked when they apply).

    Only willing residents apply (plan §2: 切实尊重居民意愿). Without the unified hukou (§4 一)
    some agricultural-hukou holders are blocked by the migration limits on hukou nature; with the
    family-planning precondition (§4 二) non-compliant heads are refused; without the collective
    hukou fallback (§4 三) a head needs an address of their own or their employer's.
    """
    mask = pop.willing[rows].copy()
    if not reforms.unified_hukou:
        mask &= ~pop.agri_restricted[rows]
    if not reforms.no_family_planning_precondition:
        mask &= pop.family_planning_ok[rows]
    if not reforms.collective_hukou_fallback:
        mask &= pop.has_address[rows]
    return mask


LOTTERY_BITS = 24  # a head's lottery draw is a float32 in [0, 1): a multiple of 2**-24
TIME_BITS = 32  # a time of first application (never negative), as its float32's bits
SORT_ALL_BELOW = 50_000  # applicants up to which sorting them all is quicker than selecting


def first_come(
    pop: Population,
    channel: str,
    applicants: np.ndarray,
    *major: np.ndarray,
    limit: np.ndarray | None = None,
) -> np.ndarray:
    """Applicants ordered by the `major` keys (small non-negative integers, most significant
    first; the first is the quota group), then by time of first application to `channel`, then
    by lottery: first come, first served. Exact ties (same lottery draw) go by row order.

    With `limit` (per quota group: how many at most could be admitted) only the best `limit[g]`
    of each group are returned, in order: a partial selection instead of a sort of everyone.
    """
    # Times are never negative, so their bits order as they do once a -0.0 is made +0.0.
    queued = getattr(pop, f"queued_at_{channel}")[applicants] + np.float32(0)
    bits = queued.view(np.uint32)
    lottery = (pop.lottery[applicants] * np.float32(2**LOTTERY_BITS)).astype(np.int64)
    groups = np.zeros(len(applicants), dtype=np.int64)  # the major keys as one integer
    scale = 1
    for values in reversed(major):
        groups = groups + values.astype(np.int64) * scale
        scale *= int(values.max(initial=0)) + 1
    if len(applicants) <= SORT_ALL_BELOW and scale <= 2 ** (63 - TIME_BITS - LOTTERY_BITS):
        # Few applicants: one stable sort of (major keys, time, lottery), which keeps exact
        # ties in row order, so the key needs neither row bits nor the times made compact.
        key = (groups << TIME_BITS | bits) << LOTTERY_BITS | lottery
        order = np.argsort(key, kind="stable")
        if limit is None or not major:
            return applicants[order]
        return applicants[order[_within(order, major[0], limit)]]
    # Each applicant's place among the distinct times of first application (numpy finds the
    # distinct values of integers about twice as fast as those of floats).
    times = np.unique(bits)
    key = groups * len(times) + np.searchsorted(times, bits)
    scale *= len(times)
    rows_bits = max(len(applicants).bit_length(), 1)
    if int(scale).bit_length() + LOTTERY_BITS + rows_bits > 62:  # too wide for one integer
        order = np.lexsort((pop.lottery[applicants], key))
        return applicants[order]
    # One integer per applicant, unique, whose order is the ranking's.
    key = ((key << LOTTERY_BITS) | lottery) << rows_bits
    key |= np.arange(len(applicants), dtype=np.int64)
    if limit is None or not major:
        return applicants[np.argsort(key)]
    return applicants[best_in_groups(key, major[0], limit)]


def _within(order: np.ndarray, groups: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Which places of `order` (positions sorted group by group, groups ascending) are among
    the first `limit[g]` of their group g: a group's places start after those of the groups
    before it."""
    counts = np.bincount(groups, minlength=len(limit))
    ends = np.cumsum(counts) - counts + limit  # the place past the last one kept, per group
    return np.arange(len(order)) < ends[groups[order]]


def best_in_groups(key: np.ndarray, groups: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Positions of the `limit[g]` smallest (unique) keys of each group g, groups ascending and
    each in key order: partial selection, so the cost grows with the applicants, not with a
    sort of them."""
    if len(key) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(key) <= SORT_ALL_BELOW:  # few applicants: one sort beats a loop over the groups
        order = np.argsort(key)  # groups come out ascending: the group is the major key
        return order[_within(order, groups, limit)]
    small = groups.astype(np.int16) if groups.max(initial=0) < 2**15 else groups
    by_group = np.argsort(small, kind="stable")  # a radix sort for small integers
    sorted_groups = small[by_group]
    starts = np.flatnonzero(np.concatenate(([True], sorted_groups[1:] != sorted_groups[:-1])))
    ends = np.append(starts[1:], len(by_group))
    chosen = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        members = by_group[start:end]
        k = int(min(limit[sorted_groups[start]], len(members)))
        if k <= 0:
            continue
        if k < len(members):
            members = members[np.argpartition(key[members], k - 1)[:k]]
        chosen.append(members[np.argsort(key[members])])
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)


def admit_in_order(
    ordered: np.ndarray, groups: np.ndarray, cost: np.ndarray, remaining: np.ndarray
) -> np.ndarray:
    """Admit applicants in rank order within each quota group while the quota lasts.

    `ordered` are head indices best first, `groups` their quota group, `cost` what each uses of
    the quota. Within a group admission stops at the first applicant who no longer fits, so a
    quota is never exceeded. Returns the admitted positions into `ordered`.
    """
    if len(ordered) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(remaining) == 1:  # one citywide group: admission stops where the quota is spent
        return np.flatnonzero(np.cumsum(cost) <= remaining[0])
    grouped = bool((groups[1:] >= groups[:-1]).all())  # already, by the channel's ranking
    if not grouped:
        small = groups.astype(np.int16) if groups.max() < 2**15 else groups  # radix sort
        by_group = np.argsort(small, kind="stable")
        groups, cost = groups[by_group], cost[by_group]
    # The quota used up to each applicant, after a leading zero: a group's use is measured
    # from the place where it starts (the groups before it come first).
    running = np.zeros(len(cost) + 1)
    np.cumsum(cost, out=running[1:])
    counts = np.bincount(groups, minlength=len(remaining))
    before = running[np.cumsum(counts) - counts]
    fits = (running[1:] - before[groups]) <= remaining[groups]
    return np.flatnonzero(fits) if grouped else np.sort(by_group[fits])


class Channel(ABC):
    """A settlement channel: eligibility, ranking, quota groups and where settlers register."""

    name: str
    schedule: ChannelWindows
    #: None for a demand-driven channel without quota.
    quota_per_group: np.ndarray | None
    #: Whether the quota groups are the districts (else one citywide group).
    quota_by_district: bool = False

    @abstractmethod
    def eligible(self, pop: Population, rows: slice, open_: np.ndarray) -> np.ndarray:
        """Indices of heads among `rows` (a slice of the population; `open_` says which of
        them may apply at all) that meet this channel's criteria.

        Criteria are evaluated on whole column slices: cheaper than gathering candidates first.
        They depend only on what changes at year end (age, tenure, permits), so the engine asks
        once a year for everyone and then only for the heads who arrived since.
        """

    def rank(
        self, pop: Population, applicants: np.ndarray, limit: np.ndarray | None = None
    ) -> np.ndarray:
        """Applicants best first; by default in the order of their lottery draws.

        With `limit` a channel may return only the best `limit[g]` of each quota group g: no
        more than that could be admitted.
        """
        return applicants[np.argsort(pop.lottery[applicants], kind="stable")]

    def admit_within_quota(
        self, pop: Population, applicants: np.ndarray, book: QuotaBook, ppa: int
    ) -> np.ndarray:
        """The applicants a window admits, best first within each quota group while what is
        left of the group's quota lasts; the quota used and the applicants turned away are
        booked per group."""
        remaining = book.remaining()
        # Each admission uses at least one agent's worth of quota: no more than this many per
        # group can be admitted, and one more shows whether anyone was turned away.
        limit = np.floor(remaining / ppa + 1e-9).astype(np.int64) + 1
        ordered = self.rank(pop, applicants, limit)
        groups = self.groups(pop, ordered)
        costs = cost(pop, ordered, ppa, self.schedule)
        chosen = admit_in_order(ordered, groups, costs, remaining)
        size = len(book.annual)
        applying = np.bincount(self.groups(pop, applicants), minlength=size)
        book.use(
            np.bincount(groups[chosen], weights=costs[chosen], minlength=size),
            applying - np.bincount(groups[chosen], minlength=size),
        )
        return ordered[chosen]

    def groups(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        """Quota group of each applicant: one citywide group unless overridden."""
        return np.zeros(len(applicants), dtype=np.int64)

    def approve(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        """Mask of applications approved on their merits, before any quota."""
        return np.ones(len(applicants), dtype=bool)

    def registers_in(self, pop: Population, heads: np.ndarray) -> np.ndarray:
        """District where each settler registers: where they live unless the channel says."""
        return registration.district(pop, heads, at_employer=False)

    def urban_address(self, pop: Population, heads: np.ndarray) -> np.ndarray:
        """Whether each settler registers at an urban address (see `simulation.registration`)."""
        return registration.urban_address(pop, heads, at_employer=False)
