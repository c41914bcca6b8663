"""One run: the SimPy calendar of each year, wiring population, channels, land and indicators.

Within a year (time in years since the base year): arrival and departure events at each flow
step; for every channel and application window, an opening (quota release and a snapshot of
applicants) and, after the processing time, admission of those still present; at year end the
natural change of the registered population, ageing, the audit of the accounts, the land grant
for the year's settlers (which sets next year's per-capita band) and the year's record. Events
are per channel x window and handle all districts in one vectorised pass; no process per person.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from simulation import accounts, indicators, land, population
from simulation.channels import Channel, admit_in_order, open_to_apply
from simulation.channels import build as build_channels
from simulation.channels.quota import QuotaBook
from simulation.config import Scenario
from simulation.population import ACTIVE, SETTLED
from simulation.results import Record, RunOutput
from simulation.rng import Streams
from simulation.variables import SETTLED_BY_CHANNEL


@dataclass
class Tally:
    """Flows of one year, per district, in persons."""

    n: int
    arrivals: np.ndarray = field(init=False)
    departures: np.ndarray = field(init=False)
    settled: dict[str, np.ndarray] = field(init=False)
    dependents: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.arrivals = np.zeros(self.n)
        self.departures = np.zeros(self.n)
        self.settled = {name: np.zeros(self.n) for name in SETTLED_BY_CHANNEL}
        self.dependents = np.zeros(self.n)

    @property
    def main_applicants(self) -> np.ndarray:
        return np.sum(list(self.settled.values()), axis=0)

    @property
    def total(self) -> np.ndarray:
        return self.main_applicants + self.dependents


class Model:
    """The state of one run and the events that change it."""

    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.ppa = s.persons_per_agent
        self.streams = Streams(s.seed)
        table = s.districts.districts
        self.names = s.districts.names
        self.n = len(table)
        self.hukou = np.array([d.hukou_population for d in table], dtype=float)
        self.urban_hukou = np.array([d.urban_hukou_population for d in table], dtype=float)
        self.land_ha = np.array([d.urban_construction_land_ha for d in table], dtype=float)
        self.ceiling_ha = land.ceilings(self.land_ha, s.land.ceiling_headroom)
        self.central = np.array([n in s.land.central_districts for n in self.names])
        non_hukou = np.array([d.non_hukou_population for d in table], dtype=float)
        urban_non_hukou = _urban_non_hukou(table, non_hukou)
        share = np.array([d.urban_resident_share for d in table])
        self.urban_share = np.where(
            non_hukou > 0, urban_non_hukou / np.maximum(non_hukou, 1), share
        )
        self.arrival_weights = _arrival_weights(s.flows.arrival_weights, non_hukou)
        self.arrival_carry = np.zeros(self.n)
        self.pop = population.synthesize(
            self.streams,
            s.population,
            s.flows,
            s.reforms.agricultural_restricted_share,
            non_hukou,
            urban_non_hukou,
            self.ppa,
        )
        self.next_id = self.pop.n
        self.settled_ids: list[np.ndarray] = []
        self.gap_offset: float | None = None
        self.channels = build_channels(s.channels)
        self.books = {
            c.name: QuotaBook(c.quota_per_group, c.schedule)
            for c in self.channels
            if c.quota_per_group is not None
        }

    # --- stocks -----------------------------------------------------------------------------

    def census(self) -> dict[str, np.ndarray]:
        return population.census(self.pop, self.n, self.ppa)

    def heads(self, mask: np.ndarray) -> np.ndarray:
        """Persons counted by head only (no dependents) where `mask` holds, per district."""
        return np.bincount(self.pop.district, weights=mask, minlength=self.n) * float(self.ppa)

    # --- events -----------------------------------------------------------------------------

    def flow_step(self, year: int, k: int, step: int, now: float, tally: Tally) -> None:
        """Departures, then arrivals, of one flow step."""
        f = self.s.flows
        leaving = population.depart(self.pop, now)
        tally.departures += self._persons_by_district(leaving)
        count, self.arrival_carry = population.arrival_heads(
            f,
            k,
            self.arrival_weights,
            self.ppa * (1 + self.s.population.mean_dependents),
            self.arrival_carry,
        )
        district = np.repeat(np.arange(self.n), count)
        cohort = population.Cohort(now, self.next_id, district, self.urban_share, at_base=False)
        columns = population.draw_heads(
            lambda attr: self.streams("arrivals", year, step, attr),
            self.s.population,
            f,
            self.s.reforms.agricultural_restricted_share,
            cohort,
        )
        self.next_id += len(district)
        start = self.pop.n
        self.pop.append(columns)
        tally.arrivals += self._persons_by_district(np.arange(start, self.pop.n))

    def _persons_by_district(self, heads: np.ndarray) -> np.ndarray:
        weights = self.ppa * (1 + self.pop.dependents[heads].astype(float))
        return np.bincount(self.pop.district[heads], weights=weights, minlength=self.n)

    def apply(self, channel: Channel, now: float) -> np.ndarray:
        """Heads applying to a channel at a window opening; quota channels queue them."""
        applicants = channel.eligible(self.pop, open_to_apply(self.pop, self.s.reforms))
        if channel.quota_per_group is not None:
            queued = self.pop.queued_at[applicants]
            self.pop.queued_at[applicants] = np.minimum(queued, np.float32(now))
        return applicants

    def admit(self, channel: Channel, applicants: np.ndarray, tally: Tally) -> None:
        """Decide the applications of one window and register those admitted."""
        applicants = applicants[self.pop.status[applicants] == ACTIVE]
        applicants = applicants[channel.approve(self.pop, applicants)]
        book = self.books.get(channel.name)
        if book is None:
            admitted = applicants
        else:
            ordered = channel.rank(self.pop, applicants)
            groups = channel.groups(self.pop, ordered)
            cost = self._quota_cost(channel, ordered)
            chosen = admit_in_order(ordered, groups, cost, book.remaining())
            book.use(np.bincount(groups[chosen], weights=cost[chosen], minlength=len(book.annual)))
            admitted = ordered[chosen]
            self.pop.applied[ordered] = True
        self._register(channel.name, admitted, tally)

    def _quota_cost(self, channel: Channel, heads: np.ndarray) -> np.ndarray:
        cost = np.full(len(heads), float(self.ppa))
        if channel.schedule.quota_counts_dependents:
            cost *= 1 + self.pop.dependents[heads]
        return cost

    def _register(self, channel: str, heads: np.ndarray, tally: Tally) -> None:
        """Settlers and their dependents join the registered population where they live (§5).

        A settler registers at their address, urban or rural, so settling moves nobody: the
        resident urbanization rate is unchanged and the hukou rate moves by where settlers live.
        """
        self.pop.status[heads] = SETTLED
        self.pop.applied[heads] = False
        self.settled_ids.append(self.pop.id[heads])
        main = np.bincount(self.pop.district[heads], minlength=self.n) * float(self.ppa)
        persons = self._persons_by_district(heads)
        tally.settled[channel] += main
        tally.dependents += persons - main
        self.hukou += persons
        self.urban_hukou += self._persons_by_district(heads[self.pop.urban[heads]])

    # --- year end ---------------------------------------------------------------------------

    def close_year(self, year: int, k: int, tally: Tally, start: Record) -> Record:
        """Natural change, ageing, the audit, the land grant and the year's record."""
        s = self.s
        natural, urban_natural = population.natural_change(
            self.hukou, self.urban_hukou, s.flows.hukou_natural_growth
        )
        self.hukou += natural
        self.urban_hukou += urban_natural
        waiting = self.heads((self.pop.status == ACTIVE) & self.pop.applied)
        leaving = population.age_one_year(self.pop, k + 1.0, s.flows.return_age)
        tally.departures += self._persons_by_district(leaving)
        census = self.census()
        self._audit_people(year, tally, natural, start, census["non_hukou"])
        grant, entitlement, standard = self._grant_land(year, tally, start)
        record = self.record(year, census, tally, natural, waiting, grant, entitlement, standard)
        for name, book in self.books.items():
            groups = self.names if len(book.annual) == self.n else ("ALL",)
            accounts.check_quota(year, groups, name, book.released, book.used)
            book.close_year()
            book.start_year(k + 1)
        return record

    def _audit_people(
        self, year: int, tally: Tally, natural: np.ndarray, start: Record, non_hukou: np.ndarray
    ) -> None:
        n = self.n
        accounts.check_balance(
            year,
            self.names,
            "non-registered population",
            start["non_hukou_population"][:n],
            tally.arrivals,
            tally.departures + tally.total,
            non_hukou,
        )
        accounts.check_balance(
            year,
            self.names,
            "registered population",
            start["hukou_population"][:n],
            natural + tally.total,
            np.zeros(n),
            self.hukou,
        )

    def _grant_land(
        self, year: int, tally: Tally, start: Record
    ) -> tuple[land.Grant, np.ndarray, np.ndarray]:
        """Entitlement at the standard set by last year-end's per-capita land (§7)."""
        lp = self.s.land
        existing = start["construction_land_per_capita_m2"][: self.n]
        standard = land.standard_m2(existing, lp.tiers, lp.adjustment, self.central)
        entitlement = land.entitlement_ha(tally.total, standard)
        grant = land.allocate(entitlement, self.land_ha, self.ceiling_ha, lp, self.central)
        self.land_ha = self.land_ha + grant.new_land_ha
        accounts.check_land(
            year, self.names, self.land_ha, self.ceiling_ha, grant.linked_ha, entitlement
        )
        return grant, entitlement, standard

    # --- records ----------------------------------------------------------------------------

    def stocks(self, year: int, census: dict[str, np.ndarray]) -> Record:
        urban = indicators.urbanization(
            self.hukou,
            self.urban_hukou,
            census["non_hukou"],
            census["urban_non_hukou"],
            self.s.targets.hukou_rate_denominator if self.s.targets else "hukou",
        )
        return {
            **urban,
            "residence_permit_holders": indicators.with_city(census["permit_heads"]),
            **indicators.land_stock(
                self.land_ha,
                self.ceiling_ha,
                urban["urban_resident_population"],
                self.s.land.planning_band_m2,
            ),
            **self._targets(urban),
        }

    def _targets(self, urban: Record) -> Record:
        """Targets checked every year, on the published series (the base year sets the shift)."""
        t = self.s.targets
        if t is None:
            return {}
        if self.gap_offset is None:
            self.gap_offset = t.base_year_resident_urbanization_rate - float(
                urban["resident_urbanization_rate"][-1]
            )
        return indicators.targets(urban, t, self.gap_offset, self.n)

    def record(
        self,
        year: int,
        census: dict[str, np.ndarray],
        tally: Tally,
        natural: np.ndarray,
        waiting: np.ndarray,
        grant: land.Grant,
        entitlement: np.ndarray,
        standard: np.ndarray,
    ) -> Record:
        city = indicators.with_city
        total = city(tally.total)
        mean_standard = np.r_[
            standard, _safe_ratio(city(entitlement)[-1] * land.M2_PER_HA, total[-1])
        ]
        flows = {
            "arrivals": city(tally.arrivals),
            "departures": city(tally.departures),
            "hukou_natural_change": city(natural),
            **{SETTLED_BY_CHANNEL[c]: city(v) for c, v in tally.settled.items()},
            "settled_dependents": city(tally.dependents),
            "settled_total": total,
            "applicants_waiting": city(waiting),
            "land_standard_m2_per_person": mean_standard,
            "land_entitlement_ha": city(entitlement),
            "linked_land_ha": city(grant.linked_ha),
            "linked_plan_quota_ha": city(grant.plan_quota_ha),
            "linked_rural_exit_ha": city(grant.rural_exit_ha),
            "linked_renewal_ha": city(grant.renewal_ha),
            "land_shortfall_ha": city(entitlement - grant.linked_ha),
            "land_binding_limit": np.r_[grant.limit.astype(float), np.nan],
            **{
                f"linked_{use}_ha": city(value)
                for use, value in land.uses(grant.linked_ha, tally.total, self.s.land).items()
            },
            **indicators.fiscal(
                tally.total, tally.main_applicants, tally.dependents, self.s.fiscal
            ),
        }
        return {**self.stocks(year, census), **flows}


def _safe_ratio(a: Any, b: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(b) > 0, np.asarray(a) / np.where(np.asarray(b) > 0, b, 1), 0.0)


def _urban_non_hukou(table: Any, non_hukou: np.ndarray) -> np.ndarray:
    """Urban non-registered persons implied by the district table (urban residents less urban
    registered residents; the table is checked to make this lie within the stock)."""
    urban = [
        d.urban_resident_share * d.resident_population - d.urban_hukou_population for d in table
    ]
    return np.clip(np.rint(urban), 0.0, non_hukou)


def _arrival_weights(weights: tuple[float, ...], non_hukou: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float) if weights else non_hukou.astype(float)
    return w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))


def _year(
    env: simpy.Environment, model: Model, year: int, k: int, tally: Tally
) -> Generator[Any, Any, None]:
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
    model.admit(channel, applicants, tally)


def _calendar(env: simpy.Environment, model: Model, out: list[Record]) -> Generator[Any, Any, None]:
    for k, year in enumerate(model.s.years):
        tally = Tally(model.n)
        yield env.process(_year(env, model, year, k, tally))
        out.append(model.close_year(year, k, tally, out[-1]))


def run_model(s: Scenario) -> tuple[Model, RunOutput]:
    """Run one scenario from its base year to its horizon; the final state and the records."""
    model = Model(s)
    records: list[Record] = [model.stocks(s.base_year, model.census())]
    env = simpy.Environment()
    env.process(_calendar(env, model, records))
    env.run()
    out = RunOutput(
        years=(s.base_year, *s.years),
        districts=(*model.names, "ALL"),
        records=tuple(records),
    )
    return model, out


def simulate(s: Scenario) -> RunOutput:
    """Run one scenario from its base year to its horizon."""
    return run_model(s)[1]
