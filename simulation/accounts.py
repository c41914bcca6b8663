"""The yearly stock-flow checks: people conserved, quotas kept, land conserved and within its
bounds.

The people accounts recompute each year-end stock from the previous year's published stock and
flows counted apart from the code that applied them: arrivals, departures and settlement from
the heads' own records of when each happened; natural change and hukou moved out from the rates
and the registered stock; university moves from the students' cohorts. A flow applied twice, or
not at all, or a stock changed outside a flow, breaks an account. The flows the model publishes
are checked against the same counts.

The land account does the same with the land drawn from each source, whatever for, as the
supply recorded it: the stock grows by what was drawn from the plan quota and rural exit, and
not by renewal, which reuses existing land (plan §7); the published grants add up to the draws.

A broken account is a bug in the model, never a user mistake: it stops the run with the year,
the district and the quantity that failed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from simulation.errors import AccountError
from simulation.names import LandSource

TOLERANCE = 1e-6


def _any(bad: np.ndarray) -> bool:
    """Whether any check failed: counting is one call into numpy, several times cheaper on
    arrays this small than `ndarray.any`, and the checks ask this dozens of times a year."""
    return bool(np.count_nonzero(bad))


def _first_bad(names: tuple[str, ...], bad: np.ndarray) -> str:
    index = int(np.flatnonzero(bad)[0])
    return names[index] if index < len(names) else "ALL"


def check_balance(
    year: int,
    names: tuple[str, ...],
    quantity: str,
    start: np.ndarray,
    inflow: np.ndarray,
    outflow: np.ndarray,
    end: np.ndarray,
    digits: int = 0,
) -> None:
    """end == start + inflow - outflow in every district (shown to `digits` decimals)."""
    expected = start + inflow - outflow
    bad = np.abs(end - expected) > TOLERANCE
    if _any(bad):
        i = int(np.flatnonzero(bad)[0])
        f = f".{digits}f"
        raise AccountError(
            year,
            _first_bad(names, bad),
            quantity,
            f"start {start[i]:{f}} + in {inflow[i]:{f}} - out {outflow[i]:{f}} "
            f"= {expected[i]:{f}}, but the stock is {end[i]:{f}}",
        )


def check_quota(
    year: int, groups: tuple[str, ...], channel: str, released: np.ndarray, used: np.ndarray
) -> None:
    """A channel never admits more than it released."""
    bad = used > released + TOLERANCE
    if _any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise AccountError(
            year, groups[i], f"{channel} quota", f"used {used[i]:.0f} of {released[i]:.0f} released"
        )


def check_land(
    year: int,
    names: tuple[str, ...],
    stock: np.ndarray,
    ceiling: np.ndarray,
    linked: np.ndarray,
    entitlement: np.ndarray,
    previous: np.ndarray,
) -> None:
    """Land is never negative, and new land never takes it above its ceiling (a ceiling a plan
    lowers below the stock stops new land but takes none away); grants never exceed
    entitlement."""
    above = (stock > ceiling + TOLERANCE) & (stock > previous + TOLERANCE)
    for quantity, bad, detail in (
        ("urban construction land", stock < -TOLERANCE, "negative"),
        ("urban construction land", above, "above its ceiling"),
        ("linked land", linked > entitlement + TOLERANCE, "above the entitlement"),
        ("linked land", linked < -TOLERANCE, "negative"),
    ):
        if _any(bad):
            raise AccountError(year, _first_bad(names, bad), quantity, detail)


def check_people(
    year: int,
    names: tuple[str, ...],
    *,
    start_non_hukou: np.ndarray,
    start_hukou: np.ndarray,
    events: dict[str, np.ndarray],
    natural_rate: float,
    out_rate: float,
    students: tuple[np.ndarray, np.ndarray],
    non_hukou: np.ndarray,
    hukou: np.ndarray,
) -> None:
    """The non-registered by district of residence, the registered by district of registration.

    Natural change and hukou moved out apply the year's rates to the registered stock at year
    end before either (last year's stock and this year's settlers), rounded per district.
    """
    check_balance(
        year,
        names,
        "non-registered population",
        start_non_hukou,
        events["arrived"],
        events["left"] + events["settled_living"],
        non_hukou,
    )
    before = start_hukou + events["settled_registered"]
    enrolled, graduated_out = students
    check_balance(
        year,
        names,
        "registered population",
        start_hukou,
        events["settled_registered"] + np.rint(before * natural_rate) + enrolled,
        np.rint(before * out_rate) + graduated_out,
        hukou,
    )


def check_urban_parts(
    year: int, names: tuple[str, ...], persons: np.ndarray, parts: dict[str, np.ndarray]
) -> None:
    """In every (registration, residence) cell of the registered persons, each urban part lies
    between zero and the cell's persons."""
    for quantity, urban in parts.items():
        for detail, bad in (
            ("negative", urban < -TOLERANCE),
            ("more than", urban > persons + TOLERANCE),
        ):
            if _any(bad):
                row, col = np.argwhere(bad)[0]
                raise AccountError(
                    year,
                    names[row],
                    quantity,
                    f"{detail} the registered persons living in {names[col]}: "
                    f"{urban[row, col]:.0f} of {persons[row, col]:.0f}",
                )


def check_tally(
    year: int,
    names: tuple[str, ...],
    flows: dict[str, tuple[np.ndarray, np.ndarray]],
    digits: int = 0,
) -> None:
    """Each published flow equals the same flow counted from the heads' records."""
    for quantity, (published, counted) in flows.items():
        zero = 0 * counted
        check_balance(
            year, names, f"{quantity} as published", counted, zero, zero, published, digits
        )


def check_land_flows(
    year: int,
    names: tuple[str, ...],
    *,
    start: np.ndarray,
    end: np.ndarray,
    supplied: Mapping[LandSource, np.ndarray],
    drawn: Mapping[LandSource, np.ndarray],
    published: Mapping[str, np.ndarray],
) -> None:
    """The urban construction land stock against the land drawn from each source.

    `start` is last year's published stock, `supplied` the year's supply of each source (the
    scenario's), `drawn` what the supply gave from it for any use, `published` the year's land
    variables by district. New land comes from the plan quota and rural exit; renewal reuses
    existing land and adds nothing (plan §7). Central settlers' renewal need is either met by
    renewal or published as not met.
    """
    for source, taken in drawn.items():
        bad = (taken < -TOLERANCE) | (taken > supplied[source] + TOLERANCE)
        if _any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise AccountError(
                year,
                names[i],
                f"{source} land",
                f"drew {taken[i]:.2f} ha of the {supplied[source][i]:.2f} ha supplied",
            )
    new = drawn["plan_quota"] + drawn["rural_exit"]
    zero = 0 * new
    check_balance(year, names, "urban construction land", start, new, zero, end, digits=2)
    linked_new = published["linked_plan_quota_ha"] + published["linked_rural_exit_ha"]
    renewed = published["linked_renewal_ha"] + published["central_renewal_ha"]
    unmet = published["central_renewal_shortfall_ha"]
    check_tally(
        year,
        names,
        {
            "new construction land": (published["new_construction_land_ha"], new),
            "linked and other new land": (linked_new + published["other_land_granted_ha"], new),
            "renewal land": (renewed, drawn["renewal"]),
            "central renewal need": (
                published["central_renewal_ha"] + unmet,
                published["central_renewal_need_ha"],
            ),
        },
        digits=2,
    )
    for quantity in ("land_shortfall_ha", "central_renewal_shortfall_ha"):
        bad = published[quantity] < -TOLERANCE
        if _any(bad):
            raise AccountError(year, _first_bad(names, bad), quantity, "negative")
