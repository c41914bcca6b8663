"""A sweep's folder on disk: its definition, results in shards written as runs finish, resume.

    <folder>/sweep.json         the definition, its fingerprint, the columns, how to rerun it
    <folder>/design.csv         every point: its unit coordinates and its parameter values
    <folder>/shards/runs-*.csv  rows of finished runs, one file per finished task
    <folder>/series/part-*.parquet   per-run time series, when the sweep keeps them
    <folder>/runs.csv           every run once, in run order, when the sweep is complete
    <folder>/summary.json       runs, failures, time, when the sweep is complete

Every file is written to a temporary name and renamed, so a killed sweep leaves whole files
only; a shard of rows is renamed last, after its time series, and is what makes its runs
done. Rerunning finds the runs done and runs the rest. Shards are merged in run order
(streaming, a bounded number of files at a time) into `runs.csv` at the end.
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import itertools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from simulation.errors import ScenarioError
from simulation.results import to_json

MANIFEST = "sweep.json"
DESIGN = "design.csv"
RUNS = "runs.csv"
SUMMARY = "summary.json"
SHARDS = "shards"
SERIES = "series"
LOCK = ".lock"
#: Small shards are merged into one once there are this many, so the folder stays browsable.
MERGE_AT = 256
TEMP = ".tmp-"
SHARD_NAME = re.compile(r"(runs|merged)-(\d+)\.csv")
PART_NAME = re.compile(r"part-(\d+)\.parquet")


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write `path` through `write(temporary path)`, then rename: readers see whole files."""
    temp = path.with_name(f"{TEMP}{os.getpid()}-{path.name}")
    try:
        write(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A CSV file written atomically."""

    def write(temp: Path) -> None:
        with temp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    write_atomic(path, write)


def _read_rows(handle: IO[str]) -> Iterator[list[str]]:
    reader = csv.reader(handle)
    next(reader, None)  # the header
    yield from reader


class SweepStore:
    """The files of one sweep folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._lock: IO[str] | None = None

    @property
    def shards(self) -> Path:
        return self.folder / SHARDS

    @property
    def series(self) -> Path:
        return self.folder / SERIES

    def manifest(self) -> dict[str, Any] | None:
        """The sweep.json of the folder, or None where there is none."""
        path = self.folder / MANIFEST
        if not path.is_file():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    # --- before anything is written ---------------------------------------------------------

    def check(self, fingerprint: str, file: str) -> None:
        """Refuse a folder that holds something else, or another definition of the sweep."""
        folder = self.folder
        if not folder.exists():
            return
        if not folder.is_dir():
            raise ScenarioError("command line", "--out", "a folder", str(folder))
        info = self.manifest()
        if info is None:
            if any(not p.name.startswith(".") for p in folder.iterdir()):
                raise ScenarioError(
                    "command line",
                    "--out",
                    "a new or empty folder, or the folder of this sweep",
                    f"{folder} (holds other files)",
                )
            return
        if info.get("fingerprint") != fingerprint:
            raise ScenarioError(
                file,
                "(sweep)",
                f"the definition that started {folder} (fingerprint {info.get('fingerprint')})"
                ": to run a changed sweep, give another --out or remove that folder",
                f"a changed definition (fingerprint {fingerprint})",
            )

    def done(self) -> set[int]:
        """The ids of the runs whose rows are on disk."""
        out: set[int] = set()
        for path in self._row_files():
            with path.open(newline="", encoding="utf-8") as handle:
                out.update(int(row[0]) for row in _read_rows(handle) if row)
        return out

    def failed(self, status_column: int) -> int:
        """How many runs on disk failed (each run counted once)."""
        failed: set[int] = set()
        for path in self._row_files():
            with path.open(newline="", encoding="utf-8") as handle:
                failed.update(int(r[0]) for r in _read_rows(handle) if r[status_column] != "ok")
        return len(failed)

    def _row_files(self) -> list[Path]:
        files = sorted(p for p in self.shards.glob("*.csv") if SHARD_NAME.fullmatch(p.name))
        runs = self.folder / RUNS
        return [runs, *files] if runs.is_file() else files

    # --- writing ------------------------------------------------------------------------------

    def open(
        self,
        manifest: dict[str, Any],
        design_header: Sequence[str],
        design: Iterable[Sequence[str]],
    ) -> None:
        """Create the folder (or take up an existing one), holding its lock until `close`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        if not (self.folder / MANIFEST).is_file():
            write_atomic(self.folder / MANIFEST, lambda p: p.write_text(to_json(manifest)))
        if not (self.folder / DESIGN).is_file():
            write_rows(self.folder / DESIGN, design_header, design)
        self.shards.mkdir(exist_ok=True)
        self._clear_leftovers()

    def _take_lock(self) -> None:
        import fcntl

        handle = (self.folder / LOCK).open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ScenarioError(
                "command line",
                "--out",
                "a sweep folder no other sweep is running in",
                f"{self.folder} (in use)",
            ) from None
        self._lock = handle

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _clear_leftovers(self) -> None:
        """Temporary files of a killed sweep, and time series whose rows never made it."""
        for folder in (self.folder, self.shards, self.series):
            for path in folder.glob(f"{TEMP}*") if folder.is_dir() else ():
                path.unlink(missing_ok=True)
        if not self.series.is_dir():
            return
        done = self.done()
        import pyarrow.parquet as pq

        for part in self.series.glob("part-*.parquet"):
            runs = pq.read_table(part, columns=["run"]).column("run").to_pylist()
            if runs and runs[0] not in done:
                part.unlink()

    def _next_number(self) -> int:
        numbers = [
            int(m.group(2)) for p in self.shards.iterdir() if (m := SHARD_NAME.fullmatch(p.name))
        ]
        if self.series.is_dir():
            numbers += [
                int(m.group(1)) for p in self.series.iterdir() if (m := PART_NAME.fullmatch(p.name))
            ]
        return max(numbers, default=0) + 1

    def write_shard(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], series: Any = None
    ) -> None:
        """One finished task: its time series (a pyarrow Table) first, then its rows."""
        number = self._next_number()
        if series is not None and series.num_rows:
            import pyarrow.parquet as pq

            self.series.mkdir(exist_ok=True)
            write_atomic(
                self.series / f"part-{number:06d}.parquet",
                lambda p: pq.write_table(series, p, compression="zstd"),
            )
        write_rows(self.shards / f"runs-{number:06d}.csv", header, rows)
        small = [p for p in self.shards.glob("runs-*.csv")]
        if len(small) >= MERGE_AT:
            self._merge(sorted(small), self.shards / f"merged-{number:06d}.csv", header)

    def _merge(self, sources: list[Path], target: Path, header: Sequence[str]) -> None:
        """Merge files of rows sorted by run id into one (each run once), then drop them."""
        with contextlib.ExitStack() as stack:
            handles = [stack.enter_context(p.open(newline="", encoding="utf-8")) for p in sources]
            merged = heapq.merge(*(_read_rows(h) for h in handles), key=lambda row: int(row[0]))
            unique = (next(group) for _, group in itertools.groupby(merged, key=lambda r: r[0]))
            write_rows(target, header, unique)
        for path in sources:
            if path != target:
                path.unlink(missing_ok=True)

    def finish(self, header: Sequence[str]) -> Path:
        """Merge every row into `runs.csv`, in run order, each run once; return its path."""
        files = self._row_files()
        while len(files) > MERGE_AT:
            batch, files = files[:MERGE_AT], files[MERGE_AT:]
            target = self.shards / f"merged-{self._next_number():06d}.csv"
            self._merge(batch, target, header)
            files.append(target)
        runs = self.folder / RUNS
        self._merge(files, runs, header)
        with contextlib.suppress(OSError):
            self.shards.rmdir()  # when empty: every row is in runs.csv
        return runs

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_atomic(self.folder / SUMMARY, lambda p: p.write_text(to_json(summary)))


def read_runs(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a runs.csv, one at a time."""
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)
