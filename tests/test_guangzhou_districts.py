"""Checks on the committed Guangzhou 2017 district table and its provenance file."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SCENARIO = ROOT / "scenarios" / "guangzhou"
TABLE = SCENARIO / "districts_2017.csv"
PROVENANCE = SCENARIO / "districts_2017_provenance.csv"
BUILD = SCENARIO / "build_districts.py"

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


@pytest.fixture(scope="module")
def table() -> list[dict[str, str]]:
    return read(TABLE)


@pytest.fixture(scope="module")
def provenance() -> list[dict[str, str]]:
    return read(PROVENANCE)


def test_eleven_districts_in_order(table: list[dict[str, str]]) -> None:
    assert [row["district"] for row in table] == DISTRICTS
    assert list(table[0]) == COLUMNS


def test_resident_is_hukou_plus_non_hukou(table: list[dict[str, str]]) -> None:
    for row in table:
        resident = int(row["resident_population"])
        hukou = int(row["hukou_population"])
        non_hukou = int(row["non_hukou_population"])
        assert resident == hukou + non_hukou, row["district"]
        assert non_hukou >= 0, row["district"]


def test_populations_sum_to_city_totals(table: list[dict[str, str]]) -> None:
    assert sum(int(row["resident_population"]) for row in table) == CITY_RESIDENT_2017
    assert sum(int(row["hukou_population"]) for row in table) == CITY_HUKOU_2017


def test_urban_values_in_range(table: list[dict[str, str]]) -> None:
    for row in table:
        assert 0 <= float(row["urban_resident_share"]) <= 1, row["district"]
        assert 0 <= int(row["urban_hukou_population"]) <= int(row["hukou_population"])


def test_urban_hukou_within_bounds_of_urban_residents(table: list[dict[str, str]]) -> None:
    """Urban hukou lets the district reach its urban residents and does not exceed them."""
    for row in table:
        resident = int(row["resident_population"])
        urban_resident = float(row["urban_resident_share"]) * resident
        non_hukou = int(row["non_hukou_population"])
        urban_hukou = int(row["urban_hukou_population"])
        tolerance = 0.00005 * resident + 1  # the share is rounded to 4 decimals
        assert urban_hukou >= urban_resident - non_hukou - tolerance, row["district"]
        assert urban_hukou <= urban_resident + tolerance, row["district"]


def test_land_areas_sum_to_city_total(table: list[dict[str, str]]) -> None:
    total = sum(float(row["land_area_km2"]) for row in table)
    assert total == pytest.approx(CITY_LAND_AREA_KM2, abs=0.01)


def test_every_numeric_field_has_one_provenance_row(
    table: list[dict[str, str]], provenance: list[dict[str, str]]
) -> None:
    for row in table:
        for field in NUMERIC_FIELDS:
            hits = [
                p for p in provenance if p["district"] == row["district"] and p["field"] == field
            ]
            assert len(hits) == 1, (row["district"], field)
            assert hits[0]["provenance"] in FLAGS, (row["district"], field)
            assert hits[0]["note"].strip(), (row["district"], field)


def test_provenance_flags_valid_and_city_rows_present(provenance: list[dict[str, str]]) -> None:
    assert {p["provenance"] for p in provenance} <= FLAGS
    city_fields = {p["field"] for p in provenance if p["district"] == "ALL"}
    expected = {"resident_population", "hukou_population", "urban_hukou_rate", "land_area_km2"}
    assert expected <= city_fields


def test_build_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(BUILD), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_build_check_detects_stale_files(tmp_path: Path) -> None:
    copy = tmp_path / "guangzhou"
    (copy / "sources").mkdir(parents=True)
    (copy / "build_districts.py").write_bytes(BUILD.read_bytes())
    facts = SCENARIO / "sources" / "guangzhou_facts.csv"
    (copy / "sources" / facts.name).write_bytes(facts.read_bytes())
    script = str(copy / "build_districts.py")
    subprocess.run([sys.executable, script], capture_output=True, check=True)
    assert (copy / TABLE.name).read_bytes() == TABLE.read_bytes()
    (copy / TABLE.name).write_text("district\n", encoding="utf-8")
    result = subprocess.run([sys.executable, script, "--check"], capture_output=True, check=False)
    assert result.returncode == 1


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
