"""Couples' independence workshop toolkit.

The core (content, responses, scoring, store) imports no plotting, PDF or
widget library, so the command line and tests start quickly; those heavier
parts load only when first used.
"""

from __future__ import annotations

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # `from toolkit import Session` in a notebook, without loading widgets for the CLI
    if name in ("Session", "SessionApp"):
        from .ui import SessionApp

        return SessionApp
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
