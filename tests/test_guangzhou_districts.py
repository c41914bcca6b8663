"""Checks on the committed Guangzhou district tables (2017, and 2015 for back-casting) and their
provenance files."""

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[1]
SCENARIO = ROOT / "scenarios" / "guangzhou"
TABLE = SCENARIO / "districts_2017.csv"
PROVENANCE = SCENARIO / "districts_2017_provenance.csv"
TABLE_2015 = SCENARIO / "districts_2015.csv"
PROVENANCE_2015 = SCENARIO / "districts_2015_provenance.csv"
BUILD = SCENARIO / "build_districts.py"
FACTS = SCENARIO / "sources" / "guangzhou_facts.csv"
YEARS = (2015, 2017)

DISTRICTS = [
    "Liwan",
    "Yuexiu",
    "Haizhu",
    "Tianhe",
    "Baiyun",
    "Huangpu",
    "Panyu",
    "Huadu",
    "Nansha",
    "Conghua",
    "Zengcheng",
]
COLUMNS = [
    "district",
    "name_zh",
    "adcode",
    "resident_population",
    "hukou_population",
    "non_hukou_population",
    "urban_resident_share",
    "urban_hukou_population",
    "land_area_km2",
    "urban_construction_land_ha",
]
NUMERIC_FIELDS = COLUMNS[3:]
FLAGS = {"sourced", "derived", "assumed"}

CITY_RESIDENT_2017 = 14_498_400  # pre-2020-census series
CITY_HUKOU_2017 = 8_978_700
CITY_LAND_AREA_KM2 = 7434.40


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def fact_value(geography: str, indicator: str, year: int, basis: str = "") -> float:
    """The value of the one fact row that matches, read straight from the fact copy."""
    hits = [
        row
        for row in read(FACTS)
        if (row["geography"], row["indicator"], row["year"]) == (geography, indicator, str(year))
        and basis in row["basis"]
    ]
    assert len(hits) == 1, (geography, indicator, year, basis)
    return float(hits[0]["value"])


def table_of(year: int) -> list[dict[str, str]]:
    return read(SCENARIO / f"districts_{year}.csv")


def provenance_of(year: int) -> list[dict[str, str]]:
    return read(SCENARIO / f"districts_{year}_provenance.csv")


def build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_districts", BUILD)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table() -> list[dict[str, str]]:
    return read(TABLE)


@pytest.fixture(scope="module")
def provenance() -> list[dict[str, str]]:
    return read(PROVENANCE)


@pytest.mark.parametrize("year", YEARS)
def test_eleven_districts_in_order(year: int) -> None:
    table = table_of(year)
    assert [row["district"] for row in table] == DISTRICTS
    assert list(table[0]) == COLUMNS


@pytest.mark.parametrize("year", YEARS)
def test_resident_is_hukou_plus_non_hukou(year: int) -> None:
    for row in table_of(year):
        resident = int(row["resident_population"])
        hukou = int(row["hukou_population"])
        non_hukou = int(row["non_hukou_population"])
        assert resident == hukou + non_hukou, row["district"]
        assert non_hukou >= 0, row["district"]


def test_populations_sum_to_city_totals(table: list[dict[str, str]]) -> None:
    assert sum(int(row["resident_population"]) for row in table) == CITY_RESIDENT_2017
    assert sum(int(row["hukou_population"]) for row in table) == CITY_HUKOU_2017


@pytest.mark.parametrize("year", YEARS)
def test_urban_values_in_range(year: int) -> None:
    for row in table_of(year):
        assert 0 <= float(row["urban_resident_share"]) <= 1, row["district"]
        assert 0 <= int(row["urban_hukou_population"]) <= int(row["hukou_population"])


@pytest.mark.parametrize("year", YEARS)
def test_urban_hukou_within_bounds_of_urban_residents(year: int) -> None:
    """Urban hukou lets the district reach its urban residents and does not exceed them."""
    for row in table_of(year):
        resident = int(row["resident_population"])
        urban_resident = float(row["urban_resident_share"]) * resident
        non_hukou = int(row["non_hukou_population"])
        urban_hukou = int(row["urban_hukou_population"])
        tolerance = 0.00005 * resident + 1  # the share is rounded to 4 decimals
        assert urban_hukou >= urban_resident - non_hukou - tolerance, row["district"]
        assert urban_hukou <= urban_resident + tolerance, row["district"]


@pytest.mark.parametrize("year", YEARS)
def test_land_areas_sum_to_city_total(year: int) -> None:
    total = sum(float(row["land_area_km2"]) for row in table_of(year))
    assert total == pytest.approx(CITY_LAND_AREA_KM2, abs=0.01)


@pytest.mark.parametrize("year", YEARS)
def test_every_numeric_field_has_one_provenance_row(year: int) -> None:
    provenance = provenance_of(year)
    for row in table_of(year):
        for field in NUMERIC_FIELDS:
            hits = [
                p for p in provenance if p["district"] == row["district"] and p["field"] == field
            ]
            assert len(hits) == 1, (row["district"], field)
            assert hits[0]["provenance"] in FLAGS, (row["district"], field)
            assert hits[0]["note"].strip(), (row["district"], field)


@pytest.mark.parametrize("year", YEARS)
def test_provenance_flags_valid_and_city_rows_present(year: int) -> None:
    provenance = provenance_of(year)
    assert {p["provenance"] for p in provenance} <= FLAGS
    city_fields = {p["field"] for p in provenance if p["district"] == "ALL"}
    expected = {"resident_population", "hukou_population", "urban_hukou_rate", "land_area_km2"}
    assert expected <= city_fields


@pytest.mark.parametrize("year", YEARS)
def test_build_check_passes(year: int) -> None:
    result = subprocess.run(
        [sys.executable, str(BUILD), "--year", str(year), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("year", YEARS)
def test_build_check_detects_stale_files(tmp_path: Path, year: int) -> None:
    copy = tmp_path / "guangzhou"
    (copy / "sources").mkdir(parents=True)
    (copy / "build_districts.py").write_bytes(BUILD.read_bytes())
    (copy / "sources" / FACTS.name).write_bytes(FACTS.read_bytes())
    script = str(copy / "build_districts.py")
    given = ["--year", str(year)]
    subprocess.run([sys.executable, script, *given], capture_output=True, check=True)
    for name in (f"districts_{year}.csv", f"districts_{year}_provenance.csv"):
        assert (copy / name).read_bytes() == (SCENARIO / name).read_bytes()
    (copy / f"districts_{year}.csv").write_text("district\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, script, *given, "--check"], capture_output=True, check=False
    )
    assert result.returncode == 1


def test_default_year_is_2017(tmp_path: Path) -> None:
    """Without --year the build writes the 2017 files and nothing else."""
    copy = tmp_path / "guangzhou"
    (copy / "sources").mkdir(parents=True)
    (copy / "build_districts.py").write_bytes(BUILD.read_bytes())
    (copy / "sources" / FACTS.name).write_bytes(FACTS.read_bytes())
    subprocess.run(
        [sys.executable, str(copy / "build_districts.py")], check=True, capture_output=True
    )
    written = sorted(path.name for path in copy.glob("districts_*.csv"))
    assert written == [TABLE.name, PROVENANCE.name]
    assert (copy / TABLE.name).read_bytes() == TABLE.read_bytes()


def test_urban_figures_add_up_to_the_city_totals_used(
    table: list[dict[str, str]], provenance: list[dict[str, str]]
) -> None:
    """Urban registered residents sum to the city's; the urban share weighted by residents is
    the city rate recorded in the ALL provenance row (the 'city total used')."""
    assert sum(int(row["urban_hukou_population"]) for row in table) == 7_161_676
    weighted = sum(
        float(row["urban_resident_share"]) * int(row["resident_population"]) for row in table
    ) / sum(int(row["resident_population"]) for row in table)
    city = next(
        r for r in provenance if r["district"] == "ALL" and r["field"] == "urban_resident_share"
    )
    assert f"{weighted:.4f}" in city["note"]


def test_the_model_starts_from_the_table(table: list[dict[str, str]]) -> None:
    """The simulation's base year reproduces the table's city totals."""
    import simulation

    scenario = simulation.load_scenario(
        TABLE.parent / "plan_2017.toml", {"persons_per_agent": 5, "horizon": 2018}
    )
    results = simulation.run(scenario)
    base = scenario.base_year
    assert results.table.value_at("hukou_population", base) == CITY_HUKOU_2017
    # each district's non-registered stock is matched to within one agent (5 persons)
    assert abs(results.table.value_at("resident_population", base) - CITY_RESIDENT_2017) <= 11 * 5
    urban = sum(float(r["urban_resident_share"]) * int(r["resident_population"]) for r in table)
    modelled = results.table.value_at("urban_resident_population", base)
    assert abs(modelled - urban) <= 11 * 5 * 10  # within one agent's household per district


# The 2015 table for back-casting, checked against the fact rows it is built from.


def test_2015_populations_sum_to_the_facts() -> None:
    table = table_of(2015)
    residents = fact_value("Guangzhou", "resident_population", 2015, "pre-2020-census")
    assert residents == 13_501_100
    assert sum(int(row["resident_population"]) for row in table) == residents
    hukou = fact_value("Guangzhou", "hukou_population", 2015)
    assert hukou == 8_541_913
    assert sum(int(row["hukou_population"]) for row in table) == hukou
    non_hukou = sum(int(row["non_hukou_population"]) for row in table)
    assert non_hukou == residents - hukou


def test_2015_urban_hukou_is_the_fact() -> None:
    """2015 is an anchor year: the city urban hukou is the published count, not interpolated."""
    urban = fact_value("Guangzhou", "urban_hukou_population", 2015)
    assert sum(int(row["urban_hukou_population"]) for row in table_of(2015)) == urban
    city = {p["field"]: p for p in provenance_of(2015) if p["district"] == "ALL"}
    assert city["urban_hukou_population"]["provenance"] == "sourced"
    assert city["resident_population"]["provenance"] == "sourced"


def test_2015_urban_shares_are_the_2015_district_rates() -> None:
    for row in table_of(2015):
        rate = fact_value(row["district"], "resident_urbanization_rate", 2015)
        assert float(row["urban_resident_share"]) == pytest.approx(rate / 100, abs=5e-5)


def test_2015_weighted_urban_share_is_near_the_published_city_rate() -> None:
    table = table_of(2015)
    urban = sum(float(r["urban_resident_share"]) * int(r["resident_population"]) for r in table)
    weighted = urban / sum(int(r["resident_population"]) for r in table)
    published = fact_value("Guangzhou", "resident_urbanization_rate", 2015) / 100
    assert abs(weighted - published) < 0.01
    city = next(
        p
        for p in provenance_of(2015)
        if p["district"] == "ALL" and p["field"] == "urban_resident_share"
    )
    assert f"{weighted:.4f}" in city["note"]


def test_2015_districts_held_at_their_registered_population_say_so() -> None:
    """A district with no non-registered residents is one the build held at its hukou."""
    notes = {
        p["district"]: p["note"] for p in provenance_of(2015) if p["field"] == "resident_population"
    }
    for row in table_of(2015):
        held = "held at hukou_population" in notes[row["district"]]
        assert held == (int(row["non_hukou_population"]) == 0), row["district"]


def m2_per_urban_resident(row: dict[str, str]) -> float:
    urban = int(row["resident_population"]) * float(row["urban_resident_share"])
    return float(row["urban_construction_land_ha"]) * 10_000 / urban


def test_2015_construction_land_uses_the_2017_assumptions() -> None:
    """Same m2 per urban resident as 2017 where the per-capita term applies; the same cap
    (a fixed share of land area) where it binds."""
    before = {row["district"]: row for row in table_of(2015)}
    for row in table_of(2017):
        old = before[row["district"]]
        cap = 0.85 * float(row["land_area_km2"]) * 100
        land, land_2015 = (
            float(row["urban_construction_land_ha"]),
            float(old["urban_construction_land_ha"]),
        )
        if land == pytest.approx(cap, abs=0.06):  # the table rounds to 0.1 ha
            assert land_2015 == pytest.approx(cap, abs=0.06), row["district"]
            continue
        assert m2_per_urban_resident(old) == pytest.approx(m2_per_urban_resident(row), abs=0.05)
        assert land_2015 <= cap


def test_2015_provenance_flags_by_column() -> None:
    flags = {(p["district"], p["field"]): p["provenance"] for p in provenance_of(2015)}
    for name in DISTRICTS:
        assert flags[(name, "urban_resident_share")] == "sourced"
        assert flags[(name, "land_area_km2")] == "sourced"
        assert flags[(name, "urban_construction_land_ha")] == "assumed"
        for field in ("resident_population", "hukou_population", "urban_hukou_population"):
            assert flags[(name, field)] == "derived", (name, field)


def test_city_residents_interpolated_without_a_fact() -> None:
    """A year without a resident fact is interpolated linearly and flagged derived."""
    build = build_module()
    basis = "year-end; pre-2020-census series"
    facts = [
        {"geography": "Guangzhou", "indicator": "resident_population", "year": str(y),
         "value": str(v), "unit": "persons", "basis": basis, "confidence": "high",
         "source": f"bulletin {y}"}
        for y, v in ((2013, 1_000_000), (2017, 1_400_001))
    ]  # fmt: skip
    value, flag, note = build.city_resident_total(facts, 2015)
    assert (value, flag) == (1_200_000, "derived")
    assert "bulletin 2013" in note
    assert "bulletin 2017" in note
    with pytest.raises(SystemExit):
        build.city_resident_total(facts, 2019)


def test_held_at_hukou_keeps_the_total_and_the_floor() -> None:
    build = build_module()
    values = dict.fromkeys(DISTRICTS, 100.0) | {"Conghua": 10.0}
    hukou = dict.fromkeys(DISTRICTS, 50) | {"Conghua": 60}
    result, held = build.held_at_hukou(values, 1_010, hukou)
    assert sum(result.values()) == 1_010
    assert list(held) == ["Conghua"]
    assert result["Conghua"] == 60
    assert all(result[n] >= hukou[n] for n in DISTRICTS)
    plain, none = build.held_at_hukou(values, 10_100, dict.fromkeys(DISTRICTS, 0))
    assert none == {}
    assert plain == build.largest_remainder(values, 10_100)


def test_the_model_starts_from_the_2015_table() -> None:
    """The 2015 table loads into the 2017 scenario's settings and the base year reproduces it."""
    import simulation

    scenario = simulation.load_scenario(
        SCENARIO / "plan_2017.toml",
        {
            "districts": str(TABLE_2015),
            "district_provenance": str(PROVENANCE_2015),
            "base_year": 2015,
            "horizon": 2016,
            "persons_per_agent": 5,
        },
    )
    results = simulation.run(scenario)
    table = table_of(2015)
    hukou = sum(int(r["hukou_population"]) for r in table)
    residents = sum(int(r["resident_population"]) for r in table)
    assert results.table.value_at("hukou_population", 2015) == hukou
    assert abs(results.table.value_at("resident_population", 2015) - residents) <= 11 * 5


def test_the_calibrated_default_meets_the_2018_registered_population() -> None:
    """The default, as a user runs it, is within 0.5 % of the 2018 registered population (the
    fact, not a number copied from a run), on its own seed and on two others."""
    import simulation

    observed = fact_value("Guangzhou", "hukou_population", 2018)
    assert observed == 9_276_914
    scenario = simulation.load_scenario(TABLE.parent / "plan_2017.toml", {"horizon": 2018})
    for seed in (scenario.seed, 1, 2):
        modelled = simulation.run(scenario, seed=seed).table.value_at("hukou_population", 2018)
        assert abs(modelled / observed - 1) < 0.005
