"""Drawing new household heads: the base-year population and each year's arrivals.

Every random fact about a head is drawn when the head is created and stored on it, so row
positions (which differ between scenarios once settlement differs) never decide who is drawn.
Each district of a cohort (the base year, or a year's arrivals) draws from its own stream, and
each of its heads has `len(DRAWS)` uniforms of that stream, one per entry of `DRAWS`, whatever
the scenario's shares and rates: exponential waiting times and the number of dependents come
from their uniforms by inverting their distributions. The stream is read `CHUNK` heads at a
time, laid out draw by draw (all the chunk's ages, then all its educations, ...), so that the
arithmetic reads each draw contiguously. Where a head's draws lie depends only on its place in
its district's cohort: the n-th head of a district's cohort gets the same draws in two scenarios
given the same seed, even when one of them has more arrivals (common random numbers), and keeps
them wherever the two scenarios' policies agree.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from simulation import numeric
from simulation.config import SHARE_FIELDS, PopulationParams
from simulation.hazard import Hazard
from simulation.numeric import bucket
from simulation.population import ATTRIBUTES, LATER, Population
from simulation.rng import Streams

# Heads whose attributes are worked out together: bounds the memory a large cohort's draws take.
# Where a head's draws lie does not depend on it.
BLOCK = 1 << 16
# Blocks of a cohort from which the next block's numbers are drawn on a second thread while
# this block's attributes are worked out. With fewer, the threads' taking turns with the
# interpreter and for memory costs about what they save (measured at 6 persons per agent).
AHEAD_FROM = 8
# Heads whose draws a stream lays out together, draw by draw: fixed, as it decides which
# uniform is whose. A district's cohort draws whole chunks (the unused end of its last one is
# left), so it is small next to a small run's district cohorts of tens to hundreds of heads:
# at 100 persons per agent, 6 % more heads are drawn than used (34 % with chunks of 256).
CHUNK = 64

# Uniform draws of each head, in order. The flags from "insured" to "willing" compare their
# draw with the scenario's share.
UNIFORM = (
    "age_band",
    "age_within",
    "education",
    "skill",
    "occupation",
    "works_elsewhere",
    "work_district",
    "social_points",
    "urban",
    "lottery",
    "approval",
    "insured",
    "permit",
    "rural_origin",
    "agri_restricted",
    "social_service",
    "graduate",
    "veteran",
    "family_reunion",
    "outstanding_worker",
    "tax",
    "innovation",
    "family_planning_ok",
    "has_address",
    "willing",
)
FLAGS = UNIFORM[UNIFORM.index("insured") :]
# Flags stored as drawn; the permit flag sets tenure, and the other two work out attributes.
KEPT_FLAGS = tuple(f for f in FLAGS if f not in ("permit", "agri_restricted", "social_service"))
# Standard exponential waiting times, each from its own uniform (tenure used at the base only).
EXPONENTIAL = ("leave", "permit_uptake", "insurance_uptake", "tenure")
# Every draw of a head, in the order it takes them from its district's stream.
DRAWS = (*UNIFORM, *EXPONENTIAL, "dependents")
ROW = {name: i for i, name in enumerate(DRAWS)}
MAX_DEPENDENTS = 127


@dataclass(frozen=True)
class Cohort:
    """Heads created together: at the base year-end (`now` 0), or a year's arrivals (`now`,
    per head, the moment of the step each arrives in)."""

    now: float | np.ndarray
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

    @functools.cached_property
    def tables(self) -> dict[str, np.ndarray]:
        """Cumulative shares of every category drawn, and the dependents' Poisson CDF."""
        occupations = self.params.occupations.shares()
        edges = np.asarray(self.params.age_band_edges, dtype=np.float32)
        return {
            **{name: cumulative(self.shares(name)) for name in SHARE_FIELDS},
            "occupation": cumulative(np.array([1 - sum(occupations), *occupations])),
            "work": cumulative(self.work_weights),
            "dependents": reachable(poisson_cdf(self.params.mean_dependents)),
            "age_edges": edges,
            "age_widths": np.diff(edges),
        }

    def thresholds(self, cohort: Cohort) -> np.ndarray:
        """The share each flag's draw is compared with, in the order of `FLAGS`."""
        p = self.params
        permit = p.permit_share if cohort.at_base else 0.0  # arrivals hold none yet
        values = {
            "insured": p.insured_share,
            "permit": permit,
            "rural_origin": p.rural_origin_share,
            "agri_restricted": self.agri_share,
            "social_service": p.social_service_share,
            "graduate": p.graduate_share,
            "veteran": p.veteran_share,
            "family_reunion": p.family_reunion_share,
            "outstanding_worker": p.outstanding_worker_share,
            "tax": p.tax_share,
            "innovation": p.innovation_share,
            "family_planning_ok": p.family_planning_compliant_share,
            "has_address": p.address_share,
            "willing": p.willing_share,
        }
        return np.array([values[name] for name in FLAGS], dtype=np.float32)[:, None]


def categories(cumulative: np.ndarray, district: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A category for each head from its district's cumulative shares (rows of `cumulative`,
    the last 1) and its uniform draw."""
    if np.all(cumulative == cumulative[0]):
        return bucket(cumulative[0, :-1], u).astype(np.int8)
    below = cumulative[district][:, :-1] <= u[:, None]
    return below.sum(axis=1).astype(np.int8)


def cumulative(shares: np.ndarray) -> np.ndarray:
    """Cumulative shares (rows), the last exactly 1, as float32 like the draws."""
    out = np.cumsum(np.atleast_2d(shares), axis=1)
    out[:, -1] = 1.0
    return out.astype(np.float32)


def poisson_cdf(mean: float) -> np.ndarray:
    """P(X <= k) for a Poisson X, k = 0 .. MAX_DEPENDENTS - 1: inverting it turns one uniform
    into one Poisson draw, so the stream's use does not depend on the mean."""
    if mean <= 0:
        return np.ones(MAX_DEPENDENTS)
    k = np.arange(MAX_DEPENDENTS)
    log_factorial = np.array([math.lgamma(x + 1) for x in range(MAX_DEPENDENTS)])
    return np.cumsum(np.exp(k * math.log(mean) - mean - log_factorial))


def draw_heads(
    streams: Streams,
    key: tuple[str | int, ...],
    spec: HeadSpec,
    c: Cohort,
    into: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Attributes of new heads (see the module's docstring for how they are drawn).

    District d's heads draw from the stream `streams(*key, name of d)`, in the order the cohort
    lists them (which may interleave districts). Base-year heads carry years lived in the city
    and may hold a residence permit; arrivals start with neither, and can have a permit only
    after the residence it requires.

    The attributes are written `into` the arrays given (one per attribute, a row per head of
    the cohort: a population's room for them, say), else into new ones; returns them.
    """
    n = len(c.district)
    out = into if into is not None else {name: np.empty(n, dt) for name, dt in ATTRIBUTES.items()}
    out["district"][:] = c.district
    out["id"][:] = np.arange(c.first_id, c.first_id + n)
    out["arrived_at"][:] = c.now
    out["applied"][:] = False
    out["status"][:] = 0
    for name, value in LATER.items():
        out[name][:] = value
    thresholds = spec.thresholds(c)
    if n <= BLOCK:  # one block: each district's draws taken at once
        drawn = _one_block(streams, key, spec.names, c.district)
        _fill(out, slice(0, n), c, spec, spec.tables, drawn, thresholds)
        return out
    u = np.empty((len(DRAWS), BLOCK), dtype=np.float32)  # a row per draw
    draws = _CohortDraws(streams, key, spec.names, c.district)
    blocks = [slice(start, min(n, start + BLOCK)) for start in range(0, n, BLOCK)]
    if len(blocks) < AHEAD_FROM or numeric.cores() < 2:
        for rows in blocks:
            _fill(out, rows, c, spec, spec.tables, draws.block(rows, u), thresholds)
        return out
    # Many blocks: a second thread draws the next block's numbers while this one works out the
    # attributes of the block just drawn (numpy lets go of the interpreter for both). The same
    # numbers go to the same heads either way: each district's stream is read in the cohort's
    # order.
    buffers = (u, np.empty_like(u))
    with ThreadPoolExecutor(max_workers=1) as helper:
        ahead = helper.submit(draws.block, blocks[0], buffers[0])
        for i, rows in enumerate(blocks):
            drawn = ahead.result()
            if i + 1 < len(blocks):
                ahead = helper.submit(draws.block, blocks[i + 1], buffers[(i + 1) % 2])
            _fill(out, rows, c, spec, spec.tables, drawn, thresholds)
    return out


def _one_block(
    streams: Streams, key: tuple[str | int, ...], names: tuple[str, ...], district: np.ndarray
) -> np.ndarray:
    """The draws of a cohort of at most `BLOCK` heads: a column per head, a row per draw.

    Each district's stream is read once, for all the chunks its heads take, and the chunks of
    every district are laid side by side, a row per draw; each run of heads of one district
    then copies its columns from there. This spares reading the streams run by run, as for a
    cohort listed step by step.
    """
    n, width = len(district), len(DRAWS)
    heads = np.bincount(district, minlength=len(names)).tolist()
    chunks = [-(-count // CHUNK) for count in heads]
    lanes = sum(chunks) * CHUNK
    # The tables share one allocation: several this large, made and freed together each
    # year, would be given back to the system and paged in afresh each time.
    memory = np.empty(width * (2 * lanes + n), dtype=np.float32)
    drawn = memory[: width * lanes].reshape(-1, width, CHUNK)
    next_lane = []  # of each district: its heads' lanes start there
    at = 0
    for d, count in enumerate(chunks):
        next_lane.append(at * CHUNK)
        if count:
            part = drawn[at : at + count]
            uniforms(streams(*key, names[d]).bit_generator, part.shape, out=part)
            at += count
    side_by_side = memory[width * lanes : 2 * width * lanes].reshape(width, -1, CHUNK)
    side_by_side[...] = drawn.swapaxes(0, 1)
    columns = side_by_side.reshape(width, lanes)
    u = memory[2 * width * lanes :].reshape(width, n)
    for start, stop in itertools.pairwise(_run_bounds(district)):
        d = int(district[start])
        lane = next_lane[d]
        u[:, start:stop] = columns[:, lane : lane + stop - start]
        next_lane[d] = lane + stop - start
    return u


def _run_bounds(district: np.ndarray) -> list[int]:
    """Where each run of heads of one district starts, in the cohort's order, and the end."""
    return [*np.flatnonzero(np.diff(district, prepend=-1)).tolist(), len(district)]


class _CohortDraws:
    """The draws of a cohort's heads, a block of them at a time in the cohort's order: each
    district's from its own stream `streams(*key, name of the district)`."""

    def __init__(
        self,
        streams: Streams,
        key: tuple[str | int, ...],
        names: tuple[str, ...],
        district: np.ndarray,
    ) -> None:
        self.streams, self.key, self.names, self.district = streams, key, names, district
        self.bounds = _run_bounds(district)
        self.run = 0  # the run the next block starts in
        self.sources: dict[int, _Draws] = {}

    def block(self, rows: slice, u: np.ndarray) -> np.ndarray:
        """The draws of heads `rows`, the block after the last one asked for, into the first
        columns of `u` (a column per head, a row per draw); returns those columns."""
        at = rows.start
        while at < rows.stop:
            while self.bounds[self.run + 1] <= at:
                self.run += 1
            end = min(rows.stop, self.bounds[self.run + 1])
            d = int(self.district[at])
            if d not in self.sources:
                self.sources[d] = _Draws(self.streams(*self.key, self.names[d]))
            self.sources[d].take(u[:, at - rows.start : end - rows.start])
            at = end
        return u[:, : rows.stop - rows.start]


class _Draws:
    """One district's draws in a cohort: its stream read a chunk of `CHUNK` heads at a time,
    each chunk laid out draw by draw."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.bits = rng.bit_generator
        self.chunk = np.empty((len(DRAWS), CHUNK), dtype=np.float32)
        self.at = CHUNK  # heads of `chunk` already taken

    def take(self, into: np.ndarray) -> None:
        """The next heads' draws into `into` (a column per head, a row per draw)."""
        count = into.shape[1]
        done = min(count, CHUNK - self.at)  # the rest of the chunk begun
        into[:, :done] = self.chunk[:, self.at : self.at + done]
        self.at += done
        while done < count:  # then new chunks
            chunks = min(-(-(count - done) // CHUNK), CHUNKS_AT_ONCE)
            whole = min(chunks, (count - done) // CHUNK)
            drawn = uniforms(self.bits, (chunks, len(DRAWS), CHUNK))
            part = into[:, done : done + whole * CHUNK]
            part.reshape(len(DRAWS), whole, CHUNK, copy=False)[...] = drawn[:whole].swapaxes(0, 1)
            done += whole * CHUNK
            if whole < chunks:  # the last chunk is begun: keep it for the next heads
                self.chunk, self.at = drawn[-1].copy(), count - done  # not all of `drawn`
                into[:, done:] = self.chunk[:, : self.at]
                return


# Chunks drawn by one call at most: their raw bits and floats (480 KiB) stay in a 1 MiB cache.
CHUNKS_AT_ONCE = 32
_FLOAT32_STEP = np.float32(2.0**-24)
_RAW_HALVES = sys.byteorder == "little"
# Fewer numbers are drawn the usual way: the three calls cost more than they save.
RAW_FROM = 8 * len(DRAWS) * CHUNK


def _raw_halves_match(bits: np.random.BitGenerator) -> bool:
    return _RAW_HALVES and isinstance(bits, np.random.PCG64) and not bits.state["has_uint32"]


def uniforms(
    bits: np.random.BitGenerator, shape: tuple[int, ...], out: np.ndarray | None = None
) -> np.ndarray:
    """The numbers `np.random.Generator(bits).random(shape, dtype=np.float32)` draws, into
    `out` if given (C-contiguous, of that shape).

    Many are made from the generator's raw 64-bit outputs, which is quicker: numpy makes a
    float32 from the top 24 bits of each 32-bit half, low half first, the order of the halves in
    memory here. This holds when no half is left over from an earlier odd count of draws, and
    an even count leaves none.
    """
    size = math.prod(shape)
    if size < RAW_FROM or size % 2 or not _raw_halves_match(bits):
        return np.random.Generator(bits).random(shape, dtype=np.float32, out=out)
    halves = bits.random_raw(size // 2).view(np.uint32).reshape(shape)
    np.right_shift(halves, 8, out=halves)
    return np.multiply(halves, _FLOAT32_STEP, out=out, dtype=np.float32, casting="unsafe")


def _fill(
    out: dict[str, np.ndarray],
    rows: slice,
    c: Cohort,
    spec: HeadSpec,
    tables: dict[str, np.ndarray],
    u: np.ndarray,
    thresholds: np.ndarray,
) -> None:
    """One block's attributes from its draws (a row of `u` per entry of `DRAWS`)."""
    p = spec.params
    district = c.district[rows]
    now = c.now[rows] if isinstance(c.now, np.ndarray) else c.now
    band = categories(tables["age_band_shares"], district, u[ROW["age_band"]])
    low, width = tables["age_edges"][band], tables["age_widths"][band]
    age = (low + np.floor(u[ROW["age_within"]] * width)).astype(np.int16)
    out["age"][rows] = age
    out["education"][rows] = categories(tables["education_shares"], district, u[ROW["education"]])
    out["skill"][rows] = categories(tables["skill_shares"], district, u[ROW["skill"]])
    out["occupation"][rows] = bucket(tables["occupation"][0, :-1], u[ROW["occupation"]])
    elsewhere = u[ROW["works_elsewhere"]] >= p.works_in_home_district
    drawn = bucket(tables["work"][0, :-1], u[ROW["work_district"]])
    out["work_district"][rows] = np.where(elsewhere, drawn, district)
    flags = u[ROW[FLAGS[0]] : ROW[FLAGS[-1]] + 1] < thresholds
    flag = dict(zip(FLAGS, flags, strict=True))
    for name in KEPT_FLAGS:
        out[name][rows] = flag[name]
    np.logical_and(flag["rural_origin"], flag["agri_restricted"], out=out["agri_restricted"][rows])
    points = (np.floor(u[ROW["social_points"]] * 5) + 1) * 2  # 2-10 points
    out["social_service"][rows] = np.where(flag["social_service"], points, 0)
    out["urban"][rows] = u[ROW["urban"]] < c.urban_share[district]
    out["lottery"][rows] = u[ROW["lottery"]]
    out["approval"][rows] = u[ROW["approval"]]
    # The clocks of leaving and of taking up a permit and insurance, and at the base tenure:
    # adjacent draws, made exponential in one go (arrivals have no tenure to draw).
    drawn_clocks = exponential(u[ROW[EXPONENTIAL[0]] : ROW[EXPONENTIAL[-1]] + c.at_base])
    clock = dict(zip(EXPONENTIAL, drawn_clocks, strict=False))
    if c.at_base:  # years lived in the city so far
        raw = p.mean_years_in_city * clock["tenure"]
        tenure = np.minimum(np.floor(raw), np.maximum(age - 16, 0)).astype(np.int16)
        out["insurance_years"][rows] = np.where(flag["insured"], tenure, 0)
        out["permit_years"][rows] = np.where(flag["permit"], np.maximum(tenure, 1), 0)
    else:  # arrivals have paid no insurance here yet, and hold no permit (threshold 0)
        out["insurance_years"][rows] = 0
        out["permit_years"][rows] = 0
    permit_from = now if c.at_base else now + spec.permit_delay
    out["leave_at"][rows] = spec.leave.times(clock["leave"], now)
    out["permit_at"][rows] = spec.permit.times(clock["permit_uptake"], permit_from)
    out["insured_at"][rows] = spec.insurance.times(clock["insurance_uptake"], now)
    out["dependents"][rows] = bucket(tables["dependents"], u[ROW["dependents"]])


def reachable(cdf: np.ndarray) -> np.ndarray:
    """The entries of a CDF that a float32 uniform draw can reach: the number of entries at or
    below a draw, its category, is the same counted over these alone, and they are few."""
    highest = np.nextafter(np.float32(1), np.float32(0))
    return cdf[cdf <= highest]


def exponential(u: np.ndarray) -> np.ndarray:
    """Standard exponential draws from uniforms on [0, 1), by inverting the distribution."""
    return -np.log1p(-u)


# --- the base year ------------------------------------------------------------------------


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
    return np.minimum(out, MAX_DEPENDENTS).astype(np.int8)


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
    district = np.repeat(np.arange(len(non_hukou), dtype=np.int16), heads)
    share = np.divide(urban_non_hukou, non_hukou, out=np.zeros(len(non_hukou)), where=non_hukou > 0)
    cohort = Cohort(now=0.0, first_id=0, district=district, urban_share=share, at_base=True)
    pop = Population.empty(len(district))
    columns = draw_heads(streams, ("synthesis",), spec, cohort, into=pop.reserve(len(district)))
    columns["dependents"][:] = exact_dependents(
        streams("synthesis", "dependents"), district, non_hukou, ppa
    )
    persons = ppa * (1 + columns["dependents"].astype(np.int64))
    columns["urban"][:] = exact_urban(
        streams("synthesis", "urban"), district, persons, urban_non_hukou
    )
    del persons
    # Policy-based cases are demand-driven and decided within the year: whoever qualified
    # before the base year has settled already, so the base-year stock holds none pending.
    for name in ("graduate", "veteran", "family_reunion"):
        columns[name][:] = False
    pop.extend(len(district))
    return pop
