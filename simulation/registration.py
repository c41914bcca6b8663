"""Where settlers register their hukou (plan §4 三, §5 一).

Talent settlers register at their employer's collective address, or the district's public
collective address, in the district where they work (§5 一 增加安排各区的引进人才落户指标: the
quota is the district's, so the tilt toward Huangpu, Huadu, Nansha and Zengcheng reaches people
working there wherever they live); a scenario may have them register where they live instead.
Everyone else registers where they live: at their own address, or, without one, at the
district's public collective address, which §4 三 makes the fallback (兜底). Collective
addresses are urban.
"""

from __future__ import annotations

import numpy as np

from simulation.population import Population


def district(pop: Population, heads: np.ndarray, *, at_employer: bool) -> np.ndarray:
    """District of registration of each settling head: where they work when registering at
    the employer's (or the district's collective) address, else where they live."""
    source = pop.work_district if at_employer else pop.district
    return source[heads].astype(np.int64)


def urban_address(pop: Population, heads: np.ndarray, *, at_employer: bool) -> np.ndarray:
    """Whether each settling head registers at an urban address: always at a collective
    address, else where they live, or at the collective address when they have no own one."""
    if at_employer:
        return np.ones(len(heads), dtype=bool)
    return pop.urban[heads] | ~pop.has_address[heads]
