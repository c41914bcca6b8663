"""Each yearly account catches its error: a flow broken on purpose stops the run, naming the
year, the district and the quantity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulation
from simulation import engine, land, population
from simulation.channels.quota import QuotaBook
from simulation.errors import AccountError
from simulation.registry import Registry

TINY = Path(__file__).parent / "data" / "tiny" / "tiny.toml"


@pytest.fixture(scope="module")
def scenario():
    return simulation.load_scenario(TINY, {"flows.hukou_out_rate": 0.003})


def test_the_unbroken_model_passes_every_account(scenario):
    simulation.run(scenario)


def test_natural_change_applied_twice_breaks_the_registered_account(scenario, monkeypatch):
    original = Registry.year_end

    def twice(self, natural_rate, out_rate):
        original(self, natural_rate, 0.0)
        return original(self, natural_rate, out_rate)

    monkeypatch.setattr(Registry, "year_end", twice)
    with pytest.raises(AccountError, match=r"2018, district \w+, registered population"):
        simulation.run(scenario)


def test_natural_change_at_double_the_rate_breaks_the_registered_account(scenario, monkeypatch):
    """Even when the registry reports what it applied, the account expects the scenario's rate."""
    original = Registry.year_end
    monkeypatch.setattr(
        Registry, "year_end", lambda self, natural, out: original(self, 2 * natural, out)
    )
    with pytest.raises(AccountError, match="registered population"):
        simulation.run(scenario)


def test_hukou_moved_out_but_not_removed_breaks_the_registered_account(scenario, monkeypatch):
    monkeypatch.setattr(
        Registry,
        "year_end",
        lambda self, natural, out: (
            self._change(np.rint(self.hukou * natural)),
            np.zeros(self.n),
        ),
    )
    with pytest.raises(AccountError, match="registered population"):
        simulation.run(scenario)


def test_a_settler_lost_by_the_registry_breaks_the_registered_account(scenario, monkeypatch):
    original = engine.Model.register

    def leaky(self, channel, heads, now, tally):
        original(self, channel, heads, now, tally)
        self.registry.persons[1, 1] -= 1  # one settler in Edge goes missing

    monkeypatch.setattr(engine.Model, "register", leaky)
    with pytest.raises(AccountError, match=r"2018, district Edge, registered population"):
        simulation.run(scenario)


def test_urban_persons_kept_when_their_cell_loses_persons_breaks_the_urban_account(
    scenario, monkeypatch
):
    """Core's registered are all urban: hukou moved out that takes no urban persons with it
    leaves more urban persons than persons."""
    monkeypatch.setattr(Registry, "_urban_parts", lambda self, cells: np.maximum(cells, 0))
    with pytest.raises(
        AccountError, match=r"2018, district Core, registered persons at an urban address: more"
    ):
        simulation.run(scenario)


def test_a_departure_left_unrecorded_breaks_the_non_registered_account(scenario, monkeypatch):
    original = population.depart

    def forgetful(pop, now, among=None, times=None):
        leaving = original(pop, now, among, times)
        pop.left_at[leaving[:1]] = np.inf  # one head leaves without a record of it
        return leaving

    monkeypatch.setattr(population, "depart", forgetful)
    with pytest.raises(AccountError, match="non-registered population"):
        simulation.run(scenario)


def test_a_published_flow_that_differs_from_the_records_breaks_its_account(scenario, monkeypatch):
    original = engine.Tally.add_settlers

    def doubled(self, channel, registration):
        original(self, channel, registration)
        self.persons += registration.persons  # settlers and dependents counted twice

    monkeypatch.setattr(engine.Tally, "add_settlers", doubled)
    with pytest.raises(AccountError, match="settled persons as published"):
        simulation.run(scenario)


def test_admitting_beyond_the_quota_breaks_the_quota_account(scenario, monkeypatch):
    monkeypatch.setattr(QuotaBook, "remaining", lambda self: np.full(len(self.annual), 1e9))
    with pytest.raises(AccountError, match=r"talent quota: used \d+ of \d+ released"):
        simulation.run(scenario)


def test_new_land_above_the_ceiling_breaks_the_land_account(scenario, monkeypatch):
    original = land.Supply.of

    def no_ceiling(params, stock, ceiling):
        supply = original(params, stock, ceiling)
        supply.room = np.full_like(supply.room, np.inf)
        return supply

    monkeypatch.setattr(land.Supply, "of", staticmethod(no_ceiling))
    with pytest.raises(AccountError, match="above its ceiling"):
        simulation.run(scenario.with_values({"land.plan_quota_ha": 500}))


def test_renewal_land_added_to_the_stock_breaks_the_land_account(scenario, monkeypatch):
    """Renewal reuses existing land: a stock that grows by it, here Core's renewal for its
    settlers (Core gets no new land at all), no longer balances with the new land drawn."""
    original = land.LandBook.grant

    def renewal_added(self, params, *args):
        year = original(self, params, *args)
        self.stock_ha = self.stock_ha + year.grant.by_source["renewal"] + year.central_renewal_ha
        return year

    monkeypatch.setattr(land.LandBook, "grant", renewal_added)
    with pytest.raises(
        AccountError, match=r"2018, district Core, urban construction land: start 160.00 \+ in 0.00"
    ):
        simulation.run(scenario)


def test_renewal_counted_as_new_land_breaks_the_land_account(scenario, monkeypatch):
    """Edge's linked land comes from renewal too once its plan quota and rural exit run out:
    counting it as new land raises the stock and the published new land above what the plan
    quota and rural exit gave."""
    monkeypatch.setattr(land.Grant, "new_land_ha", property(lambda self: self.linked_ha))
    with pytest.raises(AccountError, match=r"2018, district Edge, urban construction land: start"):
        simulation.run(scenario)


def test_renewal_drawn_beyond_its_supply_breaks_the_land_account(scenario, monkeypatch):
    """Core's settlers need more than its 0.5 ha of renewal a year: a supply that gives them
    all of it draws more than there is."""
    original = land.Supply.take

    def unlimited_renewal(self, source, need):
        if source == "renewal":
            self.left["renewal"] = self.left["renewal"] + need
        return original(self, source, need)

    monkeypatch.setattr(land.Supply, "take", unlimited_renewal)
    with pytest.raises(AccountError, match=r"2018, district \w+, renewal land: drew"):
        simulation.run(scenario)
