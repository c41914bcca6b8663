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
        # args are the constructor's so that the error survives being re-raised by SimPy.
        super().__init__(file, key, expected, got)

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: expected {self.expected}, got {self.got!r}"


class AccountError(PeoplelandError):
    """A yearly stock-flow account does not balance: the model itself is wrong."""

    def __init__(self, year: int, district: str, quantity: str, detail: str) -> None:
        self.year = year
        self.district = district
        self.quantity = quantity
        self.detail = detail
        super().__init__(year, district, quantity, detail)

    def __str__(self) -> str:
        return (
            f"account broken in {self.year}, district {self.district}, {self.quantity}: "
            f"{self.detail}"
        )


class MissingExtraError(PeoplelandError, ImportError):
    """An optional feature was asked for whose library is not installed.

    The message names the feature, the library and the extra that installs it.
    """

    def __init__(self, feature: str, module: str, extra: str) -> None:
        self.feature = feature
        self.module = module
        self.extra = extra
        super().__init__(feature, module, extra)

    def __str__(self) -> str:
        return f"{self.feature} needs {self.module}: pip install 'peopleland[{self.extra}]'"


class ResourceError(PeoplelandError):
    """A run would need more memory than it may have: refused before it starts."""

    def __init__(self, needed_mib: float, limit_mib: float, what: str) -> None:
        self.needed_mib = needed_mib
        self.limit_mib = limit_mib
        self.what = what
        super().__init__(needed_mib, limit_mib, what)

    def __str__(self) -> str:
        return (
            f"{self.what} would need about {self.needed_mib:,.0f} MiB of memory, more than the "
            f"{self.limit_mib:,.0f} MiB it may use (raise it with --max-memory, or use a larger "
            "persons_per_agent)"
        )


class ManifestError(PeoplelandError, KeyError):
    """A manifest lacks a value of the scenario's description that a figure or report states.

    Views take no default for the policy they describe: a manifest made by `simulation.run`
    holds every value, so a missing one means a manifest written by hand or by another version.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)

    def __str__(self) -> str:
        return f"manifest: {self.key}: expected the scenario's value (no default), got nothing"
