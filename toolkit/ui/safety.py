"""The private safety screen: each partner answers alone, the facilitator alone
sees the result.

Partners take turns at the same screen: a hand-over page names who should
hold it, their questions appear, and "Done" hides them again before the other
partner's turn. Whatever was answered, the couple then sees the same neutral
page asking them to hand the screen back, so nothing on screen hints at
another's answers. The result (and the locked couple steps after an answer of
concern) is shown only in the facilitator's view.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from ..content import SafetyQuestion
from ..responses import PARTNERS, AnswerKey
from ..safety import CONFIRM_KEY
from ..session import Change, SessionModel
from .common import SaveStatus, View, error_html, esc

__all__ = ["SafetyView"]

STAGES = ("intro_a", "a", "intro_b", "b", "done")


class _Question:
    def __init__(self, model: SessionModel, partner: str, question: SafetyQuestion,
                 number: int, status: SaveStatus) -> None:
        self.model, self.status = model, status
        self.key = AnswerKey("safety", partner, question.id, 0, "answer")
        self.choice = w.RadioButtons(
            options=[(o.label, o.id) for o in question.options], value=None,
            layout=w.Layout(width="auto"),
        )
        self.widget = w.VBox([w.HTML(f"<p><b>{number}.</b> {esc(question.text)}</p>"),
                              self.choice])
        self.widget.add_class("tk-card")
        self.choice.observe(self._on_choice, names="value")

    def _on_choice(self, change: dict) -> None:
        if change["new"] is not None:
            self.save()

    def save(self) -> None:
        error, keep = self.model.attempt(self.key, self.choice.value)
        if not error:
            self.status.clear()
        else:
            self.status.failed(f"Not saved yet. {error}" if keep else error,
                               retry=self.save if keep else None)


class SafetyView(View):
    """The screen in the couple's hands (``couple_widget``) and the facilitator's
    result (``facilitator_widget``), never both at once."""

    def __init__(self, model: SessionModel, *, on_finished: Callable[[], None] = lambda: None
                 ) -> None:
        self.model = model
        self._on_finished = on_finished
        self.stage = "intro_a"
        self.status = SaveStatus()
        self.couple_widget = w.VBox(layout=w.Layout(width="100%"))
        self.facilitator_widget = w.VBox(layout=w.Layout(width="100%"))
        self.questions: list[_Question] = []
        self.listen(model, self._changed)
        self.show_stage("intro_a")

    # --- the couple's part -------------------------------------------------------------

    def show_stage(self, stage: str) -> None:
        """Put one stage of the hand-over on screen; answers of a partner who has
        finished are no longer shown (their widgets are closed)."""
        for question in self.questions:
            question.widget.close()
            question.choice.close()
        self.questions = []
        self.stage = stage
        names = self.model.names()
        screen = self.model.content.safety
        if screen is None:
            self.couple_widget.children = [w.HTML(
                "<p>These worksheets have no safety screen.</p>")]
            return
        if stage in ("intro_a", "intro_b"):
            partner = stage[-1]
            start = w.Button(description=f"I am {names[partner]}: start", icon="user",
                             button_style="primary",
                             layout=w.Layout(width="auto", align_self="flex-start"))
            start.on_click(lambda _: self.show_stage(partner))
            self.couple_widget.children = [w.HTML(
                f"<h2>{esc(screen.title)}</h2>"
                f'<div class="tk-hidden-note">Please hand the screen to '
                f"<b>{esc(names[partner])}</b>. These questions are for "
                f"{esc(names[partner])} alone.</div>"), start]
            return
        if stage in PARTNERS:
            done = w.Button(description="Done: hide my answers", icon="check",
                            button_style="primary",
                            layout=w.Layout(width="auto", align_self="flex-start"))
            done.on_click(lambda _: self.show_stage("intro_b" if stage == "a" else "done"))
            answers = self.model.data.safety(stage)
            for number, question in enumerate(screen.questions, start=1):
                view = _Question(self.model, stage, question, number, self.status)
                if question.id in answers:
                    view.choice.value = answers[question.id]
                self.questions.append(view)
            self.couple_widget.children = [
                w.HTML(f"<h2>{esc(names[stage])}: {esc(screen.title)}</h2>"
                       f'<p class="tk-intro">{esc(screen.intro)}</p>'),
                *[q.widget for q in self.questions], self.status.widget, done,
            ]
            return
        self.couple_widget.children = [w.HTML(
            '<div class="tk-hidden-note"><b>Thank you both.</b> Please hand the screen back '
            "to the facilitator.</div>")]
        self._on_finished()

    # --- the facilitator's part -----------------------------------------------------------

    def _changed(self, change: Change) -> None:
        if change.worksheet == "safety" and self.facilitator_widget.children:
            self.show_result()

    def clear_result(self) -> None:
        """Take the result off screen and out of the page (before the couple's turn)."""
        for child in self.facilitator_widget.children:
            child.close()
        self.facilitator_widget.children = []

    def show_result(self, on_hand_over: Callable[[], None] | None = None) -> None:
        """The facilitator-only result: concerns, the answers, referrals, and the
        confirmation that unlocks joint work after a concern."""
        self.clear_result()
        screen = self.model.content.safety
        if screen is None:
            return
        result = self.model.safety
        names = self.model.names()
        words = screen.facilitator
        parts: list[w.Widget] = [w.HTML(
            "<h2>Safety screen: for you only</h2>"
            "<p class='tk-muted'>The couple never sees this page. Each partner answers on their "
            "own; hand the screen over with the button below.</p>")]
        progress = "; ".join(f"{esc(names[p])}: {result.answered.get(p, 0)} of "
                             f"{result.total} answered" for p in PARTNERS)
        if result.concern:
            parts.append(w.HTML(
                f'<div class="tk-status tk-error" role="alert"><b>{esc(words["concern_title"])}'
                f"</b><br>{esc(words['concern'])}</div>"))
        elif result.started:
            parts.append(w.HTML(f'<div class="tk-safe"><b>{esc(words["clear_title"])}</b><br>'
                                f"{esc(words['clear'])}</div>"))
        parts.append(w.HTML(f"<p>{progress}</p>{self._answers_table(names)}"))
        if result.concern:
            confirm = w.Checkbox(value=result.confirmed, indent=False,
                                 description=words["confirm"],
                                 layout=w.Layout(width="auto"))
            confirm.observe(lambda ch: self._confirm(bool(ch["new"])), names="value")
            locked = ("The couple steps stay locked until you confirm." if not result.confirmed
                      else "Joint work is open again.")
            parts += [confirm, w.HTML(f"<p class='tk-muted'>{locked}</p>")]
        parts.append(w.HTML(self._referrals()))
        if on_hand_over is not None:
            again = w.Button(description="Hand over for the safety questions", icon="users",
                             layout=w.Layout(width="auto"))
            again.on_click(lambda _: on_hand_over())
            parts.append(again)
        self.facilitator_widget.children = parts

    def _confirm(self, confirmed: bool) -> None:
        error = self.model.save(CONFIRM_KEY, confirmed)
        if error:
            self.facilitator_widget.children = [*self.facilitator_widget.children,
                                                w.HTML(error_html(error))]

    def _answers_table(self, names: dict[str, str]) -> str:
        screen = self.model.content.safety
        data = self.model.data
        rows = []
        for question in screen.questions:
            cells = []
            for partner in PARTNERS:
                chosen = data.safety(partner).get(question.id)
                if chosen is None:
                    cells.append("<td class='tk-unanswered-text'>not answered</td>")
                    continue
                try:
                    option = question.option(chosen)
                except KeyError:
                    cells.append(f"<td><b>{esc(chosen)}</b></td>")
                    continue
                label = esc(option.label)
                cells.append(f"<td><b>{label}</b> (concern)</td>" if option.concern
                             else f"<td>{label}</td>")
            rows.append(f"<tr><th scope='row'>{esc(question.text)}</th>{''.join(cells)}</tr>")
        head = "".join(f"<th scope='col'>{esc(names[p])}</th>" for p in PARTNERS)
        return (f"<table class='tk-table'><thead><tr><th scope='col'>Question</th>{head}</tr>"
                f"</thead><tbody>{''.join(rows)}</tbody></table>")

    def _referrals(self) -> str:
        referrals = self.model.content.referrals
        if referrals is None:
            return ""
        items = "".join(f"<li><b>{esc(s.name)}</b>: {esc(s.what)}. {esc(s.contact)}</li>"
                        for s in referrals.services)
        listing = f"<ul>{items}</ul>" if items else (
            "<p class='tk-muted'>No services are listed yet.</p>")
        return (f"<h3>{esc(referrals.title)}</h3><p>{esc(referrals.intro)}</p>{listing}"
                f"<p><b>{esc(referrals.emergency)}</b></p>")
