"""What every settlement channel shares: who may apply at all, quotas, admission in rank order."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from simulation import registration
from simulation.config import ChannelWindows, Reforms
from simulation.population import ACTIVE, Population


def open_to_apply(pop: Population, reforms: Reforms) -> np.ndarray:
    """Heads who may apply through any channel, given the §4 reforms and their own wishes.

    Only willing residents apply (plan §2: 切实尊重居民意愿). Without the unified hukou (§4 一)
    some agricultural-hukou holders are blocked by the migration limits on hukou nature; with the
    family-planning precondition (§4 二) non-compliant heads are refused; without the collective
    hukou fallback (§4 三) a head needs an address of their own or their employer's.
    """
    mask = (pop.status == ACTIVE) & pop.willing
    if not reforms.unified_hukou:
        mask &= ~pop.agri_restricted
    if not reforms.no_family_planning_precondition:
        mask &= pop.family_planning_ok
    if not reforms.collective_hukou_fallback:
        mask &= pop.has_address
    return mask


def first_come(
    pop: Population, channel: str, applicants: np.ndarray, *major: np.ndarray
) -> np.ndarray:
    """Applicants ordered by the `major` keys (small non-negative integers, most significant
    first), then by time of first application to `channel`, then by lottery: first come,
    first served.

    One sort of a float key (whole part: the integer keys and the queue position; fraction: the
    lottery) is several times faster than a lexsort of the same keys.
    """
    queue = getattr(pop, f"queued_at_{channel}")
    times, position = np.unique(queue[applicants], return_inverse=True)
    key = position.astype(np.int64)
    scale = len(times)
    for values in reversed(major):
        key = key + values.astype(np.int64) * scale
        scale *= int(values.max(initial=0)) + 1
    return applicants[np.argsort(key + pop.lottery[applicants].astype(np.float64), kind="stable")]


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
    if np.all(groups[1:] >= groups[:-1]):  # already grouped by the channel's ranking
        by_group = np.arange(len(groups))
    else:
        small = groups.astype(np.int16) if groups.max() < 2**15 else groups  # radix sort
        by_group = np.argsort(small, kind="stable")
    g = groups[by_group]
    used = np.cumsum(cost[by_group])
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    before = np.repeat(np.r_[0, used[starts[1:] - 1]], np.diff(np.r_[starts, len(g)]))
    fits = (used - before) <= remaining[g]
    return np.sort(by_group[fits])


class Channel(ABC):
    """A settlement channel: eligibility, ranking, quota groups and where settlers register."""

    name: str
    schedule: ChannelWindows
    #: None for a demand-driven channel without quota.
    quota_per_group: np.ndarray | None
    #: Whether the quota groups are the districts (else one citywide group).
    quota_by_district: bool = False

    @abstractmethod
    def eligible(self, pop: Population, open_: np.ndarray) -> np.ndarray:
        """Indices of heads in `open_` (a mask over all rows) meeting this channel's criteria.

        Criteria are evaluated on whole columns: cheaper than gathering the candidates first.
        """

    def rank(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        """Applicants best first; by default first come, first served (ties by lottery)."""
        return first_come(pop, self.name, applicants)

    def groups(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        """Quota group of each applicant: one citywide group unless overridden."""
        return np.zeros(len(applicants), dtype=np.int64)

    def approve(self, pop: Population, applicants: np.ndarray) -> np.ndarray:
        """Mask of applications approved on their merits, before any quota."""
        return np.ones(len(applicants), dtype=bool)

    def registers_in(self, pop: Population, heads: np.ndarray) -> np.ndarray:
        """District where each settler registers: where they live unless the channel says."""
        return pop.district[heads].astype(np.int64)

    def urban_address(self, pop: Population, heads: np.ndarray) -> np.ndarray:
        """Whether each settler registers at an urban address (see `simulation.registration`)."""
        return registration.urban_address(pop, heads, employer=False)
