"""Vectorised helpers the model's parts share."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from simulation.errors import ScenarioError

T = TypeVar("T")
R = TypeVar("R")


def bucket(edges: np.ndarray, values: np.ndarray, side: str = "right") -> np.ndarray:
    """`np.searchsorted(edges, values, side)` for a short sorted `edges` and many `values`:
    one comparison per edge, which for a handful of edges is many times faster than the
    binary search numpy does value by value."""
    edges = np.asarray(edges)
    out: np.ndarray = np.zeros(len(values), dtype=np.int16 if len(edges) < 2**15 else np.int64)
    for edge in edges:
        passed = values >= edge if side == "right" else values > edge
        np.add(out, passed, out=out, casting="unsafe")
    return out


def normalised(weights: object, fallback: np.ndarray) -> np.ndarray:
    """Weights summing to one: the given ones (if any), else the fallback's, else all alike."""
    w = np.asarray(weights, dtype=float)
    if not len(w) or w.sum() <= 0:
        w = np.asarray(fallback, dtype=float)
    return w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))


def rounded_split(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Whole numbers per cell of each row of `weights`, in proportion to the row's weights,
    adding up exactly to the row's (whole) total: largest remainders, ties by column order."""
    totals = weights.sum(axis=1, keepdims=True)
    share = np.divide(weights, totals, out=np.zeros(weights.shape), where=totals > 0)
    exact = share * total[:, None]
    out = np.floor(exact)
    short = (total - out.sum(axis=1)).astype(np.int64)
    # Each cell's place in its row's order of remainders, largest first: the order's inverse
    # permutation, which sorting the order again gives in one call (on small arrays cheaper
    # than scattering with put_along_axis).
    place = (out - exact).argsort(axis=1, kind="stable").argsort(axis=1)
    return out + (place < short[:, None])


class _PageAdvice:
    """numpy's switch for advising huge pages, off while any run in the process is going: it is
    one setting for the whole process, so runs in several threads share it (counted here), and
    the last to end puts back what was set before the first began."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs = 0
        self.before = True

    @contextlib.contextmanager
    def off(self) -> Iterator[None]:
        switch = getattr(getattr(np, "_core", None), "multiarray", None)
        switch = getattr(switch, "_set_madvise_hugepage", None)
        if switch is None:  # a numpy without the switch: leave its memory alone
            yield
            return
        with self.lock:
            if self.runs == 0:
                self.before = switch(False)
            self.runs += 1
        try:
            yield
        finally:
            with self.lock:
                self.runs -= 1
                if self.runs == 0:
                    switch(self.before)


_PAGE_ADVICE = _PageAdvice()


def small_pages() -> contextlib.AbstractContextManager[None]:
    """Within: numpy does not advise the kernel to back new large arrays with huge pages.

    A run allocates and frees hundreds of megabytes of columns and temporaries. Where the
    kernel compacts memory to find a huge page at the first touch (Linux's default for memory
    so advised), a fresh full-city run spent 1.1-1.3 s in the kernel against 0.4 s with plain
    pages, and took about 0.6 s longer. numpy's own switch for the advice (the one its
    NUMPY_MADVISE_HUGEPAGE setting sets at import) is turned off here and put back after.
    """
    return _PAGE_ADVICE.off()


#: Environment variable that caps the threads a run shares its long passes among.
THREADS_VARIABLE = "PEOPLELAND_THREADS"


def cores() -> int:
    """Processor cores this process may use, at most the PEOPLELAND_THREADS setting."""
    if hasattr(os, "sched_getaffinity"):
        found = len(os.sched_getaffinity(0))
    else:
        found = os.cpu_count() or 1
    setting = os.environ.get(THREADS_VARIABLE, "").strip()
    if not setting:
        return found
    try:
        wanted = int(setting) if setting.isascii() and setting.isdigit() else 0
    except ValueError:  # too many digits
        wanted = 0
    if wanted < 1:
        raise ScenarioError(
            "the environment", THREADS_VARIABLE, "a whole number, 1 or more", setting
        )
    return min(found, wanted)


def each(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`work` of every item, in order; on as many threads as there are cores (and items) when
    there are several. numpy lets go of the interpreter in its loops, so threads working on
    different rows of large arrays run at the same time. The threads end before this returns
    (a process may fork safely afterwards)."""
    workers = min(cores(), len(items))
    if workers < 2:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, items))
