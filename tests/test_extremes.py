"""Hypothesis at the edges: any damage to a scenario or its district table gives a
ScenarioError and never another exception; valid extreme scenarios run with every account
holding."""

from __future__ import annotations

import csv
import io
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulation
from simulation.config import declared_parameters
from simulation.errors import ScenarioError

TINY = Path(__file__).parent / "data" / "tiny"
KEYS = [p["key"] for p in declared_parameters() if not p["key"].startswith("targets.")]
COLUMNS = (
    "district",
    "resident_population",
    "hukou_population",
    "urban_hukou_population",
    "urban_resident_share",
    "land_area_km2",
    "urban_construction_land_ha",
)
patient = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk = st.one_of(
    st.text(max_size=6),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(
        st.sampled_from(["Core", "Edge", "Nowhere", "default", "2018", "1999"]),
        st.one_of(st.integers(-5, 10**6), st.floats(), st.text(max_size=3)),
        max_size=3,
    ),
)


@pytest.fixture
def folder(tmp_path):
    return Path(shutil.copytree(TINY, tmp_path / "tiny", dirs_exist_ok=True))


def load_or_refuse(path: Path, overrides: dict | None = None) -> simulation.Scenario | None:
    """Loading succeeds or raises ScenarioError: any other exception fails the test."""
    try:
        return simulation.load_scenario(path, overrides)
    except ScenarioError as error:
        message = str(error)
    assert message.count("\n") == 0  # one line for the user
    return None


@patient
@given(
    key=st.sampled_from(
        [
            *KEYS,
            "name",
            "horizon",
            "base_year",
            "seed",
            "persons_per_agent",
            "replicates",
            "colour",
            "land",
            "channels.talent",
        ]
    ),
    value=junk,
)
def test_a_wrong_value_anywhere_is_a_scenario_error(folder, key, value):
    scenario = load_or_refuse(folder / "tiny.toml", {key: value})
    if scenario is not None:  # some junk is valid by chance: it must then be usable
        simulation.checks.suspect_inputs(scenario)
        simulation.checks.memory_mib(scenario)


@patient
@given(
    lines=st.lists(
        st.sampled_from(
            [
                "[flows]",
                "[channels.points]",
                "[[land.tiers]]",
                "quota = 3",
                "quota =",
                "x = [1,",
                "= 4",
                "[land]\ncentral_districts = ['Core', 'Core2']",
                "[population.by_district.Core]",
                "education_shares = [1, 0]",
                "extends = 'nowhere.toml'",
                "horizon = 2016",
                "hukou_natural_growth = { 2020 = 0.01, 2018 = 0.02 }",
                "\ufeff",
                "[[flows]]",
            ]
        ),
        max_size=4,
    )
)
def test_a_damaged_structure_is_a_scenario_error(folder, lines):
    path = folder / "tiny.toml"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    load_or_refuse(path)


def damaged_table(rows: list[list[str]], row: int, column: int, value: str) -> str:
    rows = [list(r) for r in rows]
    rows[row % len(rows)][column % len(COLUMNS)] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@patient
@given(
    row=st.integers(0, 2),
    column=st.integers(0, 6),
    value=st.one_of(
        st.text(max_size=8),
        st.sampled_from(["", "-1", "nan", "inf", "1e300", "ALL", "Core", "0", "2.5"]),
    ),
    cut=st.integers(0, 3),
)
def test_a_damaged_district_table_is_a_scenario_error(folder, row, column, value, cut):
    table = folder / "districts.csv"  # each example starts from the original table
    rows = list(csv.reader(io.StringIO((TINY / "districts.csv").read_text(encoding="utf-8"))))
    text = damaged_table(rows, row, column, value)
    if cut:  # drop a column, a row, or everything after the header
        lines = text.splitlines()
        text = {
            1: "\n".join(line.rsplit(",", 1)[0] for line in lines),
            2: "\n".join(lines[:-1]),
            3: lines[0],
        }[cut] + "\n"
    table.write_text(text, encoding="utf-8")
    load_or_refuse(folder / "tiny.toml")


# --- valid extremes -------------------------------------------------------------------------


def single_district(folder: Path) -> Path:
    (folder / "one.csv").write_text(
        ",".join(COLUMNS) + "\nOnly,30000,16000,14000,0.9,50,300\n", encoding="utf-8"
    )
    (folder / "one.toml").write_text(
        'name = "one"\nbase_year = 2017\nhorizon = 2020\nseed = 1\ndistricts = "one.csv"\n'
        "[flows]\narrivals_per_year = 5000\n[channels.talent]\nquota = 100\n"
        "[channels.points]\nquota = 50\n",
        encoding="utf-8",
    )
    return folder / "one.toml"


extremes = st.fixed_dictionaries(
    {
        "channels.talent.quota": st.sampled_from([0, 10**9]),
        "channels.points.quota": st.sampled_from([0, 10**9]),
        "channels.special.quota": st.sampled_from([0, 10**9]),
        "channels.points.schedule.quota_counts_dependents": st.booleans(),
        "land.plan_quota_ha": st.sampled_from([0, 10**6]),
        "land.rural_exit_ha": st.sampled_from([0, 10**6]),
        "land.renewal_ha": st.sampled_from([0, 10**6]),
        "land.ceiling_headroom": st.sampled_from([0, 10]),
        "land.other_demand_ha": st.sampled_from([0, 10**6]),
        "every_central": st.booleans(),
        "horizon": st.sampled_from([2018, 2020]),
        "flows.departure_rate": st.sampled_from([0.0, 1.0, 0.08]),
        "flows.arrivals_per_year": st.sampled_from([0, 20_000]),
        "population.willing_share": st.sampled_from([0.0, 1.0]),
        "single": st.booleans(),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=extremes)
def test_valid_extremes_run_with_every_account_holding(folder, values):
    values = dict(values)
    single, central = values.pop("single"), values.pop("every_central")
    path = single_district(folder) if single else folder / "tiny.toml"
    names = ["Only"] if single else ["Core", "Edge"]
    if central:
        values["land.central_districts"] = names
    scenario = simulation.load_scenario(path, values)
    table = simulation.run(scenario).table  # every yearly account is checked as it runs
    for d in [*names, "ALL"]:
        linked = table.select("linked_land_ha", d)[1]
        assert np.all(linked <= table.select("land_entitlement_ha", d)[1] + 1e-9)
        assert np.all(table.select("non_hukou_population", d)[1] >= 0)
        land = table.select("urban_construction_land_ha", d)[1]
        assert np.all(land <= table.select("land_ceiling_ha", d)[1] + 1e-6)
    if central:
        assert table.select("linked_land_ha")[1].sum() == 0
    if values["population.willing_share"] == 0:
        assert table.select("settled_total")[1].sum() == 0
    assert all(math.isfinite(v) for v in table.value)
