"""The couple's two profiles side by side, revealed by the facilitator.

The figure is built once; every change moves its artists and sends fresh PNG
bytes to an Image widget, so the picture updates without flicker.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from ..content import SharedPattern, SpectrumWorksheet
from ..plots import ProfilePlot
from ..scoring import SessionScores
from ..session import Change, SessionModel
from ..wording import GapText, gap_text, shared_text
from .bridge import PictureView
from .common import View, esc, stylesheet

__all__ = ["ProfileView", "gap_sentences", "shared_sentences"]


def _item_html(text: GapText, notes: dict[str, str] | None) -> str:
    steps = "".join(f"<li>{esc(line)}</li>" for line in text["practices"])
    html = (
        f'<div class="tk-gap"><b>{esc(text["title"])}</b><br>{esc(text["positions"])}<br>'
        f'{esc(text["distance"])}<br><i>Talk it through:</i> {esc(text["prompt"])}<br>'
        f"<i>A small step to try:</i><ul>{steps}</ul>"
    )
    if notes:
        html += (
            '<div class="tk-facilitator"><b>For the facilitator.</b> '
            f"Listen for: {esc(notes.get('listen_for', ''))} "
            f"Ask: {esc(notes.get('ask', ''))}</div>"
        )
    return html + "</div>"


def _pattern_html(pattern: SharedPattern) -> str:
    return (f'<div class="tk-pattern"><b>{esc(pattern.title)}</b><br>{esc(pattern.text)}<br>'
            f"<i>Talk it through:</i> {esc(pattern.prompt)}</div>")


def gap_sentences(spectrum: SpectrumWorksheet, row: pd.Series, names: dict[str, str],
                  notes: dict[str, str] | None = None) -> str:
    """A largest-gap row worded for the couple, as safe HTML (with the facilitator's
    notes for the item only when given)."""
    return _item_html(gap_text(spectrum, row, names), notes)


def shared_sentences(spectrum: SpectrumWorksheet, row: pd.Series, names: dict[str, str],
                     notes: dict[str, str] | None = None) -> str:
    """An item where both lean toward the same pole, as safe HTML."""
    return _item_html(shared_text(spectrum, row, names), notes)


class ProfileView(PictureView, View):
    """Both partners' profiles, hidden until revealed, then live.

    Scores come from the session model, which computes them once per change;
    the view only moves the picture's artists and words the result.
    """

    def __init__(self, model: SessionModel) -> None:
        self.model = model
        self.plot = ProfilePlot(model.content.spectrum, model.names())
        self._big: ProfilePlot | None = None  # the presentation view's picture
        self._big_key: tuple | None = None
        self.image = w.Image(format="png", layout=w.Layout(width="100%", height="auto"))
        self.image.add_class("tk-picture")
        names = model.names()
        self._init_picture("profiles")
        self.bridge.picture_alt = (  # the picture's text alternative
            f"Picture: {names['a']}'s and {names['b']}'s answers on every item, side by "
            "side. The readings and the largest gaps are written out below it.")
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
        self.show_previous = w.Checkbox(
            value=False, indent=False, layout=w.Layout(width="auto"),
            description="Show last session's positions as faint outlines",
            disabled=model.previous() is None,
        )
        self.show_previous.observe(lambda _: self._previous_changed(), names="value")
        self.show_notes = w.Checkbox(
            value=False, indent=False, layout=w.Layout(width="auto"),
            description="Show facilitator notes (what to listen for, a question to ask)",
        )
        self.show_notes.observe(lambda _: self._previous_changed(), names="value")
        self.shared_html = w.HTML()
        self.options = w.HBox([self.show_previous, self.show_notes],
                              layout=w.Layout(flex_flow="row wrap"))
        self.options.add_class("tk-options")
        self.shown = w.VBox([self.options, self.image, self.readings, self.gaps_html,
                             self.shared_html])
        self.title = w.HTML("<h2>Your two profiles, side by side</h2>")
        self.widget = w.VBox([
            stylesheet(),
            self.bridge,
            self.title,
            self.hidden_note,
            w.HBox([self.reveal_button, self.hide_button, self.present_button,
                    self.exit_button], layout=w.Layout(flex_flow="row wrap")),
            self.shown,
        ])
        self.widget.add_class("tk-app")
        self.revealed = False
        self.listen(model, self._changed)
        self.hide()

    def describe(self) -> str:
        names = self.model.names()
        if not self.revealed:
            return f"Both profiles, {names['a']}'s and {names['b']}'s: hidden until revealed."
        readings = "; ".join(f"{row.name} {row.reading_text}"
                             for row in self.model.scores.summary.itertuples())
        return f"Both profiles, side by side: {readings}."

    def _show(self, revealed: bool) -> None:
        self.revealed = revealed
        self.hidden_note.layout.display = "none" if revealed else ""
        self.reveal_button.layout.display = "none" if revealed else ""
        self.hide_button.layout.display = "" if revealed else "none"
        self.present_button.layout.display = "" if revealed else "none"
        self.shown.layout.display = "" if revealed else "none"

    def _show_parts(self, presenting: bool) -> None:
        hidden = "none" if presenting else ""
        for part in (self.title, self.options, self.readings, self.gaps_html, self.shared_html,
                     self.hide_button):
            part.layout.display = hidden

    def reveal(self) -> None:
        self._show(True)
        self.refresh()
        self.bridge.focus_step()  # the Reveal button is gone: focus the heading instead

    def hide(self) -> None:
        """Hide both profiles, and clear the picture so nothing lingers on screen."""
        self.stop_presenting()
        self._show(False)
        self.image.value = b""
        self.readings.value = ""
        self.gaps_html.value = ""
        self.shared_html.value = ""

    def _changed(self, change: Change) -> None:
        relevant = change.kind == "couple" or (change.kind == "answer"
                                               and change.worksheet == "spectrum")
        if relevant and self.revealed:
            self.refresh()

    def _previous_changed(self) -> None:
        if self.revealed:
            self.refresh()

    def refresh(self) -> None:
        """Update the figure in place from the model's current scores."""
        previous = self.model.previous() if self.show_previous.value else None
        names = self.model.names()
        scores = self.model.scores
        plot = self._picture(names)
        plot.set_previous(
            {p: previous.spectrum(p) for p in ("a", "b")} if previous is not None else None)
        plot.update(scores)
        self._show_png(plot.png(), plot.figure.get_figwidth() * plot.figure.dpi,
                       plot.LABEL_PX * plot.scale)
        if not self.presenting:
            self._describe(names, scores)

    def _picture(self, names: dict[str, str]) -> ProfilePlot:
        """The everyday picture at the width it is shown at, or the presentation
        view's, sized to the screen (rebuilt only when the screen or names change)."""
        if not self.presenting:
            self.plot.set_names(names)
            self.plot.resize(self.shown_width)
            return self.plot
        size = (self.shown_width, self.presenting_height)
        if self._big is None or self._big_key != (size, names):
            self._big = ProfilePlot.for_screen(self.model.content.spectrum, names, *size)
            self._big_key = (size, dict(names))
        return self._big

    def _describe(self, names: dict[str, str], scores: SessionScores) -> None:
        spectrum = self.model.content.spectrum
        lines = []
        for row in scores.summary.itertuples():
            missing = (f" (so far: {row.answered} of {row.total} items answered)"
                       if row.missing and row.answered else "")
            lines.append(f"<li><b>{esc(row.name)}</b> {esc(row.reading_text)}{missing}.</li>")
        self.readings.value = "<ul>" + "".join(lines) + "</ul>"

        def notes(item_id: str) -> dict[str, str] | None:
            return dict(spectrum.item(item_id).facilitator) if self.show_notes.value else None

        top = scores.largest_gaps
        if top.empty:
            compared = scores.gaps["gap"].notna().sum()
            text = ("You gave the same answer on every item you both answered."
                    if compared else "The gaps appear once you have both answered.")
            self.gaps_html.value = f"<h3>Where you differ most</h3><p>{text}</p>"
        else:
            pattern = (spectrum.opposite_pattern
                       if scores.couple["opposite_pattern"].iloc[0] else None)
            self.gaps_html.value = "<h3>Where you differ most</h3>" + (
                _pattern_html(pattern) if pattern is not None else "") + "".join(
                gap_sentences(spectrum, row, names, notes(row["item_id"]))
                for _, row in top.iterrows()
            )
        self.shared_html.value = self._shared(spectrum, names, scores, notes)

    def _shared(self, spectrum: SpectrumWorksheet, names: dict[str, str],
                scores: SessionScores, notes: object) -> str:
        if scores.shared.empty:
            return ""
        html = "<h3>Where you lean the same way</h3>"
        pole = scores.couple["shared_pattern"].iloc[0]
        pattern = spectrum.shared_patterns.get(pole) if pole else None
        if pattern is not None:
            html += _pattern_html(pattern)
        return html + "".join(shared_sentences(spectrum, row, names, notes(row["item_id"]))
                              for _, row in scores.shared.iterrows())
