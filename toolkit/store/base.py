"""What any session store offers, whatever it keeps its data in.

The session model, the transfer formats and the command line are written
against this interface only, so a second implementation (a server database, a
test double) needs these methods and nothing else. Every method either does
all of what it says or nothing, and reports problems as ``StoreError`` (or
``AnswerError`` for a value that is not acceptable).
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..content import Content
from ..responses import AnswerKey, Couple, SessionData, SessionInfo

__all__ = [
    "AnswerRecord",
    "CoupleRecord",
    "PlanRowRecord",
    "SessionRecord",
    "SessionStore",
    "StoreBusyError",
    "StoreDamagedError",
    "StoreError",
    "StoreFullError",
    "StoreGoneError",
]


class StoreError(Exception):
    """The store cannot do what was asked; the message says why and what to do."""


class StoreBusyError(StoreError):
    """Another program holds the store's write lock; waiting longer may help."""


class StoreFullError(StoreError):
    """The disk (or a file-size limit) left no room to save; nothing was written."""


class StoreDamagedError(StoreError):
    """The store file is damaged; it was left exactly as it was."""


class StoreGoneError(StoreError):
    """The store file was deleted or replaced while open; saving there would vanish."""


@dataclass(frozen=True)
class PlanRowRecord:
    section: str
    row: int
    created_at: str
    origin_session: int | None = None
    origin_row: int | None = None


@dataclass(frozen=True)
class AnswerRecord:
    key: AnswerKey
    value: Any
    updated_at: str


@dataclass(frozen=True)
class SessionRecord:
    number: int
    date: str
    facilitator: str
    created_at: str
    plan_rows: tuple[PlanRowRecord, ...] = ()
    answers: tuple[AnswerRecord, ...] = ()
    worksheets: Mapping[str, int] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CoupleRecord:
    """A couple with every session, exactly as stored (for export and import)."""

    couple: Couple
    sessions: tuple[SessionRecord, ...] = ()


class SessionStore(abc.ABC):
    """Couples, their sessions, and each session's answers and plan rows."""

    content: Content

    # --- couples -----------------------------------------------------------------

    @abc.abstractmethod
    def couples(self) -> list[Couple]: ...

    @abc.abstractmethod
    def couple(self, couple_id: str) -> Couple: ...

    @abc.abstractmethod
    def create_couple(self, partner_a: str, partner_b: str, *, couple_id: str | None = None,
                      notes: str = "") -> Couple: ...

    @abc.abstractmethod
    def update_couple(self, couple_id: str, *, partner_a: str | None = None,
                      partner_b: str | None = None, notes: str | None = None) -> Couple: ...

    @abc.abstractmethod
    def delete_couple(self, couple_id: str) -> None:
        """Remove the couple and every trace of their data."""

    @abc.abstractmethod
    def session_counts(self) -> dict[str, tuple[int, str]]:
        """Couple id -> (number of sessions, date of the latest), for every couple at once."""

    # --- sessions ------------------------------------------------------------------

    @abc.abstractmethod
    def sessions(self, couple_id: str) -> list[SessionInfo]: ...

    def session(self, couple_id: str, number: int | None = None) -> SessionInfo:
        """A couple's session by number; the latest one when no number is given."""
        found = self.sessions(couple_id)
        if not found:
            raise StoreError(f"couple '{couple_id}' has no sessions yet")
        if number is None:
            return found[-1]
        for info in found:
            if info.number == number:
                return info
        numbers = ", ".join(str(s.number) for s in found)
        raise StoreError(f"couple '{couple_id}' has no session {number} (sessions: {numbers})")

    @abc.abstractmethod
    def add_session(
        self,
        couple_id: str,
        *,
        answers: Mapping[AnswerKey, Any],
        plan_rows: Mapping[str, Sequence[int]],
        date: str | dt.date | None = None,
        facilitator: str = "",
        row_origins: Mapping[tuple[str, int], tuple[int, int]] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> SessionInfo:
        """A new session numbered after the couple's last, holding ``answers`` at once,
        answered with the worksheets in use (``content``).

        Everything is checked first; if anything is wrong nothing is written.
        """

    def new_session(self, couple_id: str, *, date: str | dt.date | None = None,
                    facilitator: str = "") -> SessionInfo:
        """An empty session, numbered after the couple's last one."""
        return self.add_session(couple_id, answers={}, plan_rows={}, date=date,
                                facilitator=facilitator)

    @abc.abstractmethod
    def update_session(self, session_id: int, *, date: str | dt.date | None = None,
                       facilitator: str | None = None,
                       options: Mapping[str, Any] | None = None) -> SessionInfo: ...

    @abc.abstractmethod
    def content_of(self, info: SessionInfo) -> Content:
        """The worksheets a session was answered with."""

    @abc.abstractmethod
    def delete_session(self, session_id: int) -> None:
        """Remove one session and every trace of its answers."""

    @abc.abstractmethod
    def load_session(self, session_id: int) -> SessionData: ...

    # --- answers and plan rows --------------------------------------------------------

    @abc.abstractmethod
    def set_answer(self, session_id: int, key: AnswerKey | tuple, value: Any) -> Any:
        """Validate and save one answer at once (``None`` clears it); returns the
        value as stored."""

    @abc.abstractmethod
    def add_plan_row(self, session_id: int, section: str) -> int: ...

    @abc.abstractmethod
    def remove_plan_row(self, session_id: int, section: str, row: int) -> None: ...

    # --- whole couples, for transfer -----------------------------------------------------

    @abc.abstractmethod
    def couple_record(self, couple_id: str) -> CoupleRecord: ...

    @abc.abstractmethod
    def insert_couple_record(self, record: CoupleRecord, couple_id: str) -> Couple:
        """Add a checked record under ``couple_id`` in one transaction; refuses an
        id that is already taken."""

    # --- plumbing ------------------------------------------------------------------------

    def close(self) -> None:  # noqa: B027 (optional for implementations)
        """Release whatever the store holds open."""

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
