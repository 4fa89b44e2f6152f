"""The open session's details and the couple's list of sessions.

The date and facilitator of a session can be corrected, the couple's notes
written, and any session opened, continued or deleted (deleting scrubs it
from the file, as deleting a couple does). A follow-up session starts with
the boundary plan carried forward.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ipywidgets as w

from ..responses import PARTNERS, AnswerError, SessionInfo
from ..session import Change, SessionModel
from ..store import StoreError
from .common import View, error_html, esc

__all__ = ["SessionPanel"]


def _counts(model: SessionModel, info: SessionInfo) -> str:
    data = model.data if info.id == model.session_id else model.store.load_session(info.id)
    total = len(model.content.spectrum.items)
    names = model.names()
    parts = [f"{esc(names[p])} {len(data.spectrum(p))}/{total}" for p in PARTNERS]
    rows = sum(len(r) for r in data.plan_rows.values())
    return (f"spectrum answered: {', '.join(parts)}; "
            f"{rows} plan row{'s' if rows != 1 else ''}")


class SessionPanel(View):
    """Details of the open session and the couple's sessions, on the Couple step."""

    def __init__(self, model: SessionModel, *, on_open: Callable[[int], None],
                 on_follow_up: Callable[[], None], on_deleted: Callable[[int], None]) -> None:
        self.model = model
        self._on_open, self._on_follow_up, self._on_deleted = on_open, on_follow_up, on_deleted
        info = model.info
        self.date = w.DatePicker(description="Date:", value=dt.date.fromisoformat(info.date),
                                 layout=w.Layout(width="300px"))
        self.facilitator = w.Text(description="Facilitator:", value=info.facilitator,
                                  placeholder="optional", continuous_update=False,
                                  layout=w.Layout(width="420px"))
        self.notes = w.Textarea(value=model.couple.notes, rows=3, continuous_update=True,
                                placeholder="Notes about the couple (for you; saved as you type)",
                                layout=w.Layout(width="100%"))
        self.shuffle = w.Checkbox(
            value=info.shuffle_items, indent=False, layout=w.Layout(width="auto"),
            description="Each partner sees the spectrum items in their own order",
        )
        self.details_status = w.HTML()
        self._loading = False
        self.shuffle.observe(self._on_shuffle, names="value")
        self.date.observe(self._on_date, names="value")
        self.facilitator.observe(self._on_facilitator, names="value")
        self.notes.observe(self._on_notes, names="value")
        self.list_box = w.VBox()
        self.list_status = w.HTML()
        self.follow_up_button = w.Button(description="Start a follow-up session today",
                                         icon="plus", layout=w.Layout(width="auto"),
                                         tooltip="The boundary plan comes along for review")
        self.follow_up_button.on_click(lambda _: self._on_follow_up())
        details = w.VBox([w.HTML("<h3>This session</h3>"), self.date, self.facilitator,
                          self.shuffle,
                          w.HTML("<p class='tk-muted'>A different order for each partner, the "
                                 "same each time the session is opened, keeps either from "
                                 "anchoring on the other's page.</p>"),
                          w.HTML("<b>Couple notes</b>"), self.notes, self.details_status])
        details.add_class("tk-card")
        sessions = w.VBox([w.HTML("<h3>Their sessions</h3>"), self.list_box,
                           self.follow_up_button, self.list_status])
        sessions.add_class("tk-card")
        self.widget = w.VBox([details, sessions])
        self.refresh_list()
        self.listen(model, self._changed)

    # --- details ---------------------------------------------------------------------

    def _changed(self, change: Change) -> None:
        if change.kind not in ("info", "couple"):
            return
        self._loading = True
        try:
            info, couple = self.model.info, self.model.couple
            if self.date.value != dt.date.fromisoformat(info.date):
                self.date.value = dt.date.fromisoformat(info.date)
            if self.facilitator.value != info.facilitator:
                self.facilitator.value = info.facilitator
            if self.notes.value != couple.notes:
                self.notes.value = couple.notes
            if self.shuffle.value != info.shuffle_items:
                self.shuffle.value = info.shuffle_items
        finally:
            self._loading = False
        self.refresh_list()

    def _report(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (AnswerError, StoreError) as exc:
            self.details_status.value = error_html(str(exc))
            return
        self.details_status.value = ""

    def _on_date(self, change: dict) -> None:
        if self._loading:
            return
        if change["new"] is None:
            self.details_status.value = error_html(
                "A session needs a date; the date was not changed.")
            self._loading = True
            try:
                self.date.value = dt.date.fromisoformat(self.model.info.date)
            finally:
                self._loading = False
            return
        self._report(lambda: self.model.update_info(date=change["new"]))

    def _on_facilitator(self, change: dict) -> None:
        if not self._loading:
            self._report(lambda: self.model.update_info(facilitator=change["new"]))

    def _on_shuffle(self, change: dict) -> None:
        if not self._loading:
            self._report(lambda: self.model.set_shuffle(bool(change["new"])))

    def _on_notes(self, change: dict) -> None:
        if not self._loading:
            self._report(lambda: self.model.update_couple(notes=change["new"]))

    # --- the list -----------------------------------------------------------------------

    def refresh_list(self) -> None:
        try:
            sessions = self.model.store.sessions(self.model.couple_id)
        except StoreError as exc:
            self.list_status.value = error_html(str(exc))
            return
        rows = []
        for info in sessions:
            current = info.id == self.model.session_id
            label = w.HTML(
                f"<b>Session {info.number}</b>, {esc(info.date)}"
                f"{' (open now)' if current else ''}<br>"
                f"<span class='tk-muted'>{_counts(self.model, info)}</span>",
                layout=w.Layout(flex="1 1 auto"))
            open_button = w.Button(description="Open", icon="folder-open",
                                   disabled=current, layout=w.Layout(width="auto"),
                                   tooltip=f"Open session {info.number}")
            delete_button = w.Button(description="Delete", icon="trash",
                                     layout=w.Layout(width="auto"),
                                     tooltip=f"Delete session {info.number} for good")
            open_button.on_click(lambda _, n=info.number: self._on_open(n))
            delete_button.on_click(lambda _, i=info: self._confirm(i))
            rows.append(w.HBox([label, open_button, delete_button],
                               layout=w.Layout(align_items="center", width="100%")))
        self.list_box.children = rows

    def _confirm(self, info: SessionInfo) -> None:
        yes = w.Button(description=f"Delete session {info.number} for good",
                       button_style="danger", layout=w.Layout(width="auto"))
        no = w.Button(description="Keep it", layout=w.Layout(width="auto"))
        yes.on_click(lambda _: self.delete(info))
        no.on_click(lambda _: self._cancel())
        self.list_status.value = ""
        self.list_box.children = [*self.list_box.children, w.VBox([
            w.HTML(f"<div class='tk-status tk-error' role='alert'>Delete session "
                   f"{info.number} ({esc(info.date)}) and everything in it? This cannot be "
                   "undone.</div>"),
            w.HBox([yes, no]),
        ])]

    def _cancel(self) -> None:
        self.refresh_list()

    def delete(self, info: SessionInfo) -> None:
        """Delete one session for good (scrubbed from the file)."""
        try:
            self.model.store.delete_session(info.id)
        except StoreError as exc:
            self.list_status.value = error_html(str(exc))
            return
        self.list_status.value = f"<p role='status'>Session {info.number} was deleted.</p>"
        self._on_deleted(info.id)
        self.refresh_list()
