"""Running the model many times: replicates, scenario comparisons, and the runner under them.

The experiments reach the model only through `simulation.run`.
"""

from __future__ import annotations

from simulation.experiments.compare import Comparison, compare, paired_differences
from simulation.experiments.replicate import replicate, replicate_seeds
from simulation.experiments.runner import Job, make_executor, run_many

__all__ = [
    "Comparison",
    "Job",
    "compare",
    "make_executor",
    "paired_differences",
    "replicate",
    "replicate_seeds",
    "run_many",
]
