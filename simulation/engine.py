"""One run: the SimPy calendar of each year, passing arrays between the parts of the model.

Within a year (time in years since the base year): arrival and departure events at each flow
step; for every channel and application window, an opening (quota release and a snapshot of
applicants) and, after the processing time, admission of those still present; at year end the
natural change of the registered population, ageing, the audit of the accounts, the land grant
for the year's settlers (which sets next year's per-capita band) and the year's record. Events
are per channel x window and handle all districts in one vectorised pass; no process per person.

The policy arithmetic lives in the parts: population (arrivals, departures, registration),
channels and their quota books, the registry of the registered population, the land book and
the indicators. Each part publishes its own record; the engine merges them.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation import accounts, checks, indicators, numeric, population, synthesis
from simulation.channels import Channel, open_to_apply
from simulation.channels import build as build_channels
from simulation.channels.quota import QuotaBook
from simulation.config import Scenario
from simulation.hazard import Hazard
from simulation.land import LandBook, LandYear, supply_ha
from simulation.names import CHANNELS, CITY, LAND_SOURCES, QUEUED_CHANNELS
from simulation.numeric import normalised
from simulation.population import ACTIVE, Registration
from simulation.record import Record, with_cities
from simulation.registry import Registry
from simulation.results import RunOutput
from simulation.rng import Streams
from simulation.students import Students

if TYPE_CHECKING:
    import simpy


NO_HEADS = np.zeros(0, dtype=np.int64)
NO_HEADS.flags.writeable = False


@dataclass
class Tally:
    """Flows of one year, per district, in persons: settlers by district of registration
    (and by residence), arrivals and departures by district of residence.

    Settlers are added up as (registration x residence) matrices, as each admission counts
    them, and summed by district once, when the year's flows are asked for."""

    n: int
    arrivals: np.ndarray = field(init=False)
    departures: np.ndarray = field(init=False)
    settled: dict[str, np.ndarray] = field(init=False)  # main applicants, by channel
    persons: np.ndarray = field(init=False)  # settlers and their dependents
    urban_address: np.ndarray = field(init=False)  # of `persons`, those at an urban address

    def __post_init__(self) -> None:
        zeros = functools.partial(np.zeros, self.n)
        self.arrivals, self.departures = zeros(), zeros()
        self.settled = {name: zeros() for name in CHANNELS}
        self.persons, self.urban_address = np.zeros((2, self.n, self.n))

    def add_settlers(self, channel: str, registration: Registration) -> None:
        self.settled[channel] += registration.main
        self.persons += registration.persons
        self.urban_address += registration.urban_address

    @property
    def main_applicants(self) -> np.ndarray:
        return np.sum(list(self.settled.values()), axis=0)

    @property
    def dependents(self) -> np.ndarray:
        """Dependents by district of registration (persons are whole numbers: the sums are
        exact in any order)."""
        return self.total - self.main_applicants

    @property
    def by_residence(self) -> np.ndarray:
        return self.persons.sum(axis=0)

    @property
    def urban_by_registration(self) -> np.ndarray:
        return self.urban_address.sum(axis=1)

    @property
    def urban_by_residence(self) -> np.ndarray:
        return self.urban_address.sum(axis=0)

    @property
    def total(self) -> np.ndarray:
        """Settlers and dependents by district of registration."""
        return self.persons.sum(axis=1)

    def record(self) -> Record:
        return with_cities(
            {
                "arrivals": self.arrivals,
                "departures": self.departures,
                **{f"settled_{c}": v for c, v in self.settled.items()},
                "settled_dependents": self.dependents,
                "settled_total": self.total,
                "settled_by_residence": self.by_residence,
            }
        )


class Model:
    """The state of one run and the events that change it."""

    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.ppa = s.persons_per_agent
        self.streams = Streams(s.seed)
        table = s.districts.districts
        self.names = s.districts.names
        self.n = len(table)
        self.registry = Registry(s.districts)
        self.students = Students(s.students, s.districts)
        self.land = LandBook(s.districts, s.land)
        non_hukou = np.array([d.non_hukou_population for d in table], dtype=float)
        urban_non_hukou = _urban_non_hukou(table, non_hukou)
        share = np.array([d.urban_resident_share for d in table])
        self.urban_share = np.where(
            non_hukou > 0, urban_non_hukou / np.maximum(non_hukou, 1), share
        )
        self.base_non_hukou = non_hukou  # where arrivals go unless the scenario says
        self.arrival_carry = np.zeros(self.n)
        # The scenario as each year has it (year series at their values), made once.
        self.by_year = {year: s.at_year(year) for year in s.years}
        self.spec = _head_spec(s, [self.by_year[year] for year in s.years])
        self.pop = synthesis.synthesize(
            self.streams, self.spec, non_hukou, urban_non_hukou, self.ppa
        )
        self.next_id = self.pop.n
        self.settled_ids: list[np.ndarray] = []
        self.params = self.by_year.get(s.base_year + 1, s)
        self.channels = build_channels(self.params.channels)
        self.books = {
            c.name: QuotaBook(c.name, c.quota_per_group, c.schedule, self.n, c.quota_by_district)
            for c in self.channels
            if c.quota_per_group is not None
        }
        self.targets: indicators.TargetTracker | None = None
        self.candidates: dict[str, tuple[int, np.ndarray]] = {}  # per channel: rows seen, found
        # rows last asked about and which of them may apply at all (see `_open`)
        self.open_rows: tuple[tuple[int, int], np.ndarray] = ((0, 0), np.zeros(0, dtype=bool))
        # rows seen, heads due to leave this year (who have not yet), their times to leave
        self.due = (0, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        self.arriving: list[int] = []  # this year's arrivals (drawn in place), step by step

    def start_year(self, year: int, k: int) -> None:
        """The year's parameters (year series at their values) and quotas."""
        self.params = self.by_year[year]
        self.channels = build_channels(self.params.channels)
        for channel in self.channels:
            if channel.name in self.books and channel.quota_per_group is not None:
                self.books[channel.name].start_year(k, channel.quota_per_group)
        self.candidates = {}
        self.open_rows = ((0, 0), np.zeros(0, dtype=bool))
        self.due = (0, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))

    # --- events -----------------------------------------------------------------------------

    def flow_step(self, year: int, k: int, step: int, now: float, tally: Tally) -> None:
        """Departures, then arrivals, of one flow step."""
        heads, times = self._due(k)
        leaving = population.depart(self.pop, now, heads, times)
        later = times > now  # the others have left, or settled before their time came
        self.due = (self.due[0], heads[later], times[later])
        tally.departures += self._persons(leaving)
        if step == 0:
            self.arriving = self._year_arrivals(year, k)
        start = self.pop.n
        self.pop.extend(self.arriving[step])
        tally.arrivals += self._persons(slice(start, self.pop.n))

    def _year_arrivals(self, year: int, k: int) -> list[int]:
        """The year's arrivals, drawn into the rows they take after the heads present (rows
        move only at year end), and how many arrive at each step. How many is fixed in
        advance (fractions of a head carry to the next step), so they are drawn together, each
        district's from its own stream in the order they arrive (step by step): the n-th
        arrival of a district and year gets the same draws however many arrive (common random
        numbers)."""
        f = self.params.flows
        steps = f.steps_per_year
        counts = np.zeros((self.n, steps), dtype=np.int64)  # heads by district and step
        weights = normalised(f.arrival_weights, self.base_non_hukou)
        for step in range(steps):
            counts[:, step], self.arrival_carry = population.arrival_heads(
                f,
                k,
                weights,
                self.ppa * (1 + self.s.population.mean_dependents),
                self.arrival_carry,
            )
        sizes = counts.sum(axis=0)
        district = np.concatenate(
            [np.repeat(np.arange(self.n), counts[:, step]) for step in range(steps)]
        )
        now = np.repeat([k + (step + 0.5) / steps for step in range(steps)], sizes)
        cohort = synthesis.Cohort(now, self.next_id, district, self.urban_share, at_base=False)
        room = self.pop.reserve(len(district))
        synthesis.draw_heads(self.streams, ("arrivals", year), self.spec, cohort, into=room)
        self.next_id += len(district)
        return sizes.tolist()

    def _due(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Heads whose time to leave falls before this year's end, and their times: found once
        a year, then only among the heads who arrived since (each head's time is fixed when it
        is made)."""
        done, due, times = self.due
        if done < self.pop.n:
            pop = self.pop

            def soon(rows: slice) -> np.ndarray:
                leaving = (pop.leave_at[rows] <= k + 1) & (pop.status[rows] == ACTIVE)
                return rows.start + np.flatnonzero(leaving)

            more = np.concatenate(population.each_piece(soon, done, pop.n))
            due = np.concatenate([due, more])
            times = np.concatenate([times, pop.leave_at[more]])
            self.due = (pop.n, due, times)
        return due, times

    def _persons(self, heads: np.ndarray | slice) -> np.ndarray:
        return population.persons_by_district(self.pop, heads, self.ppa, self.n)

    def apply(self, channel: Channel, now: float) -> np.ndarray:
        """Heads applying to a channel at a window opening; first-come channels queue them."""
        applicants = self._eligible(channel)
        applicants = applicants[self.pop.status[applicants] == ACTIVE]
        if channel.name in QUEUED_CHANNELS:
            queue = getattr(self.pop, f"queued_at_{channel.name}")
            queue[applicants] = np.minimum(queue[applicants], np.float32(now))
        return applicants

    def _eligible(self, channel: Channel) -> np.ndarray:
        """Heads meeting the channel's criteria, present or not: found for everyone once a year
        (criteria change only at year end) and then only among the heads who arrived since."""
        done, found = self.candidates.get(channel.name, (0, NO_HEADS))
        if done < self.pop.n:
            open_ = self._open(slice(done, self.pop.n))
            more = population.each_piece(
                lambda rows: channel.eligible(
                    self.pop, rows, open_[rows.start - done : rows.stop - done]
                ),
                done,
                self.pop.n,
            )
            found = np.concatenate([found, *more])
            self.candidates[channel.name] = (self.pop.n, found)
        return found

    def _open(self, rows: slice) -> np.ndarray:
        """Which heads among `rows` may apply at all: the same for every channel asking about
        the same rows, so worked out once for them (read only)."""
        if self.open_rows[0] != (rows.start, rows.stop):
            mask = open_to_apply(self.pop, self.s.reforms, rows)
            mask.flags.writeable = False
            self.open_rows = ((rows.start, rows.stop), mask)
        return self.open_rows[1]

    def admit(self, channel: Channel, applicants: np.ndarray, now: float, tally: Tally) -> None:
        """Decide the applications of one window and register those admitted."""
        channel = self._current(channel)
        applicants = applicants[self.pop.status[applicants] == ACTIVE]
        applicants = applicants[channel.approve(self.pop, applicants)]
        if not len(applicants):  # nothing to rank, book or register
            return
        book = self.books.get(channel.name)
        if book is None:
            admitted = applicants
        else:
            admitted = channel.admit_within_quota(self.pop, applicants, book, self.ppa)
            self.pop.applied[applicants] = True
        self.register(channel, admitted, now, tally)

    def _current(self, channel: Channel) -> Channel:
        """The channel as this year's parameters have it (a window may span no year end, but
        the object may be last year's)."""
        for current in self.channels:
            if current.name == channel.name:
                return current
        return channel

    def register(self, channel: Channel, heads: np.ndarray, now: float, tally: Tally) -> None:
        """Settlers join the registered population where the channel registers them."""
        if not len(heads):  # nobody to add anywhere: spare the bookkeeping of an empty window
            return
        registration = population.register(
            self.pop,
            heads,
            channel.registers_in(self.pop, heads),
            channel.urban_address(self.pop, heads),
            self.ppa,
            self.n,
            now,
        )
        self.settled_ids.append(self.pop.id[heads])
        tally.add_settlers(channel.name, registration)
        self.registry.register(registration)

    # --- year end ---------------------------------------------------------------------------

    def close_year(self, year: int, k: int, tally: Tally, start: Record) -> Record:
        """University moves, natural change and hukou moved out, ageing, the audit, the land
        grant and the year's record."""
        p = self.params
        natural, moved_out = self.registry.year_end(
            p.flows.hukou_natural_growth, p.flows.hukou_out_rate
        )
        enrolled, graduated_out = self.students.year(p.students)
        self.registry.students(enrolled)
        self.registry.students(-graduated_out)
        waiting = self._heads((self.pop.status == ACTIVE) & self.pop.applied)
        leaving = population.age_one_year(self.pop, k + 1.0, p.flows.return_age)
        tally.departures += self._persons(leaving)
        census = population.census(self.pop, self.n, self.ppa)
        events = population.events_in_year(self.pop, k, self.ppa, self.n)
        settled = tally.record()  # the year's flows are all in: their totals are made once
        total = settled["settled_total"][: self.n]
        self._audit(year, tally, total, start, census["non_hukou"], events, enrolled, graduated_out)
        self.pop.compact(slack=population.COMPACT_SLACK)
        stocks = self.stocks(year, census)
        counted = tally.urban_by_registration
        if p.land.settlers_counted_at == "residence":
            counted = tally.urban_by_residence
        growth = (
            stocks["urban_resident_population"][: self.n]
            - start["urban_resident_population"][: self.n]
        )
        existing = start["construction_land_per_capita_m2"][: self.n]
        land_year = self.land.grant(p.land, counted, existing, growth)
        land = land_year.record()
        self._audit_land(year, start, land_year, land)
        quotas: Record = {}
        for name, book in self.books.items():
            groups = self.names if book.per_district else (CITY,)
            accounts.check_quota(year, groups, name, book.released, book.used)
            quotas.update(book.record())
            book.close_year()
        flows = {
            **settled,
            **with_cities(
                {
                    "hukou_natural_change": natural,
                    "hukou_moved_out": moved_out,
                    "student_hukou_in": enrolled,
                    "hukou_moved_in": total + enrolled,
                    "student_hukou_out": graduated_out,
                    "applicants_waiting": waiting,
                }
            ),
            **quotas,
            **land,
            **indicators.fiscal(
                total, tally.main_applicants, settled["settled_dependents"][: self.n], p.fiscal
            ),
        }
        # Land granted at year end adds to the stock the year's record shows.
        return {**stocks, **self.land.stock_record(stocks["urban_resident_population"]), **flows}

    def _heads(self, mask: np.ndarray) -> np.ndarray:
        """Persons counted by head only (no dependents) where `mask` holds, per district."""
        rows = np.flatnonzero(mask)
        return np.bincount(self.pop.district[rows], minlength=self.n) * float(self.ppa)

    def _audit(
        self,
        year: int,
        tally: Tally,
        settled_total: np.ndarray,
        start: Record,
        non_hukou: np.ndarray,
        events: dict[str, np.ndarray],
        enrolled: np.ndarray,
        graduated_out: np.ndarray,
    ) -> None:
        """Stocks against flows counted apart from them (see `simulation.accounts`)."""
        p = self.params.flows
        start_hukou = start["hukou_population"][: self.n]
        accounts.check_people(
            year,
            self.names,
            start_non_hukou=start["non_hukou_population"][: self.n],
            start_hukou=start_hukou,
            events=events,
            natural_rate=p.hukou_natural_growth,
            out_rate=p.hukou_out_rate,
            students=(enrolled, graduated_out),
            non_hukou=non_hukou,
            hukou=self.registry.hukou,
        )
        accounts.check_urban_parts(
            year,
            self.names,
            self.registry.persons,
            {
                "registered persons at an urban address": self.registry.urban_address,
                "registered persons living in urban areas": self.registry.urban_living,
            },
        )
        accounts.check_tally(
            year,
            self.names,
            {
                "arrivals": (tally.arrivals, events["arrived"]),
                "departures": (tally.departures, events["left"]),
                "settled persons": (settled_total, events["settled_registered"]),
                "settled persons by residence": (tally.by_residence, events["settled_living"]),
            },
        )

    def _audit_land(self, year: int, start: Record, land_year: LandYear, land: Record) -> None:
        """The land stock against the land drawn from its sources, then its bounds (see
        `simulation.accounts`)."""
        params = self.params.land
        before = start["urban_construction_land_ha"][: self.n]
        accounts.check_land_flows(
            year,
            self.names,
            start=before,
            end=self.land.stock_ha,
            supplied={source: supply_ha(params, source) for source in LAND_SOURCES},
            drawn=land_year.drawn,
            published={name: values[: self.n] for name, values in land.items()},
        )
        accounts.check_land(
            year,
            self.names,
            self.land.stock_ha,
            self.land.ceiling_ha,
            land_year.grant.linked_ha,
            land_year.entitlement,
            before,
        )

    # --- records ----------------------------------------------------------------------------

    def stocks(self, year: int, census: dict[str, np.ndarray]) -> Record:
        """Population and urbanization at year end, and the targets."""
        urban = indicators.urbanization(
            self.registry.hukou,
            self.registry.urban_hukou,
            self.registry.residents,
            self.registry.urban_residents,
            census["non_hukou"],
            census["urban_non_hukou"],
            self.s.targets.hukou_rate_denominator if self.s.targets else "hukou",
        )
        record = {
            **urban,
            **with_cities(
                {
                    "residence_permit_holders": census["permit_heads"],
                    "students_registered": self.students.registered,
                }
            ),
        }
        if self.s.targets is not None:
            if self.targets is None:  # the base year: the published series is matched here
                self.targets = indicators.TargetTracker(self.s.targets, year, urban, self.n)
            record.update(self.targets.record(year, urban))
        return record


def _urban_non_hukou(table: Any, non_hukou: np.ndarray) -> np.ndarray:
    """Urban non-registered persons implied by the district table (urban residents less urban
    registered residents; the table is checked to make this lie within the stock)."""
    urban = [
        d.urban_resident_share * d.resident_population - d.urban_hukou_population for d in table
    ]
    return np.clip(np.rint(urban), 0.0, non_hukou)


def _head_spec(s: Scenario, years: list[Scenario]) -> synthesis.HeadSpec:
    """How heads are drawn, with hazards over the run's years (`years`: the scenario as each
    year has it)."""
    by_year = [y.flows for y in years]
    residents = np.array([d.resident_population for d in s.districts.districts], dtype=float)
    return synthesis.HeadSpec(
        params=s.population,
        names=s.districts.names,
        agri_share=s.reforms.agricultural_restricted_share,
        work_weights=normalised(s.population.work_weights, residents),
        leave=Hazard([f.departure_rate for f in by_year]),
        permit=Hazard([f.permit_uptake for f in by_year]),
        insurance=Hazard([f.insurance_uptake for f in by_year]),
        permit_delay=s.flows.permit_min_residence_years,
    )


def _year(
    env: simpy.Environment, model: Model, year: int, k: int, tally: Tally
) -> Generator[Any, Any, None]:
    model.start_year(year, k)
    procs = [env.process(_flows(env, model, year, k, tally))]
    for channel in model.channels:
        for opening in channel.schedule.windows:
            procs.append(env.process(_window(env, model, channel, opening, tally)))
    yield env.all_of(procs)
    yield env.timeout(k + 1 - env.now)


def _flows(
    env: simpy.Environment, model: Model, year: int, k: int, tally: Tally
) -> Generator[Any, Any, None]:
    steps = model.s.flows.steps_per_year
    for step in range(steps):
        yield env.timeout(k + (step + 0.5) / steps - env.now)
        model.flow_step(year, k, step, env.now, tally)


def _window(
    env: simpy.Environment, model: Model, channel: Channel, opening: float, tally: Tally
) -> Generator[Any, Any, None]:
    """One application window: release quota and take applications, decide after processing."""
    yield env.timeout(opening)
    # At a moment shared with a flow step, let arrivals and departures happen first: this
    # zero delay is scheduled after the flow step's event, which was scheduled earlier.
    yield env.timeout(0)
    if channel.name in model.books:
        model.books[channel.name].release()
    applicants = model.apply(channel, env.now)
    yield env.timeout(channel.schedule.processing_years)
    model.admit(channel, applicants, env.now, tally)


def _calendar(env: simpy.Environment, model: Model, out: list[Record]) -> Generator[Any, Any, None]:
    for k, year in enumerate(model.s.years):
        tally = Tally(model.n)
        yield env.process(_year(env, model, year, k, tally))
        out.append(model.close_year(year, k, tally, out[-1]))


def run_model(s: Scenario) -> tuple[Model, RunOutput]:
    """Run one scenario from its base year to its horizon; the final state and the records."""
    model = Model(s)
    census = population.census(model.pop, model.n, model.ppa)
    base = model.stocks(s.base_year, census)
    records: list[Record] = [{**base, **model.land.stock_record(base["urban_resident_population"])}]
    import simpy  # here, not at the top: importing it costs `import simulation` a tenth

    env = simpy.Environment()
    env.process(_calendar(env, model, records))
    env.run()
    out = RunOutput(
        years=(s.base_year, *s.years),
        districts=(*model.names, "ALL"),
        records=tuple(records),
    )
    return model, out


# Runs expected to take this much memory or more keep numpy from advising huge pages while
# they go (`numeric.small_pages`). On the default, a fresh run at 1 and 2 persons per agent
# (about 770 and 460 MiB) took 10 % and 3 % less time so; at 6 (about 260 MiB) 5 % more.
SMALL_PAGES_FROM_MIB = 400.0


def simulate(s: Scenario) -> RunOutput:
    """Run one scenario from its base year to its horizon."""
    numeric.cores()  # a bad PEOPLELAND_THREADS setting is refused at the start of any run
    large = checks.memory_mib(s) >= SMALL_PAGES_FROM_MIB
    with numeric.small_pages() if large else contextlib.nullcontext():
        return run_model(s)[1]
