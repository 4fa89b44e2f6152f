"""ipywidgets views over the core: one module per worksheet and the session app.

Names are imported on first use: the session app's first step needs neither
matplotlib nor pandas, so a facilitator sees it sooner.
"""

from __future__ import annotations

from importlib import import_module

_WHERE = {
    "SessionApp": ".app",
    "Session": ".app",
    "open_session": ".common",
    "OriginsSummary": ".origins",
    "OriginsView": ".origins",
    "PlanView": ".plan",
    "ProfileView": ".profile",
    "ProgressView": ".progress",
    "SessionPanel": ".sessions",
    "SpectrumView": ".spectrum",
    "WorkshopPanel": ".workshop",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module 'toolkit.ui' has no attribute {name!r}")
    module = import_module(_WHERE[name], __name__)
    return getattr(module, "SessionApp" if name == "Session" else name)
