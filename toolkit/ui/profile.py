"""The couple's two profiles side by side, revealed by the facilitator.

The figure is built once; every change moves its artists and sends fresh PNG
bytes to an Image widget, so the picture updates without flicker.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from ..plots import ProfilePlot
from ..responses import PARTNERS, AnswerKey
from ..scoring import gaps, largest_gaps, profile, summary
from ..wording import gap_text
from .common import SessionContext, View, esc, stylesheet

__all__ = ["ProfileView", "gap_sentences"]

def gap_sentences(row: pd.Series, names: dict[str, str]) -> str:
    """A largest-gap row worded for the couple, as safe HTML."""
    text = gap_text(row, names)
    return (
        f'<div class="tk-gap"><b>{esc(text["title"])}</b><br>{esc(text["positions"])}<br>'
        f'{esc(text["distance"])}<br><i>Talk it through:</i> {esc(text["prompt"])}<br>'
        f'<i>A small step to try:</i> {esc(text["practice"])}</div>'
    )


class ProfileView(View):
    """Both partners' profiles, hidden until revealed, then live."""

    def __init__(self, ctx: SessionContext) -> None:
        self.ctx = ctx
        self.plot = ProfilePlot(ctx.content.spectrum, ctx.names())
        self.image = w.Image(format="png", layout=w.Layout(width="100%", max_width="960px",
                                                           height="auto"))
        self.readings = w.HTML()
        self.gaps_html = w.HTML()
        self.hidden_note = w.HTML(
            '<div class="tk-hidden-note"><b>Both profiles are hidden.</b> Each partner answered '
            "on their own; reveal them together when you are both ready to look.</div>"
        )
        self.reveal_button = w.Button(description="Reveal both profiles", button_style="primary",
                                      icon="eye", layout=w.Layout(width="auto"))
        self.hide_button = w.Button(description="Hide again", icon="eye-slash",
                                    layout=w.Layout(width="auto"))
        self.reveal_button.on_click(lambda _: self.reveal())
        self.hide_button.on_click(lambda _: self.hide())
        self.shown = w.VBox([self.image, self.readings, self.gaps_html])
        self.widget = w.VBox([
            stylesheet(),
            w.HTML("<h2>Your two profiles, side by side</h2>"),
            self.hidden_note,
            w.HBox([self.reveal_button, self.hide_button]),
            self.shown,
        ])
        self.widget.add_class("tk-app")
        self.revealed = False
        ctx.listen(self._changed)
        self.hide()

    def _show(self, revealed: bool) -> None:
        self.revealed = revealed
        self.hidden_note.layout.display = "none" if revealed else ""
        self.reveal_button.layout.display = "none" if revealed else ""
        self.hide_button.layout.display = "" if revealed else "none"
        self.shown.layout.display = "" if revealed else "none"

    def reveal(self) -> None:
        self._show(True)
        self.refresh()

    def hide(self) -> None:
        """Hide both profiles, and clear the picture so nothing lingers on screen."""
        self._show(False)
        self.image.value = b""
        self.readings.value = ""
        self.gaps_html.value = ""

    def _changed(self, key: AnswerKey) -> None:
        if key.worksheet == "spectrum" and self.revealed:
            self.refresh()

    def refresh(self) -> None:
        """Recompute from the store and update the figure in place."""
        data = self.ctx.data()
        names = {p: data.couple.name(p) for p in PARTNERS}
        spectrum = self.ctx.content.spectrum
        prof = profile(spectrum, {p: data.spectrum(p) for p in PARTNERS}, names)
        summ = summary(prof)
        gap_frame = gaps(spectrum, prof)
        self.plot.set_names(names)
        self.plot.update_frames(gap_frame, summ)
        self.image.value = self.plot.png()
        self._describe(names, summ, gap_frame)

    def _describe(self, names: dict[str, str], summ: pd.DataFrame, gap_frame: pd.DataFrame
                  ) -> None:
        lines = []
        for row in summ.itertuples():
            missing = (f" (so far: {row.answered} of {row.total} items answered)"
                       if row.missing else "")
            lines.append(f"<li><b>{esc(row.name)}</b> {esc(row.reading_text)}{missing}</li>")
        self.readings.value = "<ul>" + "".join(lines) + "</ul>"
        top = largest_gaps(gap_frame, 3)
        if top.empty:
            compared = gap_frame["gap"].notna().sum()
            text = ("You gave the same answer on every item you both answered."
                    if compared else "The gaps appear once you have both answered.")
            self.gaps_html.value = f"<h3>Where you differ most</h3><p>{text}</p>"
            return
        self.gaps_html.value = "<h3>Where you differ most</h3>" + "".join(
            gap_sentences(row, names) for _, row in top.iterrows()
        )
