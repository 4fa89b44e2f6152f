"""ipywidgets views over the core: one module per worksheet and the session app."""

from .app import SessionApp
from .common import SessionContext, open_session
from .origins import OriginsSummary, OriginsView
from .plan import PlanView
from .profile import ProfileView
from .spectrum import SpectrumView

Session = SessionApp

__all__ = [
    "OriginsSummary",
    "OriginsView",
    "PlanView",
    "ProfileView",
    "Session",
    "SessionApp",
    "SessionContext",
    "SpectrumView",
    "open_session",
]
