"""Progress over the couple's sessions: each item's positions, the lean and the
gaps over time, and what happened to each small risk.

Like the profile, the chart shows both partners' answers, so it stays hidden
until the facilitator reveals it, and hides again on a partner's private page.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from ..plots import ProgressPlot
from ..session import Change, SessionModel
from .bridge import PictureView
from .common import View, esc, stylesheet

__all__ = ["ProgressView"]


def _risk_table(model: SessionModel) -> str:
    """Each small risk as one row, with what was noted about it in each session."""
    history = model.plan_history("small_risks")
    if history.empty:
        return "<p class='tk-muted'>No small risks written down yet.</p>"
    names = model.names()
    whose = {"a": names["a"], "b": names["b"], "both": "Both of you", "": ""}
    sessions = sorted(history["session"].unique())
    rows = []
    for _entry, group in history.groupby("entry", sort=False):
        last = group.iloc[-1]
        cells = []
        by_session = {int(r.session): r for r in group.itertuples()}
        for number in sessions:
            r = by_session.get(number)
            if r is None:
                cells.append("<td class='tk-muted'>not in this session</td>")
                continue
            done = getattr(r, "done", None)
            went = getattr(r, "how_it_went", "")
            tried = "tried" if done is True else "not tried yet"
            note = f": {esc(str(went))}" if isinstance(went, str) and went.strip() else ""
            cells.append(f"<td>{tried}{note}</td>")
        who = whose.get(str(last.get("who", "") or ""), "")
        ask = last.get("ask", "")
        ask = ask if isinstance(ask, str) else ""
        rows.append(f"<tr><th scope='row'>{esc(who)}{': ' if who else ''}{esc(ask)}</th>"
                    + "".join(cells) + "</tr>")
    head = "".join(f"<th scope='col'>Session {int(n)}</th>" for n in sessions)
    return (f"<table class='tk-table'><thead><tr><th scope='col'>Small risk</th>{head}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


class ProgressView(PictureView, View):
    """The couple's sessions side by side, hidden until revealed, then live."""

    def __init__(self, model: SessionModel) -> None:
        self.model = model
        self.plot = ProgressPlot(model.content.spectrum, model.names())
        self._big: ProgressPlot | None = None
        self.image = w.Image(format="png", layout=w.Layout(width="100%", height="auto"))
        self.image.add_class("tk-picture")
        self._init_picture("progress chart")
        self.bridge.picture_alt = ("Chart: each item's answers for both partners, session by "
                              "session, with the overall lean and the mean gap. A summary "
                              "is written out above it.")
        self.summary = w.HTML()
        self.risks = w.HTML()
        self.hidden_note = w.HTML(
            '<div class="tk-hidden-note"><b>Progress is hidden.</b> It shows both partners\' '
            "answers over time; reveal it together when you are both ready to look.</div>"
        )
        self.reveal_button = w.Button(description="Reveal progress", button_style="primary",
                                      icon="eye", layout=w.Layout(width="auto"))
        self.hide_button = w.Button(description="Hide again", icon="eye-slash",
                                    layout=w.Layout(width="auto"))
        self.reveal_button.on_click(lambda _: self.reveal())
        self.hide_button.on_click(lambda _: self.hide())
        self.risks_title = w.HTML("<h3>Small risks over time</h3>")
        self.shown = w.VBox([self.summary, self.image, self.risks_title, self.risks])
        self.title = w.HTML("<h2>Your progress across sessions</h2>")
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
        sessions = len(self.model.history())
        state = "shown" if self.revealed else "hidden until revealed"
        return (f"Progress for {names['a']} and {names['b']} across {sessions} "
                f"session{'s' if sessions != 1 else ''}: {state}.")

    def _show(self, revealed: bool) -> None:
        self.revealed = revealed
        self.hidden_note.layout.display = "none" if revealed else ""
        self.reveal_button.layout.display = "none" if revealed else ""
        self.hide_button.layout.display = "" if revealed else "none"
        self.present_button.layout.display = "" if revealed else "none"
        self.shown.layout.display = "" if revealed else "none"

    def _show_parts(self, presenting: bool) -> None:
        hidden = "none" if presenting else ""
        for part in (self.title, self.summary, self.risks_title, self.risks, self.hide_button):
            part.layout.display = hidden

    def reveal(self) -> None:
        self._show(True)
        self.refresh()
        self.bridge.focus_step()  # the Reveal button is gone: focus the heading instead

    def hide(self) -> None:
        self.stop_presenting()
        self._show(False)
        self.image.value = b""
        self.summary.value = self.risks.value = ""

    def _changed(self, change: Change) -> None:
        if not self.revealed:
            return
        if change.kind == "couple" or (change.kind == "answer"
                                       and change.worksheet == "spectrum"):
            self.refresh()
        elif change.worksheet == "boundaries" and change.key.item == "small_risks":
            self.risks.value = _risk_table(self.model)

    def refresh(self) -> None:
        frame, summary = self.model.progress()
        names = self.model.names()
        if self.presenting:
            if self._big is None or self._big.names != names:
                self._big = ProgressPlot(self.model.content.spectrum, names, scale=20 / 13)
            plot = self._big
        else:
            plot = self.plot
        plot.set_names(names)
        plot.resize(self.shown_width)
        plot.update(frame, summary)
        self._show_png(plot.png(), plot.figure.get_figwidth() * plot.figure.dpi,
                       plot.LABEL_PX * plot.scale)
        if not self.presenting:
            self.summary.value = self._describe(summary)
            self.risks.value = _risk_table(self.model)

    def _describe(self, summary: pd.DataFrame) -> str:
        names = self.model.names()
        if len(summary) < 2:
            return ("<p>This is your first session together here. From the next one, this "
                    "page shows how your answers move over time.</p>")
        first, last = summary.iloc[0], summary.iloc[-1]
        lines = []
        for p in ("a", "b"):
            before, now = first[f"lean_{p}"], last[f"lean_{p}"]
            if pd.isna(before) or pd.isna(now):
                continue
            lines.append(f"<li><b>{esc(names[p])}</b>: overall lean {before:+.1f} in session "
                         f"{int(first['session'])}, {now:+.1f} now.</li>")
        if not pd.isna(first["mean_gap"]) and not pd.isna(last["mean_gap"]):
            lines.append(f"<li>The mean gap between you was {first['mean_gap']:.1f}; it is "
                         f"{last['mean_gap']:.1f} now.</li>")
        return f"<p>{len(summary)} sessions so far.</p><ul>{''.join(lines)}</ul>"
