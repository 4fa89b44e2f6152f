"""Boundary planning for the couple: tables whose rows can be added and removed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as w

from ..content import Column, PlanSection
from ..responses import COUPLE, AnswerError, AnswerKey
from .common import SessionContext, View, error_html, esc, stylesheet

__all__ = ["PlanView"]


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class _Cell:
    """One plan cell: a widget that saves its value under its key."""

    def __init__(self, ctx: SessionContext, key: AnswerKey, column: Column, value: Any,
                 status: w.HTML) -> None:
        self.ctx, self.key, self.status = ctx, key, status
        names = ctx.names()
        if column.type == "partner":
            self.widget = w.Dropdown(
                options=[("—", ""), (names["a"], "a"), (names["b"], "b"), ("Both of us", "both")],
                value=value or "", layout=w.Layout(width="150px"),
            )
        elif column.type == "date":
            self.widget = w.DatePicker(value=_date(value), layout=w.Layout(width="170px"))
        elif column.type == "check":
            self.widget = w.Checkbox(value=bool(value), description=column.label, indent=False,
                                     layout=w.Layout(width="110px"))
        else:
            self.widget = w.Textarea(value=value or "", rows=2, continuous_update=True,
                                     placeholder=column.label, layout=w.Layout(flex="1 1 0"))
        self.widget.description_allow_html = False
        self.widget.observe(self._on_change, names="value")

    def _on_change(self, change: dict) -> None:
        value = change["new"]
        if isinstance(value, dt.date):
            value = value.isoformat()
        error = self.ctx.save(self.key, value)
        self.status.value = error_html(error) if error else ""


class _TableView:
    def __init__(self, ctx: SessionContext, section: PlanSection) -> None:
        self.ctx, self.section = ctx, section
        self.rows_box = w.VBox()
        self.add_button = w.Button(description="Add a row", icon="plus",
                                   layout=w.Layout(width="auto"))
        self.add_button.on_click(lambda _: self.add_row())
        self.status = w.HTML()
        self.cells: dict[int, list[_Cell]] = {}
        header = w.HBox(
            [w.HTML(f"<b>{esc(c.label)}</b>", layout=self._cell_layout(c))
             for c in section.columns] + [w.HTML("", layout=w.Layout(width="100px"))],
        )
        self.widget = w.VBox([
            w.HTML(f"<h3>{esc(section.title)}</h3><p>{esc(section.intro)}</p>"),
            header, self.rows_box, self.add_button, self.status,
        ])
        self.widget.add_class("tk-card")

    @staticmethod
    def _cell_layout(column: Column) -> w.Layout:
        if column.type == "partner":
            return w.Layout(width="150px")
        if column.type == "date":
            return w.Layout(width="170px")
        if column.type == "check":
            return w.Layout(width="110px")
        return w.Layout(flex="1 1 0")

    def show(self, rows: list[dict[str, Any]]) -> None:
        self.cells = {}
        self.rows_box.children = [self._row_widget(values) for values in rows]

    def _row_widget(self, values: dict[str, Any]) -> w.HBox:
        row = values["row"]
        cells = [
            _Cell(self.ctx, AnswerKey("boundaries", COUPLE, self.section.id, row, c.id), c,
                  values.get(c.id), self.status)
            for c in self.section.columns
        ]
        self.cells[row] = cells
        remove = w.Button(description="Remove", icon="trash", layout=w.Layout(width="100px"),
                          tooltip=f"Remove this row from {self.section.title}")
        box = w.HBox([c.widget for c in cells] + [remove],
                     layout=w.Layout(align_items="flex-start", width="100%"))
        remove.on_click(lambda _: self.remove_row(row, box))
        return box

    def add_row(self) -> int:
        row = self.ctx.store.add_plan_row(self.ctx.session_id, self.section.id)
        self.rows_box.children = [*self.rows_box.children, self._row_widget({"row": row})]
        self.ctx.notify(AnswerKey("boundaries", COUPLE, self.section.id, row, ""))
        return row

    def remove_row(self, row: int, box: w.HBox | None = None) -> None:
        try:
            self.ctx.store.remove_plan_row(self.ctx.session_id, self.section.id, row)
        except AnswerError as exc:
            self.status.value = error_html(str(exc))
            return
        index = list(self.cells).index(row)
        del self.cells[row]
        children = list(self.rows_box.children)
        children.pop(index)
        self.rows_box.children = children
        self.ctx.notify(AnswerKey("boundaries", COUPLE, self.section.id, row, ""))


class PlanView(View):
    """The whole boundary plan, filled in together."""

    def __init__(self, ctx: SessionContext) -> None:
        self.ctx = ctx
        plan = ctx.content.boundaries
        self.tables = {s.id: _TableView(ctx, s) for s in plan.sections if s.kind == "table"}
        self.dates: dict[str, w.DatePicker] = {}
        self.status = w.HTML()
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
        parts.append(self.status)
        self.widget = w.VBox(parts)
        self.widget.add_class("tk-app")
        self._loading = False
        self.refresh()

    def refresh(self) -> None:
        data = self.ctx.data()
        for section_id, table in self.tables.items():
            table.show(data.plan(section_id))
        self._loading = True
        try:
            for section_id, picker in self.dates.items():
                picker.value = _date(data.plan_value(section_id))
        finally:
            self._loading = False

    def _on_date(self, section_id: str, value: dt.date | None) -> None:
        if self._loading:
            return
        key = AnswerKey("boundaries", COUPLE, section_id, 0, "date")
        error = self.ctx.save(key, value.isoformat() if value else "")
        self.status.value = error_html(error) if error else ""
