"""Shared fixtures: the tiny scenario given Chinese names, adcodes and a boundaries file."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

TINY_DIR = Path(__file__).parent / "data" / "tiny"
NAMES = {"Core": ("核心区", "100001"), "Edge": ("边缘区", "100002")}


def square(x: float, y: float, side: float) -> list[list[float]]:
    return [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]


def boundaries() -> dict[str, object]:
    """Two districts as squares near Guangzhou's latitude: one Polygon, one MultiPolygon."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"adcode": 100001, "name": "核心区"},
                "geometry": {"type": "Polygon", "coordinates": [square(113.0, 23.0, 0.1)]},
            },
            {
                "type": "Feature",
                "properties": {"adcode": 100002, "name": "边缘区"},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[square(113.1, 23.0, 0.2)], [square(113.35, 23.0, 0.05)]],
                },
            },
        ],
    }


def write_mapped_tiny(folder: Path) -> Path:
    """A copy of the tiny scenario whose district table has name_zh and adcode columns and
    points to a GeoJSON file of its two districts; returns the scenario file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("districts_provenance.csv", "child.toml"):
        shutil.copy(TINY_DIR / name, folder / name)
    with (TINY_DIR / "districts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = [*rows[0], "name_zh", "adcode"]
    with (folder / "districts.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for row in rows:
            zh, code = NAMES[row["district"]]
            writer.writerow({**row, "name_zh": zh, "adcode": code})
    (folder / "districts.geojson").write_text(json.dumps(boundaries()), encoding="utf-8")
    text = (TINY_DIR / "tiny.toml").read_text(encoding="utf-8")
    text = text.replace(
        'districts = "districts.csv"\n',
        'districts = "districts.csv"\ndistrict_boundaries = "districts.geojson"\n',
    )
    (folder / "tiny.toml").write_text(text, encoding="utf-8")
    return folder / "tiny.toml"


@pytest.fixture(scope="session")
def mapped_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mapped_tiny(tmp_path_factory.mktemp("mapped"))
