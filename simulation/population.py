"""Non-registered residents as numpy arrays: arrivals, departures, registration, ageing.

One element stands for `persons_per_agent` household heads with identical attributes; each
head lives with `dependents` spouse and minor children who are non-registered too and register
with the head when the head settles. Arrays have spare capacity so that arrivals during a year
append without copying; settled and departed heads are dropped at a year-end compaction. How
new heads are drawn is in `simulation.synthesis`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from simulation import numeric
from simulation.config import FlowParams, Occupations
from simulation.names import QUEUED_CHANNELS

R = TypeVar("R")

ACTIVE, SETTLED, DEPARTED = 0, 1, 2
COMPACT_SLACK = 0.25  # share of inactive rows tolerated before compaction: copying costs
ROWS_AT_ONCE = 1 << 18  # rows a pass over every head takes at a time: small temporaries
MANY_HEADS = 50_000  # heads from which counting keys beats summing weights (measured)
SHORTAGE = 1  # occupation code of a listed shortage occupation; 0 is any other
FRONTLINE = tuple(range(2, 2 + len(dataclasses.fields(Occupations)) - 1))  # Occupations order

# name -> dtype of every per-head attribute; the channels read these by name.
ATTRIBUTES: dict[str, type] = {
    "district": np.int16,  # where the head lives
    "work_district": np.int16,  # where the head works: the employer's district
    "age": np.int16,
    "education": np.int8,  # 0 primary or none, 1 secondary / high school, 2 college, 3 bachelor+
    "skill": np.int8,  # 0 none, 1 intermediate worker, 2 senior worker, 3 intermediate title+
    "occupation": np.int8,  # 0 other, 1 listed shortage occupation, 2.. frontline groups
    "insured": np.bool_,
    "insurance_years": np.int16,  # all five insurances; medical tenure is taken to be the same
    "permit_years": np.int16,  # 0: no residence permit
    "graduate": np.bool_,
    "veteran": np.bool_,
    "family_reunion": np.bool_,
    "outstanding_worker": np.bool_,
    "social_service": np.int8,  # points from blood donation / volunteering
    "tax": np.bool_,
    "innovation": np.bool_,
    "rural_origin": np.bool_,
    "agri_restricted": np.bool_,  # would be blocked by hukou-nature limits (plan §4 一)
    "family_planning_ok": np.bool_,
    "has_address": np.bool_,
    "willing": np.bool_,
    "urban": np.bool_,
    "dependents": np.int8,
    "id": np.int64,  # permanent identity: the same head in two scenarios has the same id
    "lottery": np.float32,  # a head's own uniform draw: tie breaks within a queue
    "approval": np.float32,  # a head's own uniform draw: merit decisions (approved if below)
    # Times (years since the base year-end) drawn once at creation, so that two scenarios with
    # the same seed send the same people away, and give them permits and insurance, at the
    # same moments whatever else the policies do (common random numbers).
    "arrived_at": np.float32,
    "leave_at": np.float32,
    "permit_at": np.float32,
    "insured_at": np.float32,
    # First application to each first-come channel (inf: never applied): a queue per channel.
    **{f"queued_at_{channel}": np.float32 for channel in QUEUED_CHANNELS},
    "applied": np.bool_,  # applied to a quota channel this year and is still waiting
    "status": np.int8,
    # What happened, and when: counted at year end, independently of the flows' own tallies.
    "left_at": np.float32,  # inf while in the city
    "settled_at": np.float32,  # inf until registered
    "reg_district": np.int16,  # where the settler registered (-1 before)
}
#: Attributes that have a value only once something has happened to the head.
LATER = {
    "left_at": np.inf,
    "settled_at": np.inf,
    "reg_district": -1,
    **{f"queued_at_{channel}": np.inf for channel in QUEUED_CHANNELS},
}
#: Of those, the ones set only as a head leaves or settles (and stops being active).
UNTIL_GONE = ("left_at", "settled_at", "reg_district")


def pieces(start: int, stop: int) -> Iterator[slice]:
    """Rows `start` to `stop` a piece of `ROWS_AT_ONCE` at a time: a pass over millions of
    heads done piece by piece keeps its temporaries small, in cache and in reused memory."""
    for at in range(start, stop, ROWS_AT_ONCE):
        yield slice(at, min(stop, at + ROWS_AT_ONCE))


# Rows from which a pass shares its pieces among the processor's cores: below, starting the
# threads and their taking turns with the interpreter cost about what they save.
THREADS_FROM = 1 << 21


def each_piece(work: Callable[[slice], R], start: int, stop: int) -> list[R]:
    """`work` of each piece of rows `start` to `stop`, in order; the pieces of a long pass are
    shared among the processor's cores (`numeric.each`), so `work` may write the rows of its
    own piece only, and read other rows only of columns no piece writes."""
    rows = list(pieces(start, stop))
    if stop - start < THREADS_FROM:
        return [work(piece) for piece in rows]
    return numeric.each(work, rows)


class Population:
    """Columns of per-head attributes with room to grow."""

    def __init__(self, columns: dict[str, np.ndarray], capacity: int = 0) -> None:
        """Takes the columns over, with room for at least `capacity` rows: each leaves
        `columns` as it is copied, so that a large population is never held twice."""
        self.n = len(columns["district"])
        self.reserved = 0  # rows after the heads filled for heads to come (see `reserve`)
        capacity = max(capacity, self.room(self.n))
        self.columns = {name: _grow(columns.pop(name), capacity) for name in ATTRIBUTES}

    @classmethod
    def empty(cls, expected: int) -> Population:
        """No heads yet, with room for `expected` heads and the arrivals after them."""
        none: dict[str, np.ndarray] = {n: np.zeros(0, dtype=t) for n, t in ATTRIBUTES.items()}
        return cls(none, capacity=cls.room(expected))

    @staticmethod
    def room(n: int) -> int:
        """Rows made for a population of `n` heads: memory is paged in only where rows are
        written, so generous room costs little and spares copies as arrivals come."""
        return max(16, 2 * n)

    def reserve(self, k: int) -> dict[str, np.ndarray]:
        """The rows the next `k` heads will take (growing the columns if need be), for the
        caller to fill before `extend` makes them heads, at once or in parts. Filling them in
        place spares drawing new heads into arrays of their own and copying those in. Rows
        move (compaction) or are copied (growth) only while none are reserved."""
        if self.reserved:
            raise RuntimeError(f"{self.reserved} rows are still reserved")
        if self.n + k > len(self.columns["district"]):
            capacity = int((self.n + k) * 1.5) + 16
            self.columns = {n: _grow(c[: self.n], capacity) for n, c in self.columns.items()}
        self.reserved = k
        return {name: column[self.n : self.n + k] for name, column in self.columns.items()}

    def extend(self, k: int) -> None:
        """The next `k` reserved rows, filled, become heads."""
        if k > self.reserved:
            raise RuntimeError(f"{k} heads to add, {self.reserved} rows reserved")
        self.n += k
        self.reserved -= k

    def __getattr__(self, name: str) -> np.ndarray:
        # Reached only while no view of the column's heads is kept: the view is then kept as an
        # instance attribute, so that later reads (thousands in a run) cost a dictionary
        # lookup, until the heads or the columns change (`__setattr__` of `n` or `columns`).
        columns = self.__dict__.get("columns")  # absent while unpickling or copying
        if columns is None or name not in columns:
            raise AttributeError(name)
        view: np.ndarray = columns[name][: self.n]
        self.__dict__[name] = view
        return view

    def __setattr__(self, name: str, value: object) -> None:
        # `pop.age += 1` updates the column in place and then assigns the result back; write it
        # into the column instead of shadowing the column with a stale attribute.
        if name in ATTRIBUTES:
            view = getattr(self, name)
            if value is not view:
                view[...] = value
            return
        if name in ("n", "columns"):  # the views kept no longer show the heads
            for attribute in ATTRIBUTES:
                self.__dict__.pop(attribute, None)
        super().__setattr__(name, value)

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the views kept (they would come back as copies, not views)."""
        return {k: v for k, v in self.__dict__.items() if k not in ATTRIBUTES}

    def append(self, columns: dict[str, np.ndarray]) -> None:
        k = len(columns["district"])
        for name, room in self.reserve(k).items():
            room[...] = columns[name]
        self.extend(k)

    def compact(self, slack: float = 0.0) -> None:
        """Drop settled and departed heads once they are more than `slack` of the rows.

        Indices change here and nowhere else. Inactive rows left in place are ignored by
        everything that counts or selects heads, which all look at `status`.
        """
        if self.reserved:
            raise RuntimeError(f"{self.reserved} rows are still reserved")
        inactive = self.n - int(np.count_nonzero(self.status == ACTIVE))
        if inactive == 0 or inactive <= slack * self.n:
            return
        # The heads kept have neither left nor settled: these columns hold one value for all.
        same = {"status": ACTIVE, **{name: LATER[name] for name in UNTIL_GONE}}
        # numpy gathers bytes about twice as fast as booleans, which it checks
        moved = [
            c.view(np.uint8) if c.dtype == np.bool_ else c
            for name, c in self.columns.items()
            if name not in same
        ]
        status = self.status

        def move(columns: list[np.ndarray]) -> int:
            kept = 0
            widest = max((column.itemsize for column in columns), default=1)
            scratch = np.empty(ROWS_AT_ONCE * widest, dtype=np.uint8)  # a piece of any column
            for rows in pieces(0, len(status)):  # rows kept move forward, never back
                keep = rows.start + np.flatnonzero(status[rows] == ACTIVE)
                for column in columns:
                    # `take` into memory of its own: a fifth quicker than `column[keep]`,
                    # which makes a new array; no index can be out of range ("clip").
                    gathered = scratch[: len(keep) * column.itemsize].view(column.dtype)
                    np.take(column, keep, out=gathered, mode="clip")
                    column[kept : kept + len(keep)] = gathered
                kept += len(keep)
            return kept

        # Columns move independently: with many rows, half of them on each of two threads.
        many = self.n >= THREADS_FROM and numeric.cores() > 1
        halves = [moved[0::2], moved[1::2]] if many else [moved]
        kept = numeric.each(move, halves)[0]
        for name, value in same.items():
            self.columns[name][:kept] = value
        self.n = kept


def _grow(values: np.ndarray, capacity: int) -> np.ndarray:
    out = np.zeros(capacity, dtype=values.dtype)
    out[: len(values)] = values
    return out


def arrival_heads(
    flows: FlowParams, k: int, weights: np.ndarray, persons_per_head: float, carry: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Heads arriving per district in one flow step of year `k` after the base year.

    Arrivals are deterministic: fractions of a head carry to the next step, so the number of
    heads arriving never depends on the seed or on policy (their dependents are drawn).
    """
    persons = flows.arrivals_per_year * (1 + flows.arrivals_growth) ** k / flows.steps_per_year
    wanted = persons * weights / persons_per_head + carry
    count = np.floor(wanted).astype(np.int64)
    return count, wanted - count


def persons_by_district(
    pop: Population, heads: np.ndarray | slice, ppa: int, n: int, by: str = "district"
) -> np.ndarray:
    """Persons (heads and their dependents) of the given heads (indices, or a slice of rows),
    per district (where they live, or the district column `by`)."""
    where = getattr(pop, by)[heads]
    if len(where) < MANY_HEADS:
        weights = ppa * (1 + pop.dependents[heads].astype(float))
        return np.bincount(where, weights=weights, minlength=n)
    # Many heads: households counted by (district, dependents), several times faster than
    # summing weights over millions of heads (both sums are exact: whole numbers).
    size = 128  # dependents fit an int8
    key = where.astype(np.intp) * size + pop.dependents[heads]
    households = np.bincount(key, minlength=n * size)[: n * size].reshape(n, size)
    return households @ np.arange(1.0, size + 1.0) * float(ppa)


@dataclass(frozen=True)
class Registration:
    """Persons registering in one admission, by district of registration (rows) and of
    residence (columns)."""

    main: np.ndarray  # main applicants, by district of registration
    persons: np.ndarray  # main applicants and their dependents
    urban_address: np.ndarray  # of `persons`, those registering at an urban address
    urban_living: np.ndarray  # of `persons`, those living in an urban area


def pair_counts(pair: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Weights summed by (district of registration, district of residence); `pair` is each
    head's registration district times `n` plus its residence district."""
    return np.bincount(pair, weights=weights, minlength=n * n).reshape(n, n)


def register(
    pop: Population,
    heads: np.ndarray,
    reg_district: np.ndarray,
    urban_address: np.ndarray,
    ppa: int,
    n: int,
    now: float,
) -> Registration:
    """Settlers and their dependents leave the non-registered population (plan §5).

    They register in `reg_district`, at an urban address where `urban_address` holds. Settling
    moves nobody: the resident urbanization rate is unchanged, and the hukou rate moves by
    where settlers register.
    """
    pop.status[heads] = SETTLED
    pop.applied[heads] = False
    pop.settled_at[heads] = now
    pop.reg_district[heads] = reg_district
    pair = reg_district.astype(np.int64, copy=False) * n + pop.district[heads]
    persons = (pop.dependents[heads] + 1.0) * ppa
    return Registration(
        main=np.bincount(reg_district, minlength=n) * float(ppa),
        persons=pair_counts(pair, persons, n),
        urban_address=pair_counts(pair, persons * urban_address, n),
        urban_living=pair_counts(pair, persons * pop.urban[heads], n),
    )


def depart(
    pop: Population, now: float, among: np.ndarray | None = None, times: np.ndarray | None = None
) -> np.ndarray:
    """Mark active heads whose time to leave has come as departed; returns their indices.

    `among`, if given, are the only heads that can be due (those due this year), and `times`
    (if given) their times to leave.
    """
    if among is None:
        leaving = np.flatnonzero((pop.leave_at <= now) & (pop.status == ACTIVE))
    else:
        due = among[(pop.leave_at[among] if times is None else times) <= now]
        leaving = due[pop.status[due] == ACTIVE]
    pop.status[leaving] = DEPARTED
    pop.left_at[leaving] = now
    return leaving


def age_one_year(pop: Population, now: float, return_age: int) -> np.ndarray:
    """Year end: age heads by one year (dropping settled and departed rows now and then).

    Tenure grows for permit holders and the insured, others take up a permit or insurance when
    their time has come, graduates who arrived a year ago or more lose the graduate route and
    waiting applicants reapply next year. Returns the indices of heads leaving the city at the
    return age.
    """

    def age_piece(rows: slice) -> np.ndarray:
        age, permit_years, insured = pop.age[rows], pop.permit_years[rows], pop.insured[rows]
        age += 1
        # Holders' tenure grows; a head whose time has come holds a permit for a year (0 + 1).
        permit_years += (permit_years > 0) | (pop.permit_at[rows] <= now)
        pop.insurance_years[rows] += insured
        insured |= pop.insured_at[rows] <= now
        aged_out = (age >= return_age) & (pop.status[rows] == ACTIVE)
        return rows.start + np.flatnonzero(aged_out)

    parts = each_piece(age_piece, 0, pop.n)
    graduates = np.flatnonzero(pop.graduate)  # the graduate route lasts a year from arrival
    pop.graduate[graduates] = now - pop.arrived_at[graduates] < 1
    pop.applied[:] = False
    leaving = np.concatenate([np.zeros(0, dtype=np.int64), *parts])
    pop.status[leaving] = DEPARTED
    pop.left_at[leaving] = now
    return leaving


def events_in_year(pop: Population, k: int, ppa: int, n: int) -> dict[str, np.ndarray]:
    """Persons who arrived, left and settled in year `k` (times in (k, k + 1]), per district,
    counted from the heads' own records rather than from the flows' tallies."""
    # Times never lie after the present, so "after k" is "this year". Rows keep the order in
    # which heads arrived (arrivals are appended, compaction keeps order), so this year's
    # arrivals are the rows from the first arrival time after k on. Only heads who are no
    # longer active can have left or settled: look at those alone.
    arrived = slice(int(np.searchsorted(pop.arrived_at, np.float32(k), side="right")), pop.n)

    def gone_in_year(rows: slice) -> tuple[np.ndarray, np.ndarray]:
        gone = rows.start + np.flatnonzero(pop.status[rows] != ACTIVE)
        left_at, settled_at = pop.left_at[gone], pop.settled_at[gone]
        return (
            gone[(left_at > k) & (left_at <= k + 1)],
            gone[(settled_at > k) & (settled_at <= k + 1)],
        )

    parts = each_piece(gone_in_year, 0, pop.n)
    none = np.zeros(0, dtype=np.int64)
    left = np.concatenate([none, *(part[0] for part in parts)])
    settled = np.concatenate([none, *(part[1] for part in parts)])
    return {
        "arrived": persons_by_district(pop, arrived, ppa, n),
        "left": persons_by_district(pop, left, ppa, n),
        "settled_living": persons_by_district(pop, settled, ppa, n),
        "settled_registered": persons_by_district(pop, settled, ppa, n, by="reg_district"),
    }


CENSUS_DEPENDENTS = 16  # dependents counted exactly in one pass; the rare larger households apart


def census(pop: Population, n_districts: int, ppa: int) -> dict[str, np.ndarray]:
    """Active non-registered persons, urban ones and permit-holding heads, per district.

    One pass: every head gets one small integer key (inactive, district, urban, permit,
    dependents) and the keys are counted, which is several times faster than weighted sums.
    """
    cap = CENSUS_DEPENDENTS
    kind = np.int16 if 2 * n_districts * 4 * cap < 2**15 else np.int32  # less memory to walk
    size = 2 * n_districts * 4 * cap

    def count(rows: slice) -> np.ndarray:
        key = np.minimum(pop.dependents[rows], np.int8(cap - 1)).astype(kind)
        key += pop.district[rows] * kind(4 * cap)
        key += pop.urban[rows] * kind(2 * cap)
        key += (pop.permit_years[rows] > 0) * kind(cap)
        key += (pop.status[rows] != ACTIVE) * kind(n_districts * 4 * cap)
        return np.bincount(key, minlength=size)

    counted = np.zeros(size, dtype=np.int64)
    for part in each_piece(count, 0, pop.n):
        counted += part
    counts = counted[: n_districts * 4 * cap].reshape(n_districts, 2, 2, cap)
    persons = counts @ np.arange(1, cap + 1, dtype=np.float64)
    large = np.flatnonzero((pop.dependents >= cap) & (pop.status == ACTIVE))
    if len(large):  # households with more dependents than the key holds
        extra = pop.dependents[large].astype(np.float64) - (cap - 1)
        flat = (pop.district[large] * 2 + pop.urban[large]) * 2 + (pop.permit_years[large] > 0)
        persons += np.bincount(flat, weights=extra, minlength=n_districts * 4).reshape(
            n_districts, 2, 2
        )
    persons *= float(ppa)
    by_urban = persons.sum(axis=2)
    return {
        "non_hukou": by_urban.sum(axis=1),
        "urban_non_hukou": by_urban[:, 1],
        "permit_heads": counts[:, :, 1, :].sum(axis=(1, 2)) * float(ppa),
    }
