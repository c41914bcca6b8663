"""Non-registered residents as numpy arrays: synthesis, arrivals, departures, ageing.

One element stands for `persons_per_agent` household heads with identical attributes; each
head lives with `dependents` spouse and minor children who are non-registered too and register
with the head when the head settles. Arrays have spare capacity so that arrivals during a year
append without copying; settled and departed heads are dropped at a year-end compaction.

Every random fact about a head is drawn when the head is created, from streams keyed by what
is drawn and when the head arrived, and stored on the head: row positions, which differ
between scenarios once settlement differs, never decide who is drawn.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from simulation.config import FlowParams, Occupations, PopulationParams
from simulation.hazard import Hazard
from simulation.names import QUEUED_CHANNELS
from simulation.numeric import bucket
from simulation.rng import Streams

ACTIVE, SETTLED, DEPARTED = 0, 1, 2
COMPACT_SLACK = 0.25  # share of inactive rows tolerated before compaction: copying costs
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


class Population:
    """Columns of per-head attributes with room to grow."""

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        """Takes the columns over: each leaves `columns` as it is copied, so that a large
        population is never held twice."""
        self.n = len(columns["district"])
        # np.zeros pages in lazily, so generous room costs little and spares regrowth copies
        capacity = max(16, 2 * self.n)
        self.columns = {name: _grow(columns.pop(name), capacity) for name in ATTRIBUTES}

    def __getattr__(self, name: str) -> np.ndarray:
        columns = self.__dict__.get("columns")  # absent while unpickling or copying
        if columns is None or name not in columns:
            raise AttributeError(name)
        return columns[name][: self.n]

    def __setattr__(self, name: str, value: object) -> None:
        # `pop.age += 1` updates the column in place and then assigns the result back; write it
        # into the column instead of shadowing the column with a stale attribute.
        if name in ATTRIBUTES:
            column = self.columns[name][: self.n]
            if value is not column:
                column[...] = value
            return
        super().__setattr__(name, value)

    def append(self, columns: dict[str, np.ndarray]) -> None:
        k = len(columns["district"])
        if self.n + k > len(self.columns["district"]):
            capacity = int((self.n + k) * 1.5) + 16
            self.columns = {n: _grow(c[: self.n], capacity) for n, c in self.columns.items()}
        for name, column in self.columns.items():
            column[self.n : self.n + k] = columns[name]
        self.n += k

    def compact(self, slack: float = 0.0) -> None:
        """Drop settled and departed heads once they are more than `slack` of the rows.

        Indices change here and nowhere else. Inactive rows left in place are ignored by
        everything that counts or selects heads, which all look at `status`.
        """
        inactive = self.n - int(np.count_nonzero(self.status == ACTIVE))
        if inactive == 0 or inactive <= slack * self.n:
            return
        keep = np.flatnonzero(self.status == ACTIVE)
        for column in self.columns.values():
            column[: len(keep)] = column[keep]
        self.n = len(keep)


def _grow(values: np.ndarray, capacity: int) -> np.ndarray:
    out = np.zeros(capacity, dtype=values.dtype)
    out[: len(values)] = values
    return out


# --- synthesis -----------------------------------------------------------------------------


def _categorical(rng: np.random.Generator, shares: tuple[float, ...], n: int) -> np.ndarray:
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    u = rng.random(n, dtype=np.float32)
    return bucket(cumulative.astype(np.float32)[:-1], u).astype(np.int8)


def _by_district(rng: np.random.Generator, table: np.ndarray, district: np.ndarray) -> np.ndarray:
    """Categories drawn from each head's district's shares (rows of `table`).

    The same uniform draws as `_categorical`, so heads keep their draws when shares change.
    """
    if np.all(table == table[0]):
        return _categorical(rng, tuple(table[0]), len(district))
    cumulative = np.cumsum(table, axis=1)
    cumulative[:, -1] = 1.0
    u = rng.random(len(district), dtype=np.float32)
    below = cumulative.astype(np.float32)[district][:, :-1] <= u[:, None]
    return below.sum(axis=1).astype(np.int8)


def _ages(
    rng: np.random.Generator, p: PopulationParams, table: np.ndarray, district: np.ndarray
) -> np.ndarray:
    band = _by_district(rng, table, district)
    edges = np.asarray(p.age_band_edges)
    low, high = edges[band], edges[band + 1]
    return (low + np.floor(rng.random(len(district)) * (high - low))).astype(np.int16)


def _occupations(rng: np.random.Generator, p: PopulationParams, n: int) -> np.ndarray:
    shares = p.occupations.shares()
    return _categorical(rng, (1 - sum(shares), *shares), n)


def _flag(rng: np.random.Generator, share: float, n: int) -> np.ndarray:
    return rng.random(n, dtype=np.float32) < share


@dataclass(frozen=True)
class Cohort:
    """Heads created together: at the base year-end (`now` 0) or in one arrival step."""

    now: float
    first_id: int
    district: np.ndarray
    urban_share: np.ndarray
    at_base: bool


@dataclass(frozen=True)
class HeadSpec:
    """What new heads are drawn from: the scenario's distributions (citywide or by district),
    where they work, and the hazards of leaving and of taking up a permit or insurance."""

    params: PopulationParams
    names: tuple[str, ...]
    agri_share: float
    work_weights: np.ndarray  # where heads working outside their home district work
    leave: Hazard
    permit: Hazard
    insurance: Hazard
    permit_delay: float  # residence needed before a permit can be had

    def shares(self, name: str) -> np.ndarray:
        return self.params.shares(name, self.names)


def _work_district(rng: np.random.Generator, spec: HeadSpec, home: np.ndarray) -> np.ndarray:
    """Where each head works: at home with the scenario's chance, else a district by weight."""
    n = len(home)
    elsewhere = rng.random(n, dtype=np.float32) >= spec.params.works_in_home_district
    cumulative = np.cumsum(spec.work_weights)
    cumulative[-1] = 1.0
    u = rng.random(n, dtype=np.float32)
    drawn = bucket(cumulative.astype(np.float32)[:-1], u)
    return np.where(elsewhere, drawn, home).astype(np.int16)


def draw_heads(rng: np.random.Generator, spec: HeadSpec, c: Cohort) -> dict[str, np.ndarray]:
    """Attributes of new heads, drawn one after another from the cohort's own stream.

    Every attribute takes the same amount of the stream whatever the scenario's shares (a
    uniform per head, or a fixed number of them), so two scenarios given the same seed give each
    head the same draws wherever their policies agree (common random numbers); the one draw
    whose length depends on a parameter (the Poisson number of dependents) comes last.

    Base-year heads carry years lived in the city and may hold a residence permit; arrivals
    start with neither, and can have a permit only after the residence it requires.
    """
    p = spec.params
    n = len(c.district)
    age = _ages(rng, p, spec.shares("age_band_shares"), c.district)
    tenure = np.zeros(n, dtype=np.int16)
    if c.at_base:
        raw = rng.exponential(p.mean_years_in_city, n)
        tenure = np.minimum(np.floor(raw), np.maximum(age - 16, 0)).astype(np.int16)
    insured = _flag(rng, p.insured_share, n)
    permit = _flag(rng, p.permit_share, n) & c.at_base
    permit_from = c.now if c.at_base else c.now + spec.permit_delay
    rural = _flag(rng, p.rural_origin_share, n)
    social = _flag(rng, p.social_service_share, n)
    points = rng.integers(1, 6, n) * 2
    out = {
        "district": c.district.astype(np.int16),
        "work_district": _work_district(rng, spec, c.district),
        "age": age,
        "education": _by_district(rng, spec.shares("education_shares"), c.district),
        "skill": _by_district(rng, spec.shares("skill_shares"), c.district),
        "occupation": _occupations(rng, p, n),
        "insured": insured,
        "insurance_years": np.where(insured, tenure, 0).astype(np.int16),
        "permit_years": np.where(permit, np.maximum(tenure, 1), 0).astype(np.int16),
        "graduate": _flag(rng, p.graduate_share, n),
        "veteran": _flag(rng, p.veteran_share, n),
        "family_reunion": _flag(rng, p.family_reunion_share, n),
        "outstanding_worker": _flag(rng, p.outstanding_worker_share, n),
        "social_service": np.where(social, points, 0).astype(np.int8),
        "tax": _flag(rng, p.tax_share, n),
        "innovation": _flag(rng, p.innovation_share, n),
        "rural_origin": rural,
        "agri_restricted": rural & _flag(rng, spec.agri_share, n),
        "family_planning_ok": _flag(rng, p.family_planning_compliant_share, n),
        "has_address": _flag(rng, p.address_share, n),
        "willing": _flag(rng, p.willing_share, n),
        "urban": rng.random(n, dtype=np.float32) < c.urban_share[c.district],
        "id": np.arange(c.first_id, c.first_id + n, dtype=np.int64),
        "lottery": rng.random(n, dtype=np.float32),
        "approval": rng.random(n, dtype=np.float32),
        "arrived_at": np.full(n, c.now, dtype=np.float32),
        "leave_at": spec.leave.times(rng.standard_exponential(n), c.now),
        "permit_at": spec.permit.times(rng.standard_exponential(n), permit_from),
        "insured_at": spec.insurance.times(rng.standard_exponential(n), c.now),
        "applied": np.zeros(n, dtype=bool),
        "status": np.zeros(n, dtype=np.int8),
        **{name: np.full(n, value, dtype=ATTRIBUTES[name]) for name, value in LATER.items()},
    }
    # Last: how much of the stream a Poisson draw takes depends on its mean.
    out["dependents"] = np.minimum(rng.poisson(p.mean_dependents, n), 127).astype(np.int8)
    return out


def initial_heads(non_hukou: np.ndarray, ppa: int, mean_dependents: float) -> np.ndarray:
    """Heads per district so that heads plus dependents come closest to the stock."""
    return np.maximum(np.rint(non_hukou / (ppa * (1 + mean_dependents))), 0).astype(np.int64)


def exact_dependents(
    rng: np.random.Generator, district: np.ndarray, non_hukou: np.ndarray, ppa: int
) -> np.ndarray:
    """Dependents spread at random over heads so each district's persons match its stock.

    The stock is matched to within `ppa - 1` persons (the remainder of dividing by `ppa`).
    """
    out = np.zeros(len(district), dtype=np.int64)
    for d, stock in enumerate(non_hukou):
        heads = np.flatnonzero(district == d)
        extra = int(stock) // ppa - len(heads)
        if len(heads) and extra > 0:
            out[heads] = np.bincount(rng.integers(0, len(heads), extra), minlength=len(heads))
    return np.minimum(out, 127).astype(np.int8)


def exact_urban(
    rng: np.random.Generator, district: np.ndarray, persons: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """Urban residence for heads in random order until each district's urban persons are met.

    Matching the table's urban residents (to within one household) keeps the base-year land per
    urban resident, and so the first linkage standard, from depending on the seed.
    """
    urban = np.zeros(len(district), dtype=bool)
    for d, target in enumerate(targets):
        heads = rng.permutation(np.flatnonzero(district == d))
        urban[heads[np.cumsum(persons[heads]) <= target]] = True
    return urban


def synthesize(
    streams: Streams,
    spec: HeadSpec,
    non_hukou: np.ndarray,
    urban_non_hukou: np.ndarray,
    ppa: int,
) -> Population:
    """The base-year population of non-registered residents."""
    heads = initial_heads(non_hukou, ppa, spec.params.mean_dependents)
    district = np.repeat(np.arange(len(non_hukou)), heads)
    share = np.divide(urban_non_hukou, non_hukou, out=np.zeros(len(non_hukou)), where=non_hukou > 0)
    cohort = Cohort(now=0.0, first_id=0, district=district, urban_share=share, at_base=True)
    columns = draw_heads(streams("synthesis"), spec, cohort)
    columns["dependents"] = exact_dependents(
        streams("synthesis", "dependents"), district, non_hukou, ppa
    )
    persons = ppa * (1 + columns["dependents"].astype(np.int64))
    columns["urban"] = exact_urban(
        streams("synthesis", "urban"), district, persons, urban_non_hukou
    )
    # Policy-based cases are demand-driven and decided within the year: whoever qualified
    # before the base year has settled already, so the base-year stock holds none pending.
    for name in ("graduate", "veteran", "family_reunion"):
        columns[name][:] = False
    return Population(columns)


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


def persons_by_district(pop: Population, heads: np.ndarray, ppa: int, n: int) -> np.ndarray:
    """Persons (heads and their dependents) of the given heads, per district."""
    weights = ppa * (1 + pop.dependents[heads].astype(float))
    return np.bincount(pop.district[heads], weights=weights, minlength=n)


@dataclass(frozen=True)
class Registration:
    """Persons registering in one admission, by district of registration (rows) and of
    residence (columns)."""

    main: np.ndarray  # main applicants, by district of registration
    persons: np.ndarray  # main applicants and their dependents
    urban_address: np.ndarray  # of `persons`, those registering at an urban address
    urban_living: np.ndarray  # of `persons`, those living in an urban area

    @property
    def by_registration(self) -> np.ndarray:
        return self.persons.sum(axis=1)

    @property
    def by_residence(self) -> np.ndarray:
        return self.persons.sum(axis=0)

    @property
    def dependents(self) -> np.ndarray:
        return self.by_registration - self.main


def pair_counts(reg: np.ndarray, live: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Weights summed by (district of registration, district of residence)."""
    flat = reg.astype(np.int64) * n + live
    return np.bincount(flat, weights=weights, minlength=n * n).reshape(n, n)


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
    live = pop.district[heads]
    persons = ppa * (1 + pop.dependents[heads].astype(float))
    return Registration(
        main=np.bincount(reg_district, minlength=n) * float(ppa),
        persons=pair_counts(reg_district, live, persons, n),
        urban_address=pair_counts(reg_district, live, persons * urban_address, n),
        urban_living=pair_counts(reg_district, live, persons * pop.urban[heads], n),
    )


def depart(pop: Population, now: float, among: np.ndarray | None = None) -> np.ndarray:
    """Mark active heads whose time to leave has come as departed; returns their indices.

    `among`, if given, are the only heads that can be due (those due this year).
    """
    if among is None:
        leaving = np.flatnonzero((pop.leave_at <= now) & (pop.status == ACTIVE))
    else:
        leaving = among[(pop.leave_at[among] <= now) & (pop.status[among] == ACTIVE)]
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
    pop.age += 1
    holders = pop.permit_years > 0
    pop.permit_years += holders
    pop.permit_years[~holders & (pop.permit_at <= now)] = 1
    pop.insurance_years += pop.insured
    pop.insured |= pop.insured_at <= now
    pop.graduate &= now - pop.arrived_at < 1  # the graduate route lasts a year from arrival
    pop.applied[:] = False
    leaving = np.flatnonzero((pop.age >= return_age) & (pop.status == ACTIVE))
    pop.status[leaving] = DEPARTED
    pop.left_at[leaving] = now
    return leaving


def events_in_year(pop: Population, k: int, ppa: int, n: int) -> dict[str, np.ndarray]:
    """Persons who arrived, left and settled in year `k` (times in (k, k + 1]), per district,
    counted from the heads' own records rather than from the flows' tallies."""
    # Times never lie after the present, so "after k" is "this year". Only heads who are no
    # longer active can have left or settled: look at those alone.
    arrived = np.flatnonzero(pop.arrived_at > k)
    gone = np.flatnonzero(pop.status != ACTIVE)
    left_at, settled_at = pop.left_at[gone], pop.settled_at[gone]
    left = gone[(left_at > k) & (left_at <= k + 1)]
    settled = gone[(settled_at > k) & (settled_at <= k + 1)]
    return {
        "arrived": persons_by_district(pop, arrived, ppa, n),
        "left": persons_by_district(pop, left, ppa, n),
        "settled_living": persons_by_district(pop, settled, ppa, n),
        "settled_registered": np.bincount(
            pop.reg_district[settled],
            weights=ppa * (1 + pop.dependents[settled].astype(float)),
            minlength=n,
        ),
    }


CENSUS_DEPENDENTS = 16  # dependents counted exactly in one pass; the rare larger households apart


def census(pop: Population, n_districts: int, ppa: int) -> dict[str, np.ndarray]:
    """Active non-registered persons, urban ones and permit-holding heads, per district.

    One pass: every head gets one small integer key (inactive, district, urban, permit,
    dependents) and the keys are counted, which is several times faster than weighted sums.
    """
    cap = CENSUS_DEPENDENTS
    kind = np.int16 if 2 * n_districts * 4 * cap < 2**15 else np.int32  # less memory to walk
    key = np.minimum(pop.dependents, np.int8(cap - 1)).astype(kind)
    key += pop.district * kind(4 * cap)
    key += pop.urban * kind(2 * cap)
    key += (pop.permit_years > 0) * kind(cap)
    key += (pop.status != ACTIVE) * kind(n_districts * 4 * cap)
    counts = np.bincount(key, minlength=2 * n_districts * 4 * cap)[: n_districts * 4 * cap]
    counts = counts.reshape(n_districts, 2, 2, cap)
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
