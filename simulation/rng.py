"""Keyed random streams from one seed, so that scenarios share draws wherever policy agrees.

A stream is named by its purpose (and year, step, attribute ...). Two runs with the same seed
draw the same numbers for the same purpose, whatever else differs between them: common random
numbers for paired comparisons. Nothing here keeps state; every stream is made afresh.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

Key = str | int


def key_words(key: tuple[Key, ...]) -> tuple[int, ...]:
    """A stable 128-bit digest of a key as four 32-bit words (Python's hash() is salted)."""
    return _digest_words("\x1f".join(str(part) for part in key))


@functools.lru_cache(maxsize=4096)  # the same keys come back in every run of a sweep
def _digest_words(text: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, *key: Key) -> np.random.Generator:
    """The generator for one purpose of one run."""
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=key_words(key))
    return np.random.Generator(np.random.PCG64(sequence))


class Streams:
    """All streams of one run: `streams("arrivals", year, step)`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, *key: Key) -> np.random.Generator:
        return stream(self.seed, *key)
