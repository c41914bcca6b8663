"""The settlement channels of plan §3 and §5, one module each."""

from __future__ import annotations

from simulation.channels.base import Channel, admit_in_order, open_to_apply
from simulation.channels.points import Points
from simulation.channels.policy import Policy
from simulation.channels.special import Special
from simulation.channels.talent import Talent
from simulation.config import Channels

__all__ = [
    "Channel",
    "Points",
    "Policy",
    "Special",
    "Talent",
    "admit_in_order",
    "build",
    "open_to_apply",
]


def build(params: Channels) -> list[Channel]:
    """The enabled channels, in the plan's order of importance."""
    made: list[Channel] = [
        Talent(params.talent),
        Points(params.points),
        Policy(params.policy),
        Special(params.special),
    ]
    return [c for c in made if getattr(params, c.name).enabled]
