"""peopleland: settlement of non-registered residents and the people-land linkage rule.

>>> import simulation
>>> scenario = simulation.load_scenario("scenarios/guangzhou/plan_2017.toml")
>>> results = simulation.run(scenario, seed=1)
>>> results.table.value_at("settled_total", 2020)   # city, persons
>>> simulation.evaluate({"channels.points.quota": 8000}, seed=1)   # named outcomes
"""

from __future__ import annotations

from simulation.api import Results, run
from simulation.config import Scenario
from simulation.errors import (
    AccountError,
    ManifestError,
    MissingExtraError,
    PeoplelandError,
    ScenarioError,
)
from simulation.experiments.evaluate import evaluate
from simulation.results import LongTable, Summary, summarize
from simulation.scenario import load_scenario

__all__ = [
    "AccountError",
    "LongTable",
    "ManifestError",
    "MissingExtraError",
    "PeoplelandError",
    "Results",
    "Scenario",
    "ScenarioError",
    "Summary",
    "evaluate",
    "load_scenario",
    "run",
    "summarize",
]
