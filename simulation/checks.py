"""Inputs that are legal but suspect, and whether a run fits in memory: checked before a run.

A suspect input gets a warning (on stderr, in the manifest and in the report) rather than an
error: the run may still be what the user wants. A run that would not fit in memory is refused
before the population is synthesised, with the estimate and the limit.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from simulation.config import Scenario
from simulation.errors import ResourceError, ScenarioError
from simulation.population import ATTRIBUTES, COMPACT_SLACK

#: Years after the base year beyond which a projection rests on no observed trend.
FAR_HORIZON_YEARS = 30
#: Memory of a run besides its population: the interpreter, numpy, records, tables (MiB).
FIXED_MIB = 160.0
#: Environment variable that sets the memory a run may use (MiB); the CLI's --max-memory.
MEMORY_VARIABLE = "PEOPLELAND_MAX_MEMORY_MIB"


def _quotas(s: Scenario) -> list[tuple[str, str, float]]:
    """(key path, where, smallest positive yearly value) of every open channel's quota."""
    out = []
    by_year = [s.at_year(year) for year in s.years] or [s]
    talent = s.channels.talent
    if talent.enabled:
        for i, district in enumerate(s.districts.names):
            values = [
                y.channels.talent.quota[i] * y.channels.talent.quota_scale
                for y in by_year
                if y.channels.talent.quota[i] > 0
            ]
            if values:
                out.append(("channels.talent.quota", district, min(values)))
    for name in ("points", "special"):
        if getattr(s.channels, name).enabled:
            values = [getattr(y.channels, name).quota for y in by_year]
            positive = [v for v in values if v > 0]
            if positive:
                out.append((f"channels.{name}.quota", "the city", min(positive)))
    return out


def suspect_inputs(s: Scenario) -> list[str]:
    """What in a valid scenario looks like a mistake, each as one sentence."""
    out = []
    ppa = s.persons_per_agent
    stocks = {d.name: d.non_hukou_population for d in s.districts.districts}
    small = {name: n for name, n in stocks.items() if 0 < n < ppa}
    if small:
        listed = ", ".join(f"{k} ({v:,})" for k, v in small.items())
        out.append(
            f"persons_per_agent = {ppa:,} is more than the non-registered residents of {listed}:"
            " they cannot be represented, and their settlement will be nil"
        )
    quotas = _quotas(s)
    tiny: dict[str, list[str]] = {}
    for key, where, quota in quotas:
        if quota < ppa:
            tiny.setdefault(key, []).append(f"{where} ({quota:,.0f} a year)")
    for key, places in tiny.items():
        out.append(
            f"{key} is less than one agent (persons_per_agent = {ppa:,}) for "
            f"{', '.join(places)}: it can never admit anyone there"
        )
    everyone = sum(stocks.values()) + s.flows.arrivals_per_year * len(s.years)
    for key, _, quota in quotas:
        if key != "channels.talent.quota" and quota > everyone:
            out.append(
                f"{key} ({quota:,.0f} a year) is more than all non-registered residents and "
                f"arrivals of the run ({everyone:,.0f}) could ever use"
            )
    span = s.horizon - s.base_year
    if span > FAR_HORIZON_YEARS:
        out.append(
            f"horizon {s.horizon} is {span} years after the base year {s.base_year}: a "
            "projection that far rests on nothing observed, and constant rates compound"
        )
    return out


def memory_mib(s: Scenario) -> float:
    """Peak memory of a run, estimated from its people, years and persons per agent.

    The non-registered heads follow stock(t+1) = stock(t) x (1 - departure rate) + arrivals
    (settlement only lowers it), inactive rows are kept up to the compaction slack, and each
    head takes the bytes of its attributes; synthesis briefly holds the base year twice.
    """
    per_head = sum(np.dtype(dtype).itemsize for dtype in ATTRIBUTES.values())
    persons_per_head = s.persons_per_agent * (1 + s.population.mean_dependents)
    stock = sum(d.non_hukou_population for d in s.districts.districts) / persons_per_head
    base = stock
    peak = stock
    for year in s.years:
        flows = s.at_year(year).flows
        stock = stock * (1 - flows.departure_rate) + flows.arrivals_per_year / persons_per_head
        peak = max(peak, stock)
    rows = max(peak * (1 + COMPACT_SLACK), 2 * base)
    return FIXED_MIB + rows * per_head / 2**20


def available_mib() -> float:
    """Memory the machine has available now (MiB); infinite where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (ValueError, OSError, AttributeError):
        return float("inf")


def memory_limit_mib(limit: float | None = None) -> float:
    """The memory a run may use: `limit`, else the environment's setting, else what is free."""
    if limit is not None:
        return limit
    setting = os.environ.get(MEMORY_VARIABLE)
    if setting:
        try:
            value = float(setting)
        except ValueError:
            value = math.nan
        if not value > 0:
            raise ScenarioError(
                "the environment", MEMORY_VARIABLE, "a number of MiB above 0", setting
            )
        return value
    return available_mib()


def ensure_fits(s: Scenario, limit: float | None = None, workers: int = 1) -> None:
    """Refuse a run whose estimated peak memory is above the limit; with `workers` runs in
    parallel, each takes its share."""
    needed, allowed = memory_mib(s) * max(1, workers), memory_limit_mib(limit)
    if needed > allowed:
        what = f"scenario {s.name}" + (f" on {workers} workers" if workers > 1 else "")
        raise ResourceError(needed, allowed, what)
