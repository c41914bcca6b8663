"""One runner for many runs over any `concurrent.futures.Executor`.

Serial when no executor is given; a `ProcessPoolExecutor` on this machine; dask's
`Client.get_executor()` on a cluster (`executor_for` makes each). Each job carries its own seed,
so results never depend on the executor or the number of workers. `run_many` gives results in
the order of the jobs; `run_streaming` gives batches as they finish, with few in flight.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

from simulation.api import run
from simulation.config import Scenario
from simulation.errors import ScenarioError
from simulation.experiments.extras import require
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
    return _process_pool(workers) if workers > 1 else None


def _process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes that leave Ctrl-C to this one."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_leave_interrupts_to_parent)


def run_streaming(
    items: Iterable[T],
    fn: Callable[[T], R],
    executor: Executor | None = None,
    *,
    batch_size: Callable[[], int] | int = 1,
    in_flight: int = 4,
) -> Iterator[tuple[list[T], list[R]]]:
    """`fn` over items in batches, yielding each batch and its results as soon as it is done.

    At most `in_flight` batches are submitted at a time, so the items (and their results) are
    never all in memory at once; `batch_size` is asked before each batch is cut, so a caller
    can size batches from the run times seen so far. Batches come back in the order they
    finish; every result carries what it needs to be put in place.
    """
    source = iter(items)

    def cut() -> list[T]:
        size = batch_size() if callable(batch_size) else batch_size
        return list(itertools.islice(source, max(1, size)))

    if executor is None:
        while batch := cut():
            yield batch, _batch(fn, batch)
        return
    pending: dict[Future[list[R]], list[T]] = {}
    try:
        while True:
            while len(pending) < max(1, in_flight) and (batch := cut()):
                pending[executor.submit(_batch, fn, batch)] = batch
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()
    finally:
        for future in pending:
            future.cancel()


EXECUTORS = ("serial", "process", "dask")
#: Seconds to wait for a dask scheduler to answer before calling its address unreachable.
SCHEDULER_TIMEOUT = 10.0


@contextlib.contextmanager
def executor_for(
    kind: str, workers: int | None = None, scheduler: str | None = None
) -> Iterator[tuple[Executor | None, int]]:
    """The executor of `kind` and how many runs it takes at once, shut down on leaving.

    `serial` runs in this process; `process` in a pool of `workers` processes (default: all
    cores); `dask` on the dask.distributed scheduler at `scheduler`, or on a local cluster of
    `workers` single-threaded processes when none is given: the same path as to a real cluster.
    """
    if kind == "serial":
        yield None, 1
    elif kind == "process":
        count = workers or os.cpu_count() or 1
        pool = _process_pool(count)
        try:
            yield pool, count
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # the runs in flight finish
            raise
        pool.shutdown(wait=True)
    elif kind == "dask":
        with _dask(scheduler, workers or os.cpu_count() or 1) as pair:
            yield pair
    else:
        raise ValueError(f"unknown executor {kind!r}: one of {EXECUTORS}")


def _leave_interrupts_to_parent() -> None:
    """In a pool's worker: Ctrl-C reaches the whole process group, and only the parent should
    act on it (stop submitting, keep what is finished); a worker interrupted mid-queue
    operation can leave the pool unable to shut down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _dask(scheduler: str | None, workers: int) -> Iterator[tuple[Executor, int]]:
    distributed = require("distributed", "dask", "--executor dask")
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout=SCHEDULER_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ScenarioError(
                    "command line",
                    "--scheduler",
                    "the address of a running dask scheduler",
                    f"{scheduler} ({exc})",
                ) from None
        else:
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = distributed.Client(cluster)
        stack.enter_context(client)
        threads = sum(client.nthreads().values()) or 1
        yield client.get_executor(pure=False), threads
