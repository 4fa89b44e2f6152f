"""Origin reflection: per partner, how much each section resonates, and notes."""

from __future__ import annotations

import ipywidgets as w

from ..content import OriginSection
from ..responses import PARTNERS, AnswerKey
from ..session import Change, SessionModel
from .common import SaveStatus, View, esc, stylesheet

__all__ = ["OriginsSummary", "OriginsView"]

NOTES_ROWS = 3


class _SectionView:
    def __init__(self, model: SessionModel, partner: str, section: OriginSection) -> None:
        self.model, self.partner, self.section = model, partner, section
        labels = model.content.origins.resonance_labels
        self.keys = {
            fld: AnswerKey("origins", partner, section.id, 0, fld)
            for fld in ("resonance", "notes", "shared")
        }
        other = model.names()["b" if partner == "a" else "a"]
        self.resonance = w.ToggleButtons(
            options=[(label, i) for i, label in enumerate(labels)], value=None,
            description="Resonates:", style={"description_width": "initial",
                                              "button_width": "auto"},
        )
        self.notes = w.Textarea(
            placeholder="Notes (saved as you type)", rows=NOTES_ROWS, continuous_update=True,
            layout=w.Layout(width="100%"),
        )
        self.shared = w.Checkbox(
            value=False, indent=False, layout=w.Layout(width="auto"),
            description=f"Share this note with {other}",
        )
        self.shared.description_allow_html = False
        self.status = SaveStatus()
        prompts = "".join(f"<li>{esc(p)}</li>" for p in section.prompts)
        self.widget = w.VBox([
            w.HTML(f"<h3>{esc(section.title)}</h3><p>{esc(section.intro)}</p><ul>{prompts}</ul>"),
            self.resonance, self.notes, self.shared, self.status.widget,
        ])
        self.widget.add_class("tk-card")
        self._loading = False
        self.resonance.observe(self._on_resonance, names="value")
        self.notes.observe(self._on_notes, names="value")
        self.shared.observe(self._on_shared, names="value")

    def show(self, field: str, value: object) -> None:
        """Display a value the model holds, without saving it again."""
        target = {"resonance": self.resonance, "notes": self.notes, "shared": self.shared}[field]
        shown = {"resonance": value, "notes": value or "", "shared": value is True}[field]
        if target.value == shown:
            return
        self._loading = True
        try:
            target.value = shown
        finally:
            self._loading = False

    def _save(self, field: str, value: object) -> None:
        error, keep = self.model.attempt(self.keys[field], value)
        if not error:
            self.status.clear()
        elif keep:  # what was typed stays in the box; the latest value is tried again
            current = {"resonance": self.resonance, "notes": self.notes,
                       "shared": self.shared}[field]
            self.status.failed(f"Not saved yet. {error}",
                               retry=lambda: self._save(field, current.value))
        else:
            self.status.failed(error)

    def _on_resonance(self, change: dict) -> None:
        if not self._loading:
            self._save("resonance", change["new"])

    def _on_notes(self, change: dict) -> None:
        if not self._loading:
            self._save("notes", change["new"])

    def _on_shared(self, change: dict) -> None:
        if not self._loading:
            self._save("shared", bool(change["new"]))


class OriginsView(View):
    """Every origin section for one partner."""

    def __init__(self, model: SessionModel, partner: str) -> None:
        self.model, self.partner = model, partner
        self.sections = [_SectionView(model, partner, s) for s in model.content.origins.sections]
        self._by_key = {key: (view, fld) for view in self.sections
                        for fld, key in view.keys.items()}
        self.heading = w.HTML()
        self.widget = w.VBox([stylesheet(), self.heading, *[s.widget for s in self.sections]])
        self.widget.add_class("tk-app")
        data = model.data
        for view in self.sections:
            resonance, notes = data.origin(partner, view.section.id)
            view.show("resonance", resonance)
            view.show("notes", notes)
            view.show("shared", data.shared(partner, view.section.id))
        self._heading()
        self.listen(model, self._changed)

    def describe(self) -> str:
        name = self.model.names()[self.partner]
        marked = sum(1 for s in self.sections
                     if self.model.data.origin(self.partner, s.section.id)[0] is not None)
        return (f"{self.model.content.origins.title}, for {name} alone: "
                f"{len(self.sections)} sections, {marked} marked.")

    def _changed(self, change: Change) -> None:
        if change.kind == "answer" and change.key in self._by_key:
            view, fld = self._by_key[change.key]
            view.show(fld, change.value)
        elif change.kind == "couple":
            self._heading()

    def _heading(self) -> None:
        origins = self.model.content.origins
        names = self.model.names()
        name, other = names[self.partner], names["b" if self.partner == "a" else "a"]
        self.heading.value = (
            f'<div class="tk-hidden-note">This part is for <b>{esc(name)}</b> alone. Notes '
            f"stay private: {esc(other)} sees a note only if you tick <i>Share this note</i>."
            "</div>"
            f"<h2>{esc(name)}: {esc(origins.title)}</h2>"
            f'<p class="tk-intro">{esc(origins.intro)}</p>')


class OriginsSummary(View):
    """What resonates for each partner, side by side."""

    def __init__(self, model: SessionModel) -> None:
        self.model = model
        self.widget = w.HTML()
        self.listen(model, self._changed)
        self.refresh()

    def describe(self) -> str:
        data, names = self.model.data, self.model.names()
        shared = sum(1 for p in PARTNERS for s in self.model.content.origins.sections
                     if data.origin(p, s.id)[1].strip() and data.shared(p, s.id))
        return (f"What resonates for {names['a']} and {names['b']}, side by side; "
                f"{shared} note{'s' if shared != 1 else ''} shared.")

    def _changed(self, change: Change) -> None:
        if change.kind == "couple" or (change.kind == "answer" and change.worksheet == "origins"):
            self.refresh()

    def refresh(self) -> None:
        data = self.model.data
        names = self.model.names()
        labels = self.model.content.origins.resonance_labels
        rows = []
        for section in self.model.content.origins.sections:
            cells = []
            for partner in PARTNERS:
                value, _ = data.origin(partner, section.id)
                if value is None:
                    cells.append('<td class="tk-unanswered-text">not marked</td>')
                else:
                    dots = "●" * value + "○" * (len(labels) - 1 - value)
                    cells.append(f'<td><span aria-hidden="true">{dots}</span> '
                                 f"{esc(labels[value])}</td>")
            rows.append(f"<tr><th scope='row'>{esc(section.title)}</th>{''.join(cells)}</tr>")
        shared = []
        for partner in PARTNERS:
            for section in self.model.content.origins.sections:
                _, notes = data.origin(partner, section.id)
                if notes.strip() and data.shared(partner, section.id):
                    shared.append(f"<div class='tk-gap'><b>{esc(names[partner])}, "
                                  f"{esc(section.title)}</b><br>{esc(notes)}</div>")
        notes_html = ("<h3>Notes you chose to share</h3>" + "".join(shared)) if shared else (
            "<p class='tk-muted'>No notes shared yet. Notes stay private unless their writer "
            "ticks <i>Share this note</i>.</p>")
        self.widget.value = (
            "<h3>What resonates for each of you</h3><table class='tk-table'><thead><tr><th></th>"
            + "".join(f"<th scope='col'>{esc(names[p])}</th>" for p in PARTNERS)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>" + notes_html
        )
