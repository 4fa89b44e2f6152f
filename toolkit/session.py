"""One open session: the model every view, the command line and the PDF share.

``SessionModel`` holds a session's data in memory, caches its scores, and
writes each change through to the store at once. What the store kept is what
the model holds and what every subscriber is told, so two views of the same
answers never disagree and no view reloads or rescores anything itself.

No widgets here: a notebook, a script and a test use the same model.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .content import Content
from .responses import (
    PARTNERS,
    AnswerError,
    AnswerKey,
    Couple,
    SessionData,
    SessionInfo,
    validate_answer,
)
from .store.base import SessionStore, StoreError

if TYPE_CHECKING:  # scoring needs pandas, which the app's first step does without
    import pandas as pd

    from .safety import SafetyResult
    from .scoring import SessionScores, SinceLastTime

__all__ = ["Change", "SessionModel", "start_follow_up"]


@dataclass(frozen=True)
class Change:
    """What changed: ``kind`` is "answer", "row_added", "row_removed", "info" or
    "couple"; ``key`` and ``value`` say which answer and what it is now."""

    kind: str
    key: AnswerKey | None = None
    value: Any = None

    @property
    def worksheet(self) -> str | None:
        return self.key.worksheet if self.key is not None else None


Subscriber = Callable[[Change], None]


class SessionModel:
    """A couple's session, open for reading and writing."""

    def __init__(self, store: SessionStore, session_id: int) -> None:
        self.store = store
        self.session_id = session_id
        self._lock = threading.RLock()
        self._subscribers: list[Subscriber] = []
        self._data = store.load_session(session_id)
        self._scores: SessionScores | None = None
        self._pictures: dict[tuple, bytes] = {}
        self._history: list[SessionData] | None = None
        self._progress: tuple[tuple, tuple[pd.DataFrame, pd.DataFrame]] | None = None
        self.revision = 0
        self.spectrum_revision = 0

    @classmethod
    def open(cls, store: SessionStore, couple_id: str, number: int | None = None
             ) -> SessionModel:
        """The couple's session by number (the latest when ``number`` is None)."""
        return cls(store, store.session(couple_id, number).id)

    # --- reading ---------------------------------------------------------------------

    @property
    def content(self) -> Content:
        """The worksheets this session was answered with (older sessions keep theirs)."""
        return self.store.content_of(self._data.info)

    @property
    def data(self) -> SessionData:
        return self._data

    @property
    def info(self) -> SessionInfo:
        return self._data.info

    @property
    def couple(self) -> Couple:
        return self._data.couple

    @property
    def couple_id(self) -> str:
        return self._data.info.couple_id

    def names(self) -> dict[str, str]:
        return {p: self._data.couple.name(p) for p in PARTNERS}

    @property
    def scores(self) -> SessionScores:
        """Scores of the answers as they are now; computed once per change."""
        from .scoring import score_session

        with self._lock:
            if self._scores is None:
                self._scores = score_session(self.content.spectrum, self._data)
            return self._scores

    def history(self) -> list[SessionData]:
        """Every session of this couple up to and including this one, oldest first."""
        with self._lock:
            if self._history is None:
                earlier = [self.store.load_session(i.id)
                           for i in self.store.sessions(self.couple_id)
                           if i.number < self.info.number]
                self._history = earlier
            return [*self._history, self._data]

    @property
    def safety(self) -> SafetyResult:
        """The safety screen's result: for facilitator-only views and reports."""
        from .safety import safety_result

        return safety_result(self.content, self._data)

    @property
    def locked(self) -> bool:
        """Joint exercises wait: an answer of concern not yet followed up one to one."""
        return self.safety.locked

    def set_shared(self, partner: str, section: str, shared: bool) -> Any:
        """Share a partner's note on an origin section with the other partner, or take
        it back (notes are private until shared)."""
        return self.set(("origins", partner, section, 0, "shared"), bool(shared))

    def confirm_safety(self, confirmed: bool = True) -> Any:
        """The facilitator has spoken with each partner on their own after a concern."""
        from .safety import CONFIRM_KEY

        return self.set(CONFIRM_KEY, bool(confirmed))

    def item_order(self, partner: str) -> list[str]:
        """The order a partner sees the spectrum in: shuffled for each partner (so
        neither anchors on the other's page), the same every time the session is
        opened; the worksheet's order when the facilitator switches shuffling off."""
        ids = list(self.content.spectrum.ids)
        if self.info.shuffle_items:
            random.Random(f"{self.info.created_at}/{self.session_id}/{partner}").shuffle(ids)
        return ids

    def set_shuffle(self, on: bool) -> SessionInfo:
        """Switch the per-partner item order on or off for this session."""
        with self._lock:
            info = self.store.update_session(self.session_id, options={"shuffle_items": on})
            self._changed(Change("info", value=info),
                          dataclasses.replace(self._data, info=info))
        return info

    def previous(self) -> SessionData | None:
        """The couple's session before this one, if there is one."""
        earlier = self.history()[:-1]
        return earlier[-1] if earlier else None

    def progress(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Every session's answers up to this one and each session's lean and mean gap
        (``scoring.progress`` and ``scoring.progress_summary``), computed once per change."""
        from .scoring import progress, progress_summary

        key = ("progress", self.spectrum_revision)
        with self._lock:
            if self._progress is None or self._progress[0] != key:
                history = self.history()
                spectrum = self.content.spectrum
                self._progress = (key, (progress(spectrum, history),
                                        progress_summary(spectrum, history)))
            return self._progress[1]

    def since_last_time(self) -> SinceLastTime | None:
        """What changed since the couple's previous session (None for a first session)."""
        from .scoring import since_last_time

        previous = self.previous()
        if previous is None:
            return None
        return since_last_time(self.content.spectrum, previous, self._data)

    def plan_history(self, section: str = "small_risks") -> pd.DataFrame:
        """What happened to each row of a plan table across sessions (``scoring.plan_history``)."""
        from .scoring import plan_history

        return plan_history(self.history(), section)

    def picture(self, *, width: float = 10.0, dpi: float = 200) -> bytes:
        """The couple's profile as PNG, drawn once per change and reused (the PDF
        report of each reader uses the same picture)."""
        key = ("profile", self.spectrum_revision, width, dpi)
        with self._lock:
            if key not in self._pictures:
                from .plots import profile_png

                self._pictures = {key: profile_png(self.content.spectrum, self.scores,
                                                   self.names(), width=width, dpi=dpi)}
            return self._pictures[key]

    # --- subscribing -------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(change)`` after every change; returns a function that stops it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _changed(self, change: Change, data: SessionData) -> None:
        with self._lock:
            self._data = data
            self.revision += 1
            if (change.kind == "answer" and change.worksheet == "spectrum"
                    or change.kind == "couple"):
                self._scores = None
                self.spectrum_revision += 1
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback(change)

    # --- writing -------------------------------------------------------------------------

    def set(self, key: AnswerKey | tuple, value: Any) -> Any:
        """Validate and save one answer now; returns it as stored.

        Raises ``AnswerError`` (a value that cannot be kept) or ``StoreError``
        (the store could not save it); either way nothing changed.
        """
        key = AnswerKey(*key)
        with self._lock:
            stored = self.store.set_answer(self.session_id, key, value)
            answers = dict(self._data.answers)
            if stored is None:
                answers.pop(key, None)
            else:
                answers[key] = stored
            data = dataclasses.replace(self._data, answers=answers)
            self._changed(Change("answer", key, stored), data)
        return stored

    def save(self, key: AnswerKey | tuple, value: Any) -> str | None:
        """Like ``set``, but returns the reason as a sentence instead of raising."""
        return self.attempt(key, value)[0]

    def attempt(self, key: AnswerKey | tuple, value: Any) -> tuple[str | None, bool]:
        """Save like ``set``; returns (None, False) when saved, else the reason and
        whether the value should stay on screen to try again: True when the store could
        not save it (busy, full, gone), False when the value itself is not acceptable."""
        try:
            self.set(key, value)
        except AnswerError as exc:
            return str(exc), False
        except StoreError as exc:
            return str(exc), True
        return None, False

    def add_plan_row(self, section: str) -> int:
        with self._lock:
            row = self.store.add_plan_row(self.session_id, section)
            plan = dict(self._data.plan_rows)
            plan[section] = (*plan.get(section, ()), row)
            data = dataclasses.replace(self._data, plan_rows=plan)
            self._changed(Change("row_added", AnswerKey("boundaries", "couple", section, row,
                                                        "")), data)
        return row

    def remove_plan_row(self, section: str, row: int) -> None:
        with self._lock:
            self.store.remove_plan_row(self.session_id, section, row)
            plan = dict(self._data.plan_rows)
            plan[section] = tuple(r for r in plan.get(section, ()) if r != row)
            answers = {k: v for k, v in self._data.answers.items()
                       if not (k.worksheet == "boundaries" and k.item == section
                               and k.row == row)}
            origins = {k: v for k, v in self._data.row_origins.items() if k != (section, row)}
            data = dataclasses.replace(self._data, plan_rows=plan, answers=answers,
                                       row_origins=origins)
            self._changed(Change("row_removed", AnswerKey("boundaries", "couple", section, row,
                                                          "")), data)

    def update_info(self, *, date: str | dt.date | None = None,
                    facilitator: str | None = None) -> SessionInfo:
        """Correct the session's date or facilitator."""
        with self._lock:
            info = self.store.update_session(self.session_id, date=date,
                                             facilitator=facilitator)
            self._changed(Change("info", value=info),
                          dataclasses.replace(self._data, info=info))
        return info

    def update_couple(self, *, partner_a: str | None = None, partner_b: str | None = None,
                      notes: str | None = None) -> Couple:
        with self._lock:
            couple = self.store.update_couple(self.couple_id, partner_a=partner_a,
                                              partner_b=partner_b, notes=notes)
            self._changed(Change("couple", value=couple),
                          dataclasses.replace(self._data, couple=couple))
        return couple


def start_follow_up(store: SessionStore, couple_id: str, *, date: str | dt.date | None = None,
                    facilitator: str | None = None) -> SessionInfo:
    """A new session for a returning couple, carrying forward what should carry.

    Every boundary-plan row comes along with what was written in it, marked
    with the session it was first written in, so "how it went" can be
    reviewed; the facilitator's name comes along unless another is given.
    Couple notes belong to the couple and are there already. The spectrum,
    origins and the review date start empty, so nobody anchors on last time.
    """
    earlier = store.sessions(couple_id)
    if not earlier:
        return store.new_session(couple_id, date=date or dt.date.today(),
                                 facilitator=facilitator or "")
    last = store.load_session(earlier[-1].id)
    tables = {s.id for s in store.content.boundaries.sections if s.kind == "table"}
    answers: dict[AnswerKey, Any] = {}
    plan_rows: dict[str, list[int]] = {}
    origins: dict[tuple[str, int], tuple[int, int]] = {}
    for section, rows in last.plan_rows.items():
        if section not in tables:
            continue
        for new_row, old_row in enumerate(rows, start=1):
            plan_rows.setdefault(section, []).append(new_row)
            origins[(section, new_row)] = last.row_origins.get(
                (section, old_row), (last.info.number, old_row))
            for key, value in last.answers.items():
                if key.worksheet == "boundaries" and key.item == section and key.row == old_row:
                    moved = key._replace(row=new_row)
                    try:  # a column the worksheets in use no longer have stays behind
                        answers[moved] = validate_answer(store.content, moved, value)
                    except AnswerError:
                        continue
    who = last.info.facilitator if facilitator is None else facilitator
    return store.add_session(couple_id, answers=answers, plan_rows=plan_rows,
                             date=date or dt.date.today(), facilitator=who,
                             row_origins=origins)
