"""One runner for many runs over any `concurrent.futures.Executor`.

Serial when no executor is given; a `ProcessPoolExecutor` on this machine; dask's
`Client.get_executor()` on a cluster. Each job carries its own seed, so results never depend on
the executor or the number of workers, and they come back in the order of the jobs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from simulation.api import run
from simulation.config import Scenario
from simulation.results import LongTable

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Job:
    """One run: a scenario, the seed to run it with, and its replicate number."""

    scenario: Scenario
    seed: int
    replicate: int = 0


def run_job(job: Job) -> LongTable:
    """The long table of one job (a plain module-level function: workers can unpickle it)."""
    return run(job.scenario, job.seed, replicate=job.replicate).table


def _batch(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [fn(item) for item in items]


def run_many(
    items: Sequence[T],
    fn: Callable[[T], R] = run_job,  # type: ignore[assignment]
    executor: Executor | None = None,
    *,
    batch_size: int = 1,
) -> Iterator[R]:
    """`fn(item)` for every item, in the order of the items.

    With an executor, items go to workers in batches of `batch_size` (so that short runs are
    not swamped by scheduling); results are yielded in order as soon as they are complete.
    """
    if executor is None:
        for item in items:
            yield fn(item)
        return
    size = max(1, batch_size)
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    futures = [executor.submit(_batch, fn, batch) for batch in batches]
    try:
        for future in futures:
            yield from future.result()
    finally:
        for future in futures:
            future.cancel()


def default_workers(jobs: int) -> int:
    """All cores, but no more workers than jobs."""
    return max(1, min(os.cpu_count() or 1, jobs))


def make_executor(workers: int) -> ProcessPoolExecutor | None:
    """A process pool of `workers`, or None (run serially) for one worker."""
    return ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
