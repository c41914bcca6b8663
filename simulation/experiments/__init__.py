"""Running the model many times: replicates, scenario comparisons, sweeps, and the runner
under them.

The experiments reach the model only through `simulation.run`. Sweeps live in `sweepfile`
(the file), `design` (the points), `sweep` (running them), `store` (the folder) and `analyze`
(sensitivity and targets); import those where used, they bring optional libraries.
"""

from __future__ import annotations

from simulation.experiments.compare import Comparison, compare, paired_differences
from simulation.experiments.evaluate import evaluate
from simulation.experiments.replicate import replicate, replicate_seeds
from simulation.experiments.runner import Job, make_executor, run_many

__all__ = [
    "Comparison",
    "Job",
    "compare",
    "evaluate",
    "make_executor",
    "paired_differences",
    "replicate",
    "replicate_seeds",
    "run_many",
]
