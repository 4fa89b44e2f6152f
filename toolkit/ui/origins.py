"""Origin reflection: per partner, how much each section resonates, and notes."""

from __future__ import annotations

import ipywidgets as w

from ..content import OriginSection
from ..responses import PARTNERS, AnswerKey
from .common import SessionContext, View, error_html, esc, stylesheet

__all__ = ["OriginsSummary", "OriginsView"]

NOTES_ROWS = 3


class _SectionView:
    def __init__(self, ctx: SessionContext, partner: str, section: OriginSection) -> None:
        self.ctx, self.partner, self.section = ctx, partner, section
        labels = ctx.content.origins.resonance_labels
        self.resonance = w.ToggleButtons(
            options=[(label, i) for i, label in enumerate(labels)], value=None,
            description="Resonates:", style={"description_width": "initial",
                                              "button_width": "auto"},
        )
        self.notes = w.Textarea(
            placeholder="Notes (saved as you type)", rows=NOTES_ROWS, continuous_update=True,
            layout=w.Layout(width="100%"),
        )
        self.status = w.HTML()
        prompts = "".join(f"<li>{esc(p)}</li>" for p in section.prompts)
        self.widget = w.VBox([
            w.HTML(f"<h3>{esc(section.title)}</h3><p>{esc(section.intro)}</p><ul>{prompts}</ul>"),
            self.resonance, self.notes, self.status,
        ])
        self.widget.add_class("tk-card")
        self._loading = False
        self.resonance.observe(self._on_resonance, names="value")
        self.notes.observe(self._on_notes, names="value")

    def show(self, resonance: int | None, notes: str) -> None:
        self._loading = True
        try:
            self.resonance.value = resonance
            self.notes.value = notes
        finally:
            self._loading = False

    def _save(self, field: str, value: object) -> None:
        key = AnswerKey("origins", self.partner, self.section.id, 0, field)
        error = self.ctx.save(key, value)
        self.status.value = error_html(error) if error else ""

    def _on_resonance(self, change: dict) -> None:
        if not self._loading:
            self._save("resonance", change["new"])

    def _on_notes(self, change: dict) -> None:
        if not self._loading:
            self._save("notes", change["new"])


class OriginsView(View):
    """Every origin section for one partner."""

    def __init__(self, ctx: SessionContext, partner: str) -> None:
        self.ctx, self.partner = ctx, partner
        self.sections = [_SectionView(ctx, partner, s) for s in ctx.content.origins.sections]
        self.heading = w.HTML()
        self.widget = w.VBox([stylesheet(), self.heading, *[s.widget for s in self.sections]])
        self.widget.add_class("tk-app")
        self.refresh()

    def refresh(self) -> None:
        data = self.ctx.data()
        for view in self.sections:
            view.show(*data.origin(self.partner, view.section.id))
        origins = self.ctx.content.origins
        name = self.ctx.names()[self.partner]
        self.heading.value = (f"<h2>{esc(name)}: {esc(origins.title)}</h2>"
                              f'<p class="tk-intro">{esc(origins.intro)}</p>')


class OriginsSummary(View):
    """What resonates for each partner, side by side."""

    def __init__(self, ctx: SessionContext) -> None:
        self.ctx = ctx
        self.widget = w.HTML()
        ctx.listen(self._changed)
        self.refresh()

    def _changed(self, key: AnswerKey) -> None:
        if key.worksheet == "origins" and key.field == "resonance":
            self.refresh()

    def refresh(self) -> None:
        data = self.ctx.data()
        names = self.ctx.names()
        labels = self.ctx.content.origins.resonance_labels
        rows = []
        for section in self.ctx.content.origins.sections:
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
        self.widget.value = (
            "<h3>What resonates for each of you</h3><table class='tk-table'><thead><tr><th></th>"
            + "".join(f"<th scope='col'>{esc(names[p])}</th>" for p in PARTNERS)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        )
