"""The district table of a city at the base year, read from CSV, with its provenance."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from simulation.config import District, DistrictTable
from simulation.errors import ScenarioError

INT_COLUMNS = ("resident_population", "hukou_population", "urban_hukou_population")
FLOAT_COLUMNS = ("urban_resident_share", "land_area_km2", "urban_construction_land_ha")
REQUIRED = ("district", *INT_COLUMNS, *FLOAT_COLUMNS)
NAME_COLUMNS = ("name_zh", "adcode")  # optional: the Chinese name and code, for reports and maps
PROVENANCE_COLUMNS = ("district", "field", "provenance", "note")
PROVENANCE_FLAGS = ("sourced", "derived", "assumed")
RESERVED_NAMES = ("ALL", "default")  # the city-total rows; the fallback key of district tables
MAX_VALUE = 1e10  # above any city's people or hectares: a typo, not data


def read_rows(path: Path, key: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts, after checking it is readable and has the columns."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(path, key, "a readable UTF-8 CSV file", str(exc)) from None
    missing = [c for c in required if c not in columns]
    if missing:
        raise ScenarioError(path, key, f"columns {', '.join(required)}", f"missing {missing}")
    if not rows:
        raise ScenarioError(path, key, "at least one row", "no rows")
    return rows


def _number(path: Path, row: int, column: str, text: str, kind: type) -> float:
    try:
        value = kind(text)
    except (TypeError, ValueError):  # TypeError: the row is short and the cell is None
        expected = "an integer" if kind is int else "a number"
        raise ScenarioError(path, f"row {row}.{column}", expected, text) from None
    if not 0 <= value <= MAX_VALUE:
        raise ScenarioError(
            path, f"row {row}.{column}", f"a finite number in [0, {MAX_VALUE:.0e}]", text
        )
    return float(value)


def _district(path: Path, row: int, raw: dict[str, str]) -> District:
    name = (raw["district"] or "").strip()
    if not name or name in RESERVED_NAMES:
        raise ScenarioError(
            path, f"row {row}.district", f"a district name other than {RESERVED_NAMES}", name
        )
    ints = {c: int(_number(path, row, c, raw[c], int)) for c in INT_COLUMNS}
    floats = {c: _number(path, row, c, raw[c], float) for c in FLOAT_COLUMNS}
    names = {c: (raw.get(c) or "").strip() for c in NAME_COLUMNS}
    district = District(name=name, **ints, **floats, **names)  # type: ignore[arg-type]
    _check_district(path, row, district)
    given = (raw.get("non_hukou_population") or "").strip()
    if (
        given
        and _number(path, row, "non_hukou_population", given, int) != district.non_hukou_population
    ):
        raise ScenarioError(
            path,
            f"row {row}.non_hukou_population",
            f"resident_population - hukou_population ({district.non_hukou_population})",
            given,
        )
    return district


def _check_district(path: Path, row: int, d: District) -> None:
    if d.hukou_population > d.resident_population:
        raise ScenarioError(
            path,
            f"row {row}.hukou_population",
            f"at most resident_population ({d.resident_population})",
            d.hukou_population,
        )
    if d.urban_hukou_population > d.hukou_population:
        raise ScenarioError(
            path,
            f"row {row}.urban_hukou_population",
            f"at most hukou_population ({d.hukou_population})",
            d.urban_hukou_population,
        )
    if d.urban_resident_share > 1:
        raise ScenarioError(
            path,
            f"row {row}.urban_resident_share",
            "a share between 0 and 1",
            d.urban_resident_share,
        )
    _check_urban(path, row, d)


def _check_urban(path: Path, row: int, d: District) -> None:
    """Urban registered residents must fit the urban residents the share implies.

    They cannot exceed the urban residents, and the non-registered cannot fill more than the
    rest; the tolerance allows for the share being rounded to four decimals.
    """
    urban = d.urban_resident_share * d.resident_population
    slack = 0.00005 * d.resident_population + 1
    low, high = urban - d.non_hukou_population, urban
    if not low - slack <= d.urban_hukou_population <= high + slack:
        raise ScenarioError(
            path,
            f"row {row}.urban_hukou_population",
            f"between {max(low, 0):,.0f} and {high:,.0f} (urban residents are "
            "urban_resident_share x resident_population; the non-registered fill at most the rest)",
            d.urban_hukou_population,
        )


def read_provenance(
    path: Path, table: Path, names: tuple[str, ...]
) -> tuple[tuple[str, str, str, str], ...]:
    """Provenance rows (district, field, flag, note) of the district table `table`."""
    rows = read_rows(path, "provenance", PROVENANCE_COLUMNS)
    out = []
    for i, raw in enumerate(rows, start=2):
        if raw["provenance"] not in PROVENANCE_FLAGS:
            raise ScenarioError(
                path, f"row {i}.provenance", f"one of {PROVENANCE_FLAGS}", raw["provenance"]
            )
        district = raw["district"]
        if district not in (*names, "ALL"):
            # The table says which districts there are; its provenance only describes them.
            # A district the table lacks is most likely a row lost from the table, so the
            # table is where the error points, with the provenance row that names it.
            raise ScenarioError(
                table,
                "district",
                f"a row for {district}, a district its provenance file {path.name} names "
                f"(row {i}; if {district} is no district of the city, remove its rows there)",
                f"no row for {district}",
            )
        out.append((district, raw["field"], raw["provenance"], raw["note"]))
    return tuple(out)


def read_districts(
    path: Path, provenance: Path | None = None, boundaries: Path | None = None
) -> DistrictTable:
    """Read and check a district table; `provenance` and `boundaries` (GeoJSON, for maps) are
    its optional companion files."""
    rows = read_rows(path, "districts", REQUIRED)
    districts = tuple(_district(path, i, raw) for i, raw in enumerate(rows, start=2))
    names = [d.name for d in districts]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ScenarioError(path, "district", "unique district names", duplicated)
    flags = read_provenance(provenance, path, tuple(names)) if provenance is not None else ()
    return DistrictTable(
        districts=districts,
        source=str(path),
        provenance=flags,
        provenance_source=str(provenance) if provenance is not None else "",
        boundaries=_boundaries(boundaries) if boundaries is not None else "",
    )


def _boundaries(path: Path) -> str:
    """The boundaries file, checked to be readable GeoJSON with features (maps read it later)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ScenarioError(
            path, "district_boundaries", "a readable GeoJSON file", str(exc)
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise ScenarioError(
            path, "district_boundaries", "a GeoJSON FeatureCollection", type(data).__name__
        )
    return str(path)
