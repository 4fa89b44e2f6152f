"""The independence spectrum for one partner: a card and a 7-point slider per item."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from ..content import SpectrumItem
from ..responses import AnswerKey
from ..scoring import zone_for
from .common import SessionContext, View, error_html, esc, stylesheet

__all__ = ["SpectrumItemView", "SpectrumView"]

ZONE_WORDS = {
    "toward dependence": "leans toward dependence",
    "balanced": "balanced",
    "toward hyper-independence": "leans toward hyper-independence",
}


class SpectrumItemView:
    """One item: title, the three statements in full, the slider and its state.

    A slider always has a position, so "not answered yet" is tracked
    separately: the handle is drawn hollow and the label says so until the
    partner moves it or chooses the middle on purpose.
    """

    def __init__(self, ctx: SessionContext, partner: str, item: SpectrumItem, number: int,
                 total: int, on_answer: Callable[[], None] = lambda: None) -> None:
        self.ctx, self.partner, self.item = ctx, partner, item
        self._on_answer = on_answer
        self._value: int | None = None
        self.key = AnswerKey("spectrum", partner, item.id, 0, "position")
        scale = ctx.content.spectrum
        self.slider = w.IntSlider(
            value=0, min=scale.scale_min, max=scale.scale_max, step=1, readout=False,
            continuous_update=True, description="",
            layout=w.Layout(width="100%"),
        )
        self.slider.description_allow_html = False
        self.middle_button = w.Button(
            description="Choose the middle (0)", layout=w.Layout(width="auto"),
            tooltip="Mark this item as answered at 0, balanced",
        )
        self.clear_button = w.Button(description="Clear answer", layout=w.Layout(width="auto"))
        self.answer = w.HTML()
        self.status = w.HTML()
        header = w.HTML(
            f'<h3>{number}. {esc(item.title)}</h3>'
            f'<div class="tk-muted">Item {number} of {total}</div>'
        )
        statements = w.HTML(
            '<div class="tk-statements">'
            f'<div><span class="tk-pole">{esc(scale.left_label)} (-3)</span>{esc(item.left)}</div>'
            f'<div><span class="tk-pole">{esc(scale.middle_label)} (0)</span>'
            f'{esc(item.middle)}</div>'
            f'<div><span class="tk-pole">{esc(scale.right_label)} (+3)</span>'
            f'{esc(item.right)}</div></div>'
        )
        ticks = w.HTML(
            '<div class="tk-ticks">' + "".join(
                f"<span>{v:+d}</span>" if v else "<span>0</span>"
                for v in range(scale.scale_min, scale.scale_max + 1)
            ) + "</div>"
        )
        self.widget = w.VBox(
            [header, statements, self.slider, ticks,
             w.HBox([self.answer, self.middle_button, self.clear_button],
                    layout=w.Layout(align_items="center", justify_content="space-between")),
             self.status],
            layout=w.Layout(width="100%"),
        )
        self.widget.add_class("tk-card")
        self._loading = False
        self.slider.observe(self._on_slide, names="value")
        self.middle_button.on_click(lambda _: self._choose(0))
        self.clear_button.on_click(lambda _: self._choose(None))

    @property
    def value(self) -> int | None:
        return self._value

    def show(self, value: int | None) -> None:
        """Display a stored value without saving it again."""
        self._value = value
        self._loading = True
        try:
            self.slider.value = 0 if value is None else value
        finally:
            self._loading = False
        if value is None:
            self.slider.add_class("tk-unanswered")
            self.answer.value = '<span class="tk-unanswered-text">Not answered yet</span>'
        else:
            self.slider.remove_class("tk-unanswered")
            zone = ZONE_WORDS[zone_for(value)]
            self.answer.value = f'<span class="tk-answer">{value:+d} &middot; {zone}</span>'
        self.middle_button.layout.display = "" if value is None else "none"
        self.clear_button.layout.display = "none" if value is None else ""

    def _on_slide(self, change: dict) -> None:
        if not self._loading:
            self._choose(change["new"])

    def _choose(self, value: int | None) -> None:
        error = self.ctx.save(self.key, value)
        if error:
            self.status.value = error_html(error)
            self.show(self._value)
            return
        self.status.value = ""
        self.show(value)
        self._on_answer()


class SpectrumView(View):
    """All spectrum items for one partner, answered privately."""

    def __init__(self, ctx: SessionContext, partner: str) -> None:
        self.ctx, self.partner = ctx, partner
        spectrum = ctx.content.spectrum
        total = len(spectrum.items)
        self.items = [
            SpectrumItemView(ctx, partner, item, i, total, self._update_progress)
            for i, item in enumerate(spectrum.items, start=1)
        ]
        self.heading = w.HTML()
        self.progress = w.HTML()
        self.widget = w.VBox(
            [stylesheet(), self.heading, self.progress, *[v.widget for v in self.items]]
        )
        self.widget.add_class("tk-app")
        self.refresh()

    def refresh(self) -> None:
        """Show what the store holds (used on opening and after reopening)."""
        answers = self.ctx.data().spectrum(self.partner)
        for view in self.items:
            view.show(answers.get(view.item.id))
        name = self.ctx.names()[self.partner]
        spectrum = self.ctx.content.spectrum
        self.heading.value = (
            f"<h2>{esc(name)}: {esc(spectrum.title)}</h2>"
            f'<p class="tk-intro">{esc(spectrum.intro)}</p>'
        )
        self._update_progress()

    def _update_progress(self) -> None:
        done = sum(1 for view in self.items if view.value is not None)
        total = len(self.items)
        left = total - done
        text = f"{done} of {total} answered" + (
            f"; {left} not answered yet" if left else "; all answered")
        self.progress.value = f'<p class="tk-muted" role="status">{esc(text)}</p>'
