"""The yearly stock-flow checks: people conserved, quotas kept, land within its bounds.

The people accounts recompute each year-end stock from the previous year's published stock and
flows counted apart from the code that applied them: arrivals, departures and settlement from
the heads' own records of when each happened; natural change and hukou moved out from the rates
and the registered stock; university moves from the students' cohorts. A flow applied twice, or
not at all, or a stock changed outside a flow, breaks an account. The flows the model publishes
are checked against the same counts.

A broken account is a bug in the model, never a user mistake: it stops the run with the year,
the district and the quantity that failed.
"""

from __future__ import annotations

import numpy as np

from simulation.errors import AccountError

TOLERANCE = 1e-6


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
) -> None:
    """end == start + inflow - outflow in every district."""
    expected = start + inflow - outflow
    bad = np.abs(end - expected) > TOLERANCE
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AccountError(
            year,
            _first_bad(names, bad),
            quantity,
            f"start {start[i]:.0f} + in {inflow[i]:.0f} - out {outflow[i]:.0f} "
            f"= {expected[i]:.0f}, but the stock is {end[i]:.0f}",
        )


def check_quota(
    year: int, groups: tuple[str, ...], channel: str, released: np.ndarray, used: np.ndarray
) -> None:
    """A channel never admits more than it released."""
    bad = used > released + TOLERANCE
    if bad.any():
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
        if bad.any():
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
            if bad.any():
                row, col = np.argwhere(bad)[0]
                raise AccountError(
                    year,
                    names[row],
                    quantity,
                    f"{detail} the registered persons living in {names[col]}: "
                    f"{urban[row, col]:.0f} of {persons[row, col]:.0f}",
                )


def check_tally(
    year: int, names: tuple[str, ...], flows: dict[str, tuple[np.ndarray, np.ndarray]]
) -> None:
    """Each published flow equals the same flow counted from the heads' records."""
    for quantity, (published, counted) in flows.items():
        check_balance(
            year, names, f"{quantity} as published", counted, 0 * counted, 0 * counted, published
        )
