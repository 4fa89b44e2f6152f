"""Boundary planning for the couple: tables whose rows can be added and removed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as w

from ..content import Column, PlanSection
from ..responses import COUPLE, AnswerError, AnswerKey
from ..session import Change, SessionModel
from ..store import StoreError
from .common import SaveStatus, View, esc, stylesheet

__all__ = ["PlanView"]


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class _Cell:
    """One plan cell: a widget that saves its value under its key."""

    def __init__(self, model: SessionModel, key: AnswerKey, column: Column, value: Any,
                 status: SaveStatus) -> None:
        self.model, self.key, self.column, self.status = model, key, column, status
        names = model.names()
        # Each field carries its own label, stacked above it (a header row cannot stay
        # lined up once fields wrap on a narrow screen); it also names the field for
        # screen readers.
        common = {"description": column.label, "layout": w.Layout(width="100%"),
                  "style": {"description_width": "initial"}}
        if column.type == "partner":
            self.widget = w.Dropdown(
                options=[("—", ""), (names["a"], "a"), (names["b"], "b"), ("Both of us", "both")],
                value=value or "", **common,
            )
        elif column.type == "date":
            self.widget = w.DatePicker(value=_date(value), **common)
        elif column.type == "check":
            self.widget = w.Checkbox(value=bool(value), indent=False, **common)
        else:
            self.widget = w.Textarea(value=value or "", rows=2, continuous_update=True, **common)
        self.widget.description_allow_html = False
        if column.type != "check":
            self.widget.add_class("tk-stacked")
        self.box = self.widget
        self._loading = False
        self.widget.observe(self._on_change, names="value")

    def _shown(self, value: Any) -> Any:
        if self.column.type == "date":
            return _date(value)
        if self.column.type == "check":
            return bool(value)
        return value or ""

    def show(self, value: Any) -> None:
        shown = self._shown(value)
        if self.widget.value == shown:
            return
        self._loading = True
        try:
            self.widget.value = shown
        finally:
            self._loading = False

    def _on_change(self, change: dict) -> None:
        if not self._loading:
            self.save()

    def save(self) -> None:
        """Save what the cell shows now; if the store cannot, it stays to try again."""
        value = self.widget.value
        if isinstance(value, dt.date):
            value = value.isoformat()
        error, keep = self.model.attempt(self.key, value)
        if not error:
            self.status.clear()
        elif keep:
            self.status.failed(f"Not saved yet ({self.column.label}). {error}", retry=self.save)
        else:
            self.status.failed(error)


class _TableView:
    def __init__(self, model: SessionModel, section: PlanSection) -> None:
        self.model, self.section = model, section
        self.rows_box = w.VBox()
        self.add_button = w.Button(description="Add a row", icon="plus",
                                   layout=w.Layout(width="auto"))
        self.add_button.on_click(lambda _: self.add_row())
        self.status = SaveStatus()
        self.cells: dict[int, list[_Cell]] = {}
        self.boxes: dict[int, w.Widget] = {}
        self.widget = w.VBox([
            w.HTML(f"<h3>{esc(section.title)}</h3><p>{esc(section.intro)}</p>"),
            self.rows_box, self.add_button, self.status.widget,
        ])
        self.widget.add_class("tk-card")

    def show(self, rows: list[dict[str, Any]]) -> None:
        self.cells, self.boxes = {}, {}
        for values in rows:
            self._row_widget(values)
        self._lay_out()

    def _lay_out(self) -> None:
        self.rows_box.children = [self.boxes[row] for row in sorted(self.boxes)]

    def _row_widget(self, values: dict[str, Any]) -> None:
        row = values["row"]
        cells = [
            _Cell(self.model, AnswerKey("boundaries", COUPLE, self.section.id, row, c.id), c,
                  values.get(c.id), self.status)
            for c in self.section.columns
        ]
        self.cells[row] = cells
        remove = w.Button(description="Remove row", icon="trash",
                          layout=w.Layout(width="auto", flex="0 0 auto"),
                          tooltip=f"Remove this row from {self.section.title}")
        remove.on_click(lambda _: self.remove_row(row))
        # Fields flow onto as many lines as the width needs, writing boxes wider than
        # choices, each line filled edge to edge: nothing runs past the right edge.
        for cell in cells:
            wide = cell.column.type == "text"
            cell.box.layout.flex = "3 1 220px" if wide else "1 1 130px"
            cell.box.layout.width = "auto"
            cell.box.layout.min_width = "0"
        fields = w.HBox([c.box for c in cells], layout=w.Layout(flex_flow="row wrap",
                                                                 width="100%"))
        fields.add_class("tk-fields")
        parts: list[w.Widget] = []
        origin = values.get("from_session")
        if origin is not None:
            parts.append(w.HTML(f'<span class="tk-muted tk-carried">From session {int(origin)}: '
                                "how did it go?</span>"))
        parts += [fields, w.HBox([remove], layout=w.Layout(justify_content="flex-end"))]
        box = w.VBox(parts, layout=w.Layout(width="100%"))
        box.add_class("tk-plan-row")
        self.boxes[row] = box

    def add_row(self) -> int | None:
        try:
            return self.model.add_plan_row(self.section.id)  # the model tells changed()
        except (AnswerError, StoreError) as exc:
            self.status.failed(str(exc))
            return None

    def remove_row(self, row: int) -> None:
        try:
            self.model.remove_plan_row(self.section.id, row)
        except (AnswerError, StoreError) as exc:
            self.status.failed(str(exc))

    def changed(self, change: Change) -> None:
        row = change.key.row
        if change.kind == "row_added" and row not in self.boxes:
            self._row_widget({"row": row})
            self._lay_out()
        elif change.kind == "row_removed" and row in self.boxes:
            del self.boxes[row], self.cells[row]
            self._lay_out()
        elif change.kind == "answer" and row in self.cells:
            for cell in self.cells[row]:
                if cell.key == change.key:
                    cell.show(change.value)


class PlanView(View):
    """The whole boundary plan, filled in together."""

    def __init__(self, model: SessionModel) -> None:
        self.model = model
        plan = model.content.boundaries
        self.tables = {s.id: _TableView(model, s) for s in plan.sections if s.kind == "table"}
        self.dates: dict[str, w.DatePicker] = {}
        self.status = SaveStatus()
        parts: list[w.Widget] = [stylesheet(), w.HTML(
            f"<h2>{esc(plan.title)}</h2><p class='tk-intro'>{esc(plan.intro)}</p>")]
        for section in plan.sections:
            if section.kind == "table":
                parts.append(self.tables[section.id].widget)
            else:
                picker = w.DatePicker(description="Date:", layout=w.Layout(width="260px"))
                picker.observe(lambda ch, s=section.id: self._on_date(s, ch["new"]),
                               names="value")
                self.dates[section.id] = picker
                card = w.VBox([
                    w.HTML(f"<h3>{esc(section.title)}</h3><p>{esc(section.intro)}</p>"), picker,
                ])
                card.add_class("tk-card")
                parts.append(card)
        parts.append(self.status.widget)
        self.widget = w.VBox(parts)
        self.widget.add_class("tk-app")
        self._loading = False
        data = model.data
        for section_id, table in self.tables.items():
            table.show(data.plan(section_id))
        for section_id in self.dates:
            self._show_date(section_id, data.plan_value(section_id))
        self.listen(model, self._changed)

    def describe(self) -> str:
        names = self.model.names()
        rows = sum(len(table.cells) for table in self.tables.values())
        dates = [self.model.data.plan_value(s) for s in self.dates]
        review = next((d for d in dates if d), "not set")
        return (f"{self.model.content.boundaries.title} for {names['a']} and {names['b']}: "
                f"{len(self.tables)} tables, {rows} rows; review date {review}.")

    def _show_date(self, section_id: str, value: str | None) -> None:
        picker = self.dates[section_id]
        if picker.value == _date(value):
            return
        self._loading = True
        try:
            picker.value = _date(value)
        finally:
            self._loading = False

    def _changed(self, change: Change) -> None:
        if change.key is None or change.key.worksheet != "boundaries":
            return
        if change.key.item in self.tables:
            self.tables[change.key.item].changed(change)
        elif change.key.item in self.dates and change.kind == "answer":
            self._show_date(change.key.item, change.value)

    def _on_date(self, section_id: str, value: dt.date | None) -> None:
        if self._loading:
            return
        key = AnswerKey("boundaries", COUPLE, section_id, 0, "date")
        error, keep = self.model.attempt(key, value.isoformat() if value else "")
        if not error:
            self.status.clear()
        elif keep:
            picker = self.dates[section_id]
            self.status.failed(f"Not saved yet. {error}",
                               retry=lambda: self._on_date(section_id, picker.value))
        else:
            self.status.failed(error)
