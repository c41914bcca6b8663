"""Helpers for unit tests: small hand-made populations, and child processes that take Ctrl-C."""

from __future__ import annotations

import signal

import numpy as np

from simulation.population import ATTRIBUTES, Population


def make_population(n: int, **columns: object) -> Population:
    """A population of `n` willing, active heads with neutral attributes, then `columns` set."""
    data = {name: np.zeros(n, dtype=dtype) for name, dtype in ATTRIBUTES.items()}
    data["willing"][:] = True
    data["age"][:] = 30
    data["lottery"][:] = np.linspace(0, 1, n, endpoint=False, dtype=np.float32)
    for name, value in columns.items():
        data[name][:] = value
    return Population(data)


def default_ctrl_c() -> None:
    """For `subprocess.Popen(preexec_fn=...)`: the child reacts to SIGINT as under a terminal.

    A job started in the background of a non-interactive shell inherits SIGINT ignored, and
    Python then installs no handler for it; a test that sends Ctrl-C must not depend on that.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
