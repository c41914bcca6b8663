"""Replicates of a scenario: seeds spawned from the run's seed, all runs in one table."""

from __future__ import annotations

import time
from concurrent.futures import Executor

import numpy as np

from simulation.api import Results, check_seed, with_seed
from simulation.config import Scenario
from simulation.experiments.runner import Job, run_many
from simulation.results import LongTable


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Seeds of replicates 0..R-1: replicate 0 runs with `seed` itself (so a single run and the
    first replicate agree), replicate r > 0 with the r-th child of `SeedSequence(seed)`. A
    replicate's seed does not depend on how many replicates are run."""
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    children = np.random.SeedSequence(seed).spawn(replicates)
    return [seed, *(int64_seed(child) for child in children[1:])]


def int64_seed(sequence: np.random.SeedSequence) -> int:
    """A run's seed drawn from `sequence`: a non-negative int64, as a scenario's seed may be."""
    high, low = sequence.generate_state(2, np.uint32)
    return (int(high) & 0x7FFFFFFF) << 32 | int(low)


def replicate(
    scenario: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
) -> Results:
    """Run `replicates` replicates (default: the scenario's `replicates`) of a scenario.

    The seeds come from `seed` (default: the scenario's); the table holds every replicate.
    """
    count = scenario.replicates if replicates is None else replicates
    root = scenario.seed if seed is None else check_seed(seed, "replicate()")
    if root != scenario.seed:
        scenario = with_seed(scenario, root)
    started = time.perf_counter()
    seeds = replicate_seeds(root, count)
    jobs = [Job(scenario, s, r) for r, s in enumerate(seeds)]
    table = LongTable.concat(run_many(jobs, executor=executor))
    return Results(scenario, table, tuple(enumerate(seeds)), time.perf_counter() - started)
