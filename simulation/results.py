"""The long results table, the manifest, and writing a results folder atomically."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from simulation.variables import VARIABLES, unit

Record = dict[str, np.ndarray]


@dataclass(frozen=True)
class RunOutput:
    """What one run of the engine returns: one record per year (the base year first)."""

    years: tuple[int, ...]
    districts: tuple[str, ...]
    records: tuple[Record, ...]


COLUMNS = ("scenario", "replicate", "year", "district", "variable", "value", "unit")
DEPENDENCIES = ("numpy", "scipy", "simpy", "matplotlib")


@dataclass(frozen=True)
class LongTable:
    """One row per value: scenario, replicate, year, district, variable, value, unit."""

    scenario: str
    replicate: int
    year: np.ndarray
    district: np.ndarray
    variable: np.ndarray
    value: np.ndarray

    @classmethod
    def from_output(cls, scenario: str, replicate: int, out: RunOutput) -> LongTable:
        years, districts, variables, values = [], [], [], []
        for year, record in zip(out.years, out.records, strict=True):
            for name in VARIABLES:
                if name not in record:
                    continue
                for district, value in zip(out.districts, record[name], strict=True):
                    if not math.isnan(value):
                        years.append(year)
                        districts.append(district)
                        variables.append(name)
                        values.append(float(value))
        return cls(
            scenario=scenario,
            replicate=replicate,
            year=np.asarray(years, dtype=np.int64),
            district=np.asarray(districts, dtype=object),
            variable=np.asarray(variables, dtype=object),
            value=np.asarray(values, dtype=float),
        )

    def __len__(self) -> int:
        return len(self.value)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        for year, district, variable, value in zip(
            self.year, self.district, self.variable, self.value, strict=True
        ):
            yield (
                self.scenario,
                self.replicate,
                int(year),
                district,
                variable,
                value,
                unit(variable),
            )

    def select(self, variable: str, district: str = "ALL") -> tuple[np.ndarray, np.ndarray]:
        """Years and values of one variable in one district (`ALL` for the city)."""
        mask = (self.variable == variable) & (self.district == district)
        return self.year[mask], self.value[mask]

    def value_at(self, variable: str, year: int, district: str = "ALL") -> float:
        years, values = self.select(variable, district)
        hits = values[years == year]
        if len(hits) != 1:
            raise KeyError(f"no value of {variable} for {district} in {year}")
        return float(hits[0])

    @property
    def districts(self) -> tuple[str, ...]:
        """Districts in table order, `ALL` last."""
        return tuple(dict.fromkeys(self.district.tolist()))

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in self.rows():
            writer.writerow((*row[:5], format(row[5], ".10g"), row[6]))
        return buffer.getvalue()

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (needs the `pandas` extra)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "to_pandas() needs pandas: pip install 'peopleland[pandas]'"
            ) from None
        return pd.DataFrame.from_records(list(self.rows()), columns=list(COLUMNS))


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def checksum(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("peopleland", *DEPENDENCIES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(scenario: Any, seed: int, files: Sequence[str], wall_seconds: float) -> dict[str, Any]:
    """Everything needed to reproduce a run: the resolved scenario, seed, versions, inputs."""
    return {
        "scenario": _jsonable(scenario),
        "seed": seed,
        "versions": versions(),
        "inputs": {str(f): checksum(f) for f in files},
        "wall_seconds": round(wall_seconds, 3),
    }


Writer = Callable[[Path], None]


def write_folder(target: Path, writers: dict[str, Writer]) -> Path:
    """Write a results folder atomically: into a temporary sibling, renamed when complete.

    `writers` maps a file name to a function writing that file at the given path. If the
    target exists, a numbered suffix is added rather than overwriting a finished run.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    final = _free_name(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a results folder is for sharing
    try:
        for name, write in writers.items():
            write(staging / name)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _free_name(target: Path) -> Path:
    candidate, n = target, 1
    while candidate.exists():
        n += 1
        candidate = target.with_name(f"{target.name}-{n}")
    return candidate


def write_text(text: str) -> Writer:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def write_json(data: dict[str, Any]) -> Writer:
    return write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
