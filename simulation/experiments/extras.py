"""Optional libraries, imported only where a feature uses them, with the extra that brings them."""

from __future__ import annotations

import importlib
from types import ModuleType

from simulation.errors import MissingExtraError


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import `module` for `feature`, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(feature, module.partition(".")[0], extra) from None
