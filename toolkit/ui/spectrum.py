"""The independence spectrum for one partner: a card and a 7-point slider per item."""

from __future__ import annotations

import ipywidgets as w

from ..content import SpectrumItem
from ..responses import AnswerKey
from ..session import Change, SessionModel
from ..wording import answer_words, position_text, scale_ticks
from .bridge import PageBridge
from .common import SaveStatus, View, esc, stylesheet

__all__ = ["SpectrumItemView", "SpectrumView"]


class SpectrumItemView:
    """One item: title, the three statements in full, the slider and its state.

    A slider always has a position, so "not answered yet" is tracked
    separately: the handle is drawn hollow and the label says so until the
    partner moves it or chooses the middle on purpose.
    """

    def __init__(self, model: SessionModel, partner: str, item: SpectrumItem, number: int,
                 total: int) -> None:
        self.model, self.partner, self.item = model, partner, item
        self._value: int | None = None
        self.key = AnswerKey("spectrum", partner, item.id, 0, "position")
        scale = model.content.spectrum
        self.slider = w.IntSlider(
            value=0, min=scale.scale_min, max=scale.scale_max, step=1, readout=False,
            continuous_update=True, description=f"{item.title}: your answer",
            layout=w.Layout(width="100%"),
        )
        self.slider.description_allow_html = False
        self.middle_button = w.Button(
            description="Choose the middle (0)", layout=w.Layout(width="auto"),
            tooltip="Mark this item as answered at 0, balanced",
        )
        self.clear_button = w.Button(description="Clear answer", layout=w.Layout(width="auto"))
        self.answer = w.HTML()
        self.status = SaveStatus()
        header = self.header = w.HTML()
        self.set_number(number, total)
        statements = w.HTML(
            '<div class="tk-statements">'
            f'<div><span class="tk-pole">{esc(scale.left_label)} '
            f'({position_text(scale.scale_min)})</span>{esc(item.left)}</div>'
            f'<div><span class="tk-pole">{esc(scale.middle_label)} (0)</span>'
            f'{esc(item.middle)}</div>'
            f'<div><span class="tk-pole">{esc(scale.right_label)} '
            f'({position_text(scale.scale_max)})</span>{esc(item.right)}</div></div>'
        )
        # The scale's marks, under the track where the handle lands: clicking one
        # answers with it, and the chosen one stays highlighted.
        marks = scale_ticks(scale)
        self.ticks = w.ToggleButtons(
            options=[(label, value) for value, label in marks], value=None,
            tooltips=[f"Answer {label}: {answer_words(scale, value)}" for value, label in marks],
            style={"button_width": "auto"}, layout=w.Layout(width="100%"),
        )
        self.ticks.add_class("tk-ticks")
        self.slider.add_class("tk-scale")
        self.widget = w.VBox(
            [header, statements, self.slider, self.ticks,
             w.HBox([self.answer, self.middle_button, self.clear_button],
                    layout=w.Layout(align_items="center", justify_content="space-between")),
             self.status.widget],
            layout=w.Layout(width="100%"),
        )
        self.widget.add_class("tk-card")
        self._loading = False
        self.slider.observe(self._on_slide, names="value")
        self.ticks.observe(self._on_tick, names="value")
        self.middle_button.on_click(lambda _: self._choose(0))
        self.clear_button.on_click(lambda _: self._choose(None))

    @property
    def value(self) -> int | None:
        return self._value

    def set_number(self, number: int, total: int) -> None:
        self.header.value = (f"<h3>{number}. {esc(self.item.title)}</h3>"
                             f'<div class="tk-muted">Item {number} of {total}</div>')

    def show(self, value: int | None) -> None:
        """Display a stored value without saving it again."""
        self._value = value
        self._loading = True
        try:
            self.slider.value = 0 if value is None else value
            self.ticks.value = value
        finally:
            self._loading = False
        if value is None:
            self.slider.add_class("tk-unanswered")
            self.answer.value = '<span class="tk-unanswered-text">Not answered yet</span>'
        else:
            self.slider.remove_class("tk-unanswered")
            words = answer_words(self.model.content.spectrum, value)
            self.answer.value = (f'<span class="tk-answer">{position_text(value)} &middot; '
                                 f"{esc(words)}</span>")
        self.middle_button.layout.display = "" if value is None else "none"
        self.clear_button.layout.display = "none" if value is None else ""

    def _on_slide(self, change: dict) -> None:
        if not self._loading:
            self._choose(change["new"])

    def _on_tick(self, change: dict) -> None:
        if not self._loading and change["new"] is not None:
            self._choose(change["new"])

    def _choose(self, value: int | None) -> None:
        error, keep = self.model.attempt(self.key, value)  # on success: changed() is called
        if error and keep:  # not saved: the position stays where the partner put it
            self.answer.value = ('<span class="tk-unanswered-text">Not saved yet: see '
                                 "below</span>")
            self.status.failed(error, retry=lambda: self._choose(value))
            return
        if error:
            self.status.failed(error)
            self.show(self._value)
            return
        self.status.clear()

    def changed(self, change: Change) -> None:
        """The model saved a new value for this item (from here or any other view)."""
        self.show(change.value)


class SpectrumView(View):
    """All spectrum items for one partner, answered privately."""

    def __init__(self, model: SessionModel, partner: str) -> None:
        self.model, self.partner = model, partner
        spectrum = model.content.spectrum
        total = len(spectrum.items)
        self.items = [
            SpectrumItemView(model, partner, item, i, total)
            for i, item in enumerate(spectrum.items, start=1)
        ]
        self._by_key = {view.key: view for view in self.items}
        self.heading = w.HTML()
        self.progress = w.HTML()
        self.cards = w.VBox(layout=w.Layout(width="100%"))
        self.bridge = PageBridge(measure=False)  # names the slider handles for screen readers
        self.widget = w.VBox([stylesheet(), self.bridge, self.heading, self.progress,
                              self.cards])
        self.widget.add_class("tk-app")
        self._order: list[str] = []
        self._arrange()
        self._show_all()
        self.listen(model, self._changed)

    def describe(self) -> str:
        name = self.model.names()[self.partner]
        done = sum(1 for view in self.items if view.value is not None)
        return (f"{self.model.content.spectrum.title} for {name}: {len(self.items)} items, "
                f"{done} answered.")

    @property
    def shown_items(self) -> list[SpectrumItemView]:
        """The item views in the order this partner sees them."""
        by_id = {view.item.id: view for view in self.items}
        return [by_id[i] for i in self._order]

    def _arrange(self) -> None:
        order = self.model.item_order(self.partner)
        if order == self._order:
            return
        self._order = order
        shown = self.shown_items
        for number, view in enumerate(shown, start=1):
            view.set_number(number, len(shown))
        self.cards.children = [view.widget for view in shown]

    def _changed(self, change: Change) -> None:
        if change.kind == "answer" and change.key in self._by_key:
            self._by_key[change.key].changed(change)
            self._update_progress()
        elif change.kind == "couple":
            self._heading()
        elif change.kind == "info":
            self._arrange()

    def _show_all(self) -> None:
        answers = self.model.data.spectrum(self.partner)
        for view in self.items:
            view.show(answers.get(view.item.id))
        self._heading()
        self._update_progress()

    def _heading(self) -> None:
        name = self.model.names()[self.partner]
        spectrum = self.model.content.spectrum
        self.heading.value = (
            f"<h2>{esc(name)}: {esc(spectrum.title)}</h2>"
            f'<p class="tk-intro">{esc(spectrum.intro)}</p>'
        )

    def _update_progress(self) -> None:
        done = sum(1 for view in self.items if view.value is not None)
        total = len(self.items)
        left = total - done
        text = f"{done} of {total} answered" + (
            f"; {left} not answered yet" if left else "; all answered")
        self.progress.value = f'<p class="tk-muted" role="status">{esc(text)}</p>'
