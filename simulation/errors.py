"""The errors a user can cause, each carrying what a person needs to fix the input."""

from __future__ import annotations

from pathlib import Path


class PeoplelandError(Exception):
    """Base class of every error this package raises on purpose."""


class ScenarioError(PeoplelandError):
    """A scenario or one of its input files is malformed or inconsistent.

    The message names the file, the key path inside it, what was expected and what was found.
    """

    def __init__(self, file: Path | str, key: str, expected: str, got: object) -> None:
        self.file = str(file)
        self.key = key
        self.expected = expected
        self.got = got
        super().__init__(f"{self.file}: {key}: expected {expected}, got {got!r}")


class AccountError(PeoplelandError):
    """A yearly stock-flow account does not balance: the model itself is wrong."""

    def __init__(self, year: int, district: str, quantity: str, detail: str) -> None:
        self.year = year
        self.district = district
        self.quantity = quantity
        super().__init__(f"account broken in {year}, district {district}, {quantity}: {detail}")
