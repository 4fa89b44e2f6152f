"""The whole session as steps: couple, each partner's spectrum, the reveal,
origins, the boundary plan, and finishing up."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import ipywidgets as w

from ..demo import ensure_demo
from ..responses import AnswerError
from ..session import Change, SessionModel, start_follow_up
from ..store import SessionStore, Store, StoreError
from .common import View, after_pending_input, error_html, esc, stylesheet

__all__ = ["SessionApp"]

BINDER_VARIABLES = ("BINDER_LAUNCH_HOST", "BINDER_REPO_URL", "BINDER_REQUEST",
                    "BINDER_SERVICE_HOST")


def on_binder() -> bool:
    """Binder sets these in every session it launches; its data is thrown away."""
    return any(os.environ.get(name) for name in BINDER_VARIABLES)


STEP_KEYS = ("couple", "spectrum_a", "spectrum_b", "profiles", "progress", "origins", "plan",
             "finish")
STEP_TITLES = ("Couple", "{a}", "{b}", "Profiles", "Progress", "Origins", "Plan", "Finish")


class SessionApp(View):
    """The facilitator's session, one step at a time.

    ``SessionApp()`` starts at choosing or creating a couple;
    ``SessionApp.open("demo-kim-kevin")`` continues that couple's latest session
    (``new_session=True`` starts a follow-up that carries the plan forward).
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None,
                 store: SessionStore | None = None) -> None:
        self.store = store if store is not None else Store(data_dir)
        self.model: SessionModel | None = None
        self.views: dict[str, View] = {}
        self.steps = w.ToggleButtons(options=self._step_labels(), value=None,
                                     style={"button_width": "auto"})
        self.steps.add_class("tk-steps")
        self.back = w.Button(description="Back", icon="arrow-left", layout=w.Layout(width="auto"))
        self.next = w.Button(description="Next", icon="arrow-right", button_style="primary",
                             layout=w.Layout(width="auto"))
        self.body = w.VBox(layout=w.Layout(width="100%"))
        self.header = w.HTML()
        self.status = w.HTML()
        self.steps.observe(self._on_step, names="value")
        self.back.on_click(lambda _: self.go(self.step_index - 1))
        self.next.on_click(lambda _: self.go(self.step_index + 1))
        self.session_panel_box = w.VBox()
        self._build_setup()
        self._build_exports()
        nav = w.HBox([self.back, self.next], layout=w.Layout(margin="10px 0"))
        self.binder = self._binder_notice() if on_binder() else w.VBox()
        self.widget = w.VBox([stylesheet(), self.binder, self.header, self.steps, self.status,
                              self.body, nav], layout=w.Layout(width="100%"))
        self.widget.add_class("tk-app")
        self.go(0)

    # --- opening ------------------------------------------------------------------

    @classmethod
    def open(cls, couple_id: str, *, session: int | None = None, new_session: bool = False,
             data_dir: str | os.PathLike[str] | None = None) -> SessionApp:
        app = cls(data_dir)
        ensure_demo(app.store, couple_id)
        app.start(couple_id, session=session, new_session=new_session)
        app.go(1)
        return app

    def start(self, couple_id: str, *, session: int | None = None,
              new_session: bool = False) -> None:
        """Open a couple's session: the latest, a numbered one, or a new follow-up
        (which carries the boundary plan and the facilitator forward)."""
        if new_session or not self.store.sessions(couple_id):
            info = start_follow_up(self.store, couple_id)
        else:
            info = self.store.session(couple_id, session)
        self._open_model(SessionModel(self.store, info.id))

    def _open_model(self, model: SessionModel) -> None:
        from .origins import OriginsSummary, OriginsView
        from .plan import PlanView
        from .profile import ProfileView
        from .progress import ProgressView
        from .sessions import SessionPanel
        from .spectrum import SpectrumView

        for view in self.views.values():
            view.close()
        self.model = model
        self.views = {
            "spectrum_a": SpectrumView(model, "a"),
            "spectrum_b": SpectrumView(model, "b"),
            "profiles": ProfileView(model),
            "progress": ProgressView(model),
            "origins_a": OriginsView(model, "a"),
            "origins_b": OriginsView(model, "b"),
            "origins_summary": OriginsSummary(model),
            "plan": PlanView(model),
            "sessions": SessionPanel(model, on_open=self._open_number,
                                     on_follow_up=self._follow_up, on_deleted=self._deleted),
        }
        self.session_panel_box.children = [self.views["sessions"].widget]
        model.subscribe(self._model_changed)
        names = model.names()
        self.origins_partner = w.ToggleButtons(
            options=[(f"{names['a']}'s reflection", "a"), (f"{names['b']}'s reflection", "b"),
                     ("Side by side", "summary")],
            value="a", style={"button_width": "auto"},
        )
        self.origins_partner.observe(lambda _: self._show_origins(), names="value")
        self.origins_box = w.VBox()
        self._show_origins()
        self.steps.options = self._step_labels()
        self._header()

    def _header(self) -> None:
        if self.model is None:
            self.header.value = ""
            return
        couple, info = self.model.couple, self.model.info
        self.header.value = (
            f"<h2>{esc(couple.partner_a)} &amp; {esc(couple.partner_b)}</h2>"
            f'<div class="tk-muted">Session {info.number}, {esc(info.date)}. '
            "Every change is saved as you go.</div>"
        )

    def _model_changed(self, change: Change) -> None:
        if change.kind in ("info", "couple"):
            self._header()
        if change.kind == "couple":
            self.steps.options = self._step_labels()

    def _open_number(self, number: int) -> None:
        self.start(self.model.couple_id, session=number)
        self.go(1)

    def _follow_up(self) -> None:
        try:
            self.start(self.model.couple_id, new_session=True)
        except (AnswerError, StoreError) as exc:
            self.setup_status.value = error_html(str(exc))
            return
        self.go(1)

    def _deleted(self, session_id: int) -> None:
        """A session was deleted from the list; if it was the open one, open the
        latest that is left, or go back to choosing a couple."""
        if self.model is None or session_id != self.model.session_id:
            return
        couple_id = self.model.couple_id
        remaining = self.store.sessions(couple_id)
        if remaining:
            self._open_model(SessionModel(self.store, remaining[-1].id))
        else:
            for view in self.views.values():
                view.close()
            self.model, self.views = None, {}
            self.session_panel_box.children = []
            self.steps.options = self._step_labels()
            self._header()
        self.go(0)

    def _step_labels(self) -> list[tuple[str, int]]:
        a, b = "Partner A", "Partner B"
        if self.model is not None:
            names = self.model.names()
            a, b = names["a"], names["b"]
        return [(f"{i + 1} {title.format(a=a, b=b)}", i)
                for i, title in enumerate(STEP_TITLES)]

    # --- navigation ---------------------------------------------------------------

    @property
    def step_index(self) -> int:
        return self.steps.value if self.steps.value is not None else 0

    @property
    def step(self) -> str:
        return STEP_KEYS[self.step_index]

    def go_to(self, key: str) -> None:
        """Show a step by name ("couple", "spectrum_a", ..., "finish")."""
        self.go(STEP_KEYS.index(key))

    def go(self, index: int) -> None:
        index = max(0, min(len(STEP_KEYS) - 1, index))
        if index > 0 and self.model is None:
            self.status.value = error_html("Choose or create a couple first.")
            index = 0
        if self.steps.value == index:
            self._render()
        else:
            self.steps.value = index

    def _on_step(self, change: dict) -> None:
        if change["new"] is None:
            return
        if change["new"] > 0 and self.model is None:
            self.go(0)
            return
        self._render()

    def _render(self) -> None:
        self.status.value = ""
        key = self.step
        if key == "couple":
            self.body.children = [self.setup]
        elif key == "origins":
            self.body.children = [w.VBox([self.origins_partner, self.origins_box])]
        elif key == "finish":
            self.body.children = [self._finish()]
        elif key in ("profiles", "progress", "plan"):
            self.body.children = [self.views[key].widget]
        else:  # a partner's spectrum: the other's answers and both profiles stay hidden
            self.views["profiles"].hide()
            self.views["progress"].hide()
            self.body.children = [self._private_note(key), self.views[key].widget]
        self.back.disabled = self.step_index == 0
        self.next.disabled = self.step_index == len(STEP_KEYS) - 1

    def _private_note(self, key: str) -> w.HTML:
        names = self.model.names()
        me, other = (names["a"], names["b"]) if key == "spectrum_a" else (names["b"], names["a"])
        return w.HTML(
            f'<div class="tk-hidden-note">This part is for <b>{esc(me)}</b> alone. '
            f"{esc(other)}'s answers are hidden and stay hidden until you reveal both "
            "profiles together.</div>"
        )

    def _show_origins(self) -> None:
        choice = self.origins_partner.value
        if choice == "summary":
            self.origins_box.children = [self.views["origins_summary"].widget]
        else:
            self.origins_box.children = [self.views[f"origins_{choice}"].widget]

    # --- couple set-up --------------------------------------------------------------

    def _build_setup(self) -> None:
        self.existing = w.Dropdown(description="Couple:", layout=w.Layout(width="420px"))
        self.session_choice = w.RadioButtons(
            options=[("Continue their latest session", "latest"),
                     ("Start a follow-up session today", "new")],
            value="latest",
        )
        self.open_button = w.Button(description="Open", button_style="primary", icon="folder-open",
                                    layout=w.Layout(width="auto", align_self="flex-start"))
        self.name_a = w.Text(description="Partner A:", placeholder="a pseudonym",
                             layout=w.Layout(width="420px"))
        self.name_b = w.Text(description="Partner B:", placeholder="a pseudonym",
                             layout=w.Layout(width="420px"))
        self.facilitator = w.Text(description="Facilitator:", placeholder="optional",
                                  layout=w.Layout(width="420px"))
        self.create_button = w.Button(description="Create couple and start", icon="plus",
                                      button_style="primary",
                                      layout=w.Layout(width="auto", align_self="flex-start"))
        self.setup_status = w.HTML()
        self.open_button.on_click(lambda _: self._open_existing())
        self.create_button.on_click(lambda _: after_pending_input(self._create))
        self._refresh_couples()
        existing = w.VBox([w.HTML("<h3>Continue with a couple</h3>"), self.existing,
                           self.session_choice,
                           w.HTML("<p class='tk-muted'>A follow-up session brings the boundary "
                                  "plan along for review; the spectrum starts fresh.</p>"),
                           self.open_button])
        existing.add_class("tk-card")
        new = w.VBox([
            w.HTML("<h3>A new couple</h3><p class='tk-muted'>Use pseudonyms or first names "
                   "only.</p>"),
            self.name_a, self.name_b, self.facilitator, self.create_button,
        ])
        new.add_class("tk-card")
        self.setup = w.VBox([self.session_panel_box, existing, new, self.setup_status])

    def _refresh_couples(self) -> None:
        couples = self.store.couples()
        current = self.existing.value
        self.existing.options = [(f"{c.partner_a} & {c.partner_b}  ({c.id})", c.id)
                                 for c in couples]
        ids = [c.id for c in couples]
        self.existing.value = current if current in ids else (ids[0] if ids else None)
        self.existing.disabled = self.open_button.disabled = not couples

    def _open_existing(self) -> None:
        if not self.existing.value:
            self.setup_status.value = error_html("There are no couples yet.")
            return
        self.start(self.existing.value, new_session=self.session_choice.value == "new")
        self.go(1)

    def _create(self) -> None:
        try:
            couple = self.store.create_couple(self.name_a.value, self.name_b.value)
            info = self.store.new_session(couple.id, date=dt.date.today(),
                                          facilitator=self.facilitator.value)
        except (AnswerError, StoreError) as exc:
            self.setup_status.value = error_html(str(exc))
            return
        self.name_a.value = self.name_b.value = ""
        self._refresh_couples()
        self.existing.value = couple.id
        self.start(couple.id, session=info.number)
        self.go(1)

    # --- finish -----------------------------------------------------------------------

    def _finish(self) -> w.Widget:
        data = self.model.data
        spectrum_done = {p: len(data.spectrum(p)) for p in ("a", "b")}
        total = len(self.model.content.spectrum.items)
        names = self.model.names()
        lines = [
            f"<li>{esc(names[p])}: {spectrum_done[p]} of {total} spectrum items answered</li>"
            for p in ("a", "b")
        ]
        rows = sum(len(v) for v in data.plan_rows.values())
        review = data.plan_value("review") or "not set yet"
        lines.append(f"<li>Boundary plan: {rows} row{'s' if rows != 1 else ''}; "
                     f"review date {esc(review)}</li>")
        summary = w.HTML(
            "<h3>Finishing the session</h3>"
            f"<ul>{''.join(lines)}</ul>"
            "<p>Everything is already saved on this computer, in "
            f"<code>{esc(str(self.store.data_dir))}</code>. Nothing is sent anywhere.</p>"
            "<p>To delete this couple's data for good, run "
            f"<code>python -m toolkit delete {esc(self.model.couple_id)}</code> in a terminal.</p>"
        )
        card = w.VBox([summary, w.HTML("<h3>Take-home report and worksheets</h3>"),
                       w.HBox([self.report_button, self.facilitator_button, self.handout_button,
                               self.homework_button, self.homework_fillable_button,
                               self.blank_button, self.fillable_button],
                              layout=w.Layout(flex_flow="row wrap")),
                       self.downloads])
        card.add_class("tk-card")
        return card

    def _build_exports(self) -> None:
        self.report_button = w.Button(description="Export PDF report", icon="file-pdf-o",
                                      button_style="primary", layout=w.Layout(width="auto"))
        self.blank_button = w.Button(description="Print blank worksheets", icon="print",
                                     layout=w.Layout(width="auto"))
        self.fillable_button = w.Button(description="Fillable worksheets", icon="pencil",
                                        layout=w.Layout(width="auto"))
        self.facilitator_button = w.Button(description="Facilitator's copy", icon="user-md",
                                           layout=w.Layout(width="auto"),
                                           tooltip="The report with your notes for each item")
        self.handout_button = w.Button(description="Handout: the four patterns", icon="book",
                                       layout=w.Layout(width="auto"))
        self.homework_button = w.Button(description="Between-session sheet", icon="calendar",
                                        layout=w.Layout(width="auto"))
        self.homework_fillable_button = w.Button(description="Between-session sheet (fillable)",
                                                 icon="pencil", layout=w.Layout(width="auto"))
        self.downloads = w.HTML()
        self.report_button.on_click(lambda _: self.export_report())
        self.facilitator_button.on_click(lambda _: self.export_report(reader="facilitator"))
        self.handout_button.on_click(lambda _: self.export_handout())
        self.homework_button.on_click(lambda _: self.export_homework(fillable=False))
        self.homework_fillable_button.on_click(lambda _: self.export_homework(fillable=True))
        self.blank_button.on_click(lambda _: self.export_blank(fillable=False))
        self.fillable_button.on_click(lambda _: self.export_blank(fillable=True))

    def _binder_notice(self) -> w.Widget:
        json_button = w.Button(description="Download answers (JSON)", icon="download",
                               layout=w.Layout(width="auto"))
        pdf_button = w.Button(description="Download PDF report", icon="file-pdf-o",
                              layout=w.Layout(width="auto"))
        json_button.on_click(lambda _: self.export_json())
        pdf_button.on_click(lambda _: self.export_report())
        notice = w.VBox([
            w.HTML('<div class="tk-binder" role="alert"><b>This is a temporary online '
                   "session.</b> Everything typed here is deleted when this browser tab closes "
                   "or sits idle. Before you leave, download the couple's answers (to import "
                   "later with <code>python -m toolkit import</code>) and the PDF report.</div>"),
            w.HBox([json_button, pdf_button]), self.downloads,
        ])
        notice.add_class("tk-card")
        return notice

    def export_json(self) -> Path | None:
        """The couple's answers as an export file, offered for download."""
        import json

        from ..store.transfer import export_couple

        if self.model is None:
            self.downloads.value = error_html("Choose or create a couple first.")
            return None
        couple_id = self.model.couple_id
        data = json.dumps(export_couple(self.store, couple_id), ensure_ascii=False, indent=2)
        return self._offer(lambda: data.encode("utf-8"), f"{couple_id}.json",
                           mime="application/json")

    def export_handout(self) -> Path | None:
        from ..report import handout_pdf

        content = self.model.content if self.model is not None else self.store.content
        return self._offer(lambda: handout_pdf(content), "handout-four-patterns.pdf")

    def export_homework(self, *, fillable: bool) -> Path | None:
        from ..report import homework_pdf

        if self.model is None:
            self.downloads.value = error_html("Choose or create a couple first.")
            return None
        model = self.model
        kind = "-fillable" if fillable else ""
        name = f"{model.couple_id}-session-{model.info.number}-between-sessions{kind}.pdf"
        return self._offer(lambda: homework_pdf(model.content, model.data, fillable=fillable),
                           name)

    def export_report(self, reader: str = "couple") -> Path | None:
        """Write the session report into the data folder and offer it for download."""
        from ..report import picture_dpi, session_report

        if self.model is None:
            self.downloads.value = error_html("Choose or create a couple first.")
            return None
        model = self.model
        info = model.info
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        name = f"{info.couple_id}-session-{info.number}-{reader}-{stamp}.pdf"
        return self._offer(lambda: session_report(
            model.content, model.data, model.scores,
            picture=model.picture(dpi=picture_dpi()), since=model.since_last_time(),
            reader=reader), name)

    def export_blank(self, *, fillable: bool) -> Path | None:
        from ..report import blank_worksheets

        name = "worksheets-fillable.pdf" if fillable else "worksheets.pdf"
        content = self.model.content if self.model is not None else self.store.content
        return self._offer(lambda: blank_worksheets(content, fillable=fillable), name)

    def _offer(self, make: Callable[[], bytes], name: str,
               mime: str = "application/pdf") -> Path | None:
        import base64
        import warnings

        from ..files import FileWriteError, write_private
        from ..textsafe import MissingGlyphsWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MissingGlyphsWarning)
            try:
                data = make()
            except (OSError, ValueError) as exc:
                self.downloads.value = error_html(f"The PDF could not be made: {exc}")
                return None
        path = None
        reports_dir = getattr(self.store, "reports_dir", None)
        if reports_dir is not None and self.model is not None:
            try:
                path = write_private(data, reports_dir(self.model.couple_id) / name,
                                     overwrite=True)
            except (FileWriteError, OSError) as exc:
                self.downloads.value = error_html(f"The file was made but not saved: {exc}")
        notes = "".join(error_html(str(x.message)) for x in caught
                        if issubclass(x.category, MissingGlyphsWarning))
        link = (f'<a download="{esc(name)}" href="data:{mime};base64,'
                f'{base64.b64encode(data).decode("ascii")}" class="tk-download">'
                f"Download {esc(name)}</a>")
        saved = f" A copy is saved in <code>{esc(str(path))}</code>." if path else ""
        self.downloads.value = f"<p>{link} ({len(data) // 1024} KB).{saved}</p>{notes}"
        return path
