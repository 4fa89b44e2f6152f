"""The whole session as steps: the couple, a private safety screen, each
partner's spectrum, the reveal, progress, origins, the plan, and finishing up.

The app has two modes. In the facilitator's mode everything is reachable:
other couples, the safety screen's result, the facilitator's copy of the
report, where the data lives. Handing the screen over switches to the couple's
mode, which shows only this couple's own steps and takes the rest out of the
page altogether (not just out of sight); getting back takes a deliberate step
(and a code, if the facilitator set one). A quiet Pause hides everything at once.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from pathlib import Path

import ipywidgets as w

from ..content import ContentError
from ..demo import ensure_demo
from ..responses import AnswerError
from ..session import Change, SessionModel, start_follow_up
from ..store import SessionStore, Store, StoreError
from .bridge import PageBridge
from .common import View, after_pending_input, close_tree, error_html, esc, stylesheet

# The views bring matplotlib and pandas, seconds to import on a slow machine. The app
# shows its first step without them and imports them in the background while the
# facilitator reads it, so opening a couple then only builds widgets.
_VIEW_MODULES = ("origins", "plan", "profile", "progress", "safety", "spectrum", "sessions")


def _warm_up() -> None:
    import importlib

    for name in _VIEW_MODULES:
        importlib.import_module(f"{__package__}.{name}")


def warm_up_in_background() -> threading.Thread:
    """Start importing the views (and the libraries they use) without waiting."""
    thread = threading.Thread(target=_warm_up, name="toolkit-warm-up", daemon=True)
    thread.start()
    return thread

__all__ = ["SessionApp"]

BINDER_VARIABLES = ("BINDER_LAUNCH_HOST", "BINDER_REPO_URL", "BINDER_REQUEST",
                    "BINDER_SERVICE_HOST")


def on_binder() -> bool:
    """Binder sets these in every session it launches; its data is thrown away."""
    return any(os.environ.get(name) for name in BINDER_VARIABLES)


STEP_KEYS = ("couple", "safety", "spectrum_a", "spectrum_b", "profiles", "progress", "origins",
             "plan", "finish")
STEP_TITLES = {"couple": "Couple", "safety": "Safety", "spectrum_a": "{a}", "spectrum_b": "{b}",
               "profiles": "Profiles", "progress": "Progress", "origins": "Origins",
               "plan": "Plan", "finish": "Finish"}
# Joint work that waits when the safety screen raised a concern not yet followed up.
JOINT_STEPS = ("spectrum_a", "spectrum_b", "profiles", "progress", "origins", "plan", "finish")
FACILITATOR, COUPLE_MODE = "facilitator", "couple"


class _Views:
    """The session's views, each built the first time its step is shown.

    Building every view at once (hundreds of widgets, two pictures) made opening a
    session take seconds; now opening builds only what the first step needs.
    ``get`` and ``values`` see only views already built.
    """

    def __init__(self, factories: dict[str, Callable[[], View]] | None = None,
                 on_built: Callable[[str, View], None] | None = None) -> None:
        self._factories = factories or {}
        self._built: dict[str, View] = {}
        self._on_built = on_built

    def __getitem__(self, key: str) -> View:
        if key not in self._built:
            view = self._factories[key]()
            self._built[key] = view
            if self._on_built is not None:
                self._on_built(key, view)
        return self._built[key]

    def __setitem__(self, key: str, view: View) -> None:
        self._built[key] = view

    def __contains__(self, key: object) -> bool:
        return key in self._built

    def get(self, key: str) -> View | None:
        return self._built.get(key)

    def pop(self, key: str) -> View:
        return self._built.pop(key)

    def values(self) -> list[View]:
        return list(self._built.values())


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
        self.views = _Views()
        self.mode = FACILITATOR
        self._code = ""
        self._transient: list[w.Widget] = []
        self._keep_status = False
        self.steps = w.ToggleButtons(options=self._step_labels(), value=None,
                                     style={"button_width": "auto"})
        self.steps.add_class("tk-steps")
        self.back = w.Button(description="Back", icon="arrow-left", layout=w.Layout(width="auto"))
        self.next = w.Button(description="Next", icon="arrow-right", button_style="primary",
                             layout=w.Layout(width="auto"))
        self.body = w.VBox(layout=w.Layout(width="100%"))
        self.body.add_class("tk-body")
        self.bridge = PageBridge(measure=False)  # scrolls to and focuses each new step
        self.header = w.HTML()
        self.status = w.HTML()
        self.steps.observe(self._on_step, names="value")
        self.back.on_click(lambda _: self.go(self.step_index - 1))
        self.next.on_click(lambda _: self.go(self.step_index + 1))
        self.session_panel_box = w.VBox()
        self._build_setup()
        self._build_exports()
        self._build_modes()
        self.nav = w.HBox([self.back, self.next], layout=w.Layout(margin="10px 0"))
        self.binder = w.VBox()
        self._show_binder()
        self.top_row = w.HBox([self.header, self.hand_over_box],
                              layout=w.Layout(width="100%", justify_content="space-between",
                                              flex_flow="row wrap"))
        self.content_box = w.VBox([self.binder, self.top_row, self.steps, self.status,
                                   self.body, self.nav, self.return_box],
                                  layout=w.Layout(width="100%"))
        self.widget = w.VBox([stylesheet(), self.bridge,
                              w.HBox([self.pause_button],
                                     layout=w.Layout(justify_content="flex-end")),
                              self.content_box, self.paused],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("tk-app")
        self.go(0)
        self.warm_up = warm_up_in_background()

    def describe(self) -> str:
        titles = [label.split(" ", 1)[1] for label, _ in self._step_labels()]
        where = f"step {self.step_index + 1}, {titles[self.step_index]}"
        couple = ""
        if self.model is not None:
            names = self.model.names()
            couple = f" with {names['a']} and {names['b']}, session {self.model.info.number}"
        return (f"Couples' session app{couple}: {len(titles)} steps ({', '.join(titles)}); "
                f"now at {where}.")

    # --- opening ------------------------------------------------------------------

    @classmethod
    def open(cls, couple_id: str, *, session: int | None = None, new_session: bool = False,
             data_dir: str | os.PathLike[str] | None = None) -> SessionApp:
        app = cls(data_dir)
        ensure_demo(app.store, couple_id)
        app.start(couple_id, session=session, new_session=new_session)
        app.go_to("spectrum_a")
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
        from .safety import SafetyView
        from .spectrum import SpectrumView

        for view in self.views.values():
            view.close()
        self._presenting(False)
        self.model = model
        self.views = _Views({
            "safety": lambda: SafetyView(model, on_finished=self._safety_finished),
            "spectrum_a": lambda: SpectrumView(model, "a"),
            "spectrum_b": lambda: SpectrumView(model, "b"),
            "profiles": lambda: ProfileView(model),
            "progress": lambda: ProgressView(model),
            "origins_a": lambda: OriginsView(model, "a"),
            "origins_b": lambda: OriginsView(model, "b"),
            "origins_summary": lambda: OriginsSummary(model),
            "plan": lambda: PlanView(model),
        }, on_built=self._view_built)
        self._build_session_panel()
        model.subscribe(self._model_changed)
        names = model.names()
        self.origins_partner = w.ToggleButtons(
            options=[(f"{names['a']}'s reflection", "a"), (f"{names['b']}'s reflection", "b"),
                     ("Side by side", "summary")],
            value="a", style={"button_width": "auto"},
        )
        self.origins_partner.observe(lambda _: self._show_origins(), names="value")
        self.origins_box = w.VBox()
        self.links.clear()
        self.downloads.value = ""
        self.steps.options = self._step_labels()
        self._header()
        self._show_modes()

    def _view_built(self, key: str, view: View) -> None:
        if key in ("profiles", "progress"):
            view.on_present(self._presenting)
        if key == "profiles" and self.mode == COUPLE_MODE:
            view.show_notes.value = False
            view.show_notes.layout.display = "none"

    def _build_session_panel(self) -> None:
        from .sessions import SessionPanel

        if "sessions" in self.views:
            old = self.views.pop("sessions")
            old.close()
            close_tree(old.widget)
        if self.model is None or self.mode != FACILITATOR:
            self.session_panel_box.children = []
            return
        panel = SessionPanel(self.model, on_open=self._open_number,
                             on_follow_up=self._follow_up, on_deleted=self._deleted)
        self.views["sessions"] = panel
        self.session_panel_box.children = [panel.widget]

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
        if change.worksheet == "safety" and self.mode == FACILITATOR and self.step == "safety":
            self._render()

    def _open_number(self, number: int) -> None:
        try:
            self.start(self.model.couple_id, session=number)
        except (AnswerError, StoreError, ContentError) as exc:
            self.setup_status.value = error_html(str(exc))
            return
        self.go_to("safety")

    def _follow_up(self) -> None:
        try:
            self.start(self.model.couple_id, new_session=True)
        except (AnswerError, StoreError) as exc:
            self.setup_status.value = error_html(str(exc))
            return
        self.go_to("safety")

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
            self.model, self.views = None, _Views()
            self.session_panel_box.children = []
            self.steps.options = self._step_labels()
            self._header()
            self._show_modes()
        self.go(0)

    # --- steps and navigation ------------------------------------------------------------

    @property
    def visible_steps(self) -> tuple[str, ...]:
        """The couple's mode leaves out choosing a couple (other couples' names)."""
        return STEP_KEYS if self.mode == FACILITATOR else STEP_KEYS[1:]

    def _step_labels(self) -> list[tuple[str, str]]:
        a, b = "Partner A", "Partner B"
        if self.model is not None:
            names = self.model.names()
            a, b = names["a"], names["b"]
        return [(f"{i + 1} {STEP_TITLES[key].format(a=a, b=b)}", key)
                for i, key in enumerate(self.visible_steps)]

    @property
    def step(self) -> str:
        return self.steps.value if self.steps.value is not None else self.visible_steps[0]

    @property
    def step_index(self) -> int:
        return self.visible_steps.index(self.step)

    def go_to(self, key: str) -> None:
        """Show a step by name ("couple", "safety", "spectrum_a", ..., "finish")."""
        if key not in self.visible_steps:
            return
        self.go(self.visible_steps.index(key))

    def go(self, index: int) -> None:
        steps = self.visible_steps
        index = max(0, min(len(steps) - 1, index))
        key = steps[index]
        if key != "couple" and self.model is None:
            self.status.value = error_html(
                "Choose a couple and press Open, or create a new couple, before moving on.")
            self._keep_status = True  # the message stays while step 1 is shown again
            key = steps[0]
        elif key in JOINT_STEPS and self.model is not None and self.model.locked:
            self._refuse_locked()
            return
        if self.steps.value == key:
            self._render()
        else:
            self.steps.value = key

    def _refuse_locked(self) -> None:
        if self.mode == FACILITATOR:
            self.status.value = error_html(
                "Joint exercises are paused: an answer on the safety screen needs a "
                "conversation with each partner on their own first. See the Safety step.")
        else:
            self.status.value = ('<div class="tk-hidden-note">Please hand the screen back '
                                 "to the facilitator.</div>")
        if self.steps.value != "safety":  # stay on (or go back to) the safety step
            self._keep_status = True
            self.steps.value = "safety"

    def _on_step(self, change: dict) -> None:
        new = change["new"]
        if new is None:
            return
        if new != "couple" and self.model is None:
            self.go(0)
            return
        if new in JOINT_STEPS and self.model is not None and self.model.locked:
            self._refuse_locked()
            return
        self._render()

    def _presenting(self, on: bool) -> None:
        """The presentation view: the picture alone; the steps, names and buttons
        step out of the way until it closes (Pause stays, as always)."""
        for part in (self.binder, self.top_row, self.steps, self.status, self.nav,
                     self.return_box):
            part.layout.display = "none" if on else ""

    def _render(self) -> None:
        for key in ("profiles", "progress"):
            view = self.views.get(key)
            if view is not None and key != self.step:
                view.stop_presenting()
        if not self._keep_status:
            self.status.value = ""
        self._keep_status = False
        for widget in self._transient:  # built for the last step only: forget them
            if isinstance(widget, w.Box):
                widget.children = ()  # the buttons inside live on; the box does not
            close_tree(widget)
        self._transient = []
        key = self.step
        if key != "finish":
            self.links.clear()
            self.downloads.value = ""
        if key != "safety" and "safety" in self.views:
            self.views["safety"].clear_result()
        if key == "couple":
            self.body.children = [self.setup]
        elif key == "safety":
            self.body.children = [self._safety_step()]
        elif key == "origins":
            self._show_origins()
            self.body.children = [w.VBox([self.origins_partner, self.origins_box])]
        elif key == "finish":
            card = self._finish()
            owned = [c for c in card.children if isinstance(c, w.HTML) and c is not self.downloads]
            self._transient += [*owned, card.children[2], card]
            self.body.children = [card]
        elif key in ("profiles", "progress", "plan"):
            self.body.children = [self.views[key].widget]
        else:  # a partner's spectrum: the other's answers and both profiles stay hidden
            for shared in ("profiles", "progress"):
                view = self.views.get(shared)
                if view is not None:
                    view.hide()
            note = self._private_note(key)
            self._transient.append(note)
            self.body.children = [note, self.views[key].widget]
        index = self.step_index
        couple_safety = self.mode == COUPLE_MODE and key == "safety"
        self.back.disabled = index == 0 or couple_safety
        self.next.disabled = index == len(self.visible_steps) - 1 or couple_safety
        self.bridge.focus_step()

    def _safety_step(self) -> w.Widget:
        view = self.views["safety"]
        if self.mode == COUPLE_MODE:
            return view.couple_widget
        view.show_result(on_hand_over=lambda: self.hand_over(start="safety"))
        return view.facilitator_widget

    def _safety_finished(self) -> None:
        self.back.disabled = self.next.disabled = True

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

    # --- the two modes and the pause -------------------------------------------------------

    def _build_modes(self) -> None:
        self.code = w.Password(placeholder="code to return (optional)",
                               layout=w.Layout(width="210px"))
        self.hand_over_button = w.Button(
            description="Hand over to the couple", icon="users", button_style="info",
            layout=w.Layout(width="auto"),
            tooltip="Show the couple only their own steps; other couples, your notes and the "
                    "safety result leave the page")
        self.hand_over_button.on_click(lambda _: self.hand_over())
        self.hand_over_box = w.HBox([self.code, self.hand_over_button],
                                    layout=w.Layout(align_items="center"))
        self.facilitator_link = w.Button(description="Facilitator", icon="lock",
                                         layout=w.Layout(width="auto", align_self="flex-start"),
                                         tooltip="Back to the facilitator's view")
        self.facilitator_link.add_class("tk-quiet")
        self.facilitator_link.on_click(lambda _: self._ask_return())
        self.return_code = w.Password(placeholder="the code", layout=w.Layout(width="160px"))
        self.return_yes = w.Button(description="Yes, I am the facilitator",
                                   layout=w.Layout(width="auto"))
        self.return_no = w.Button(description="Cancel", layout=w.Layout(width="auto"))
        self.return_yes.on_click(lambda _: self.return_to_facilitator(self.return_code.value))
        self.return_no.on_click(lambda _: self._show_modes())
        self.return_status = w.HTML()
        self.return_box = w.VBox(layout=w.Layout(margin="24px 0 0 0"))
        self.pause_button = w.Button(description="Pause", icon="pause",
                                     layout=w.Layout(width="auto"),
                                     tooltip="Hide everything on the screen at once")
        self.pause_button.add_class("tk-quiet")
        self.pause_button.on_click(lambda _: self.pause())
        self.resume_button = w.Button(description="Resume", icon="play",
                                      layout=w.Layout(width="auto"))
        self.resume_button.on_click(lambda _: self.resume())
        self.paused = w.VBox([w.HTML('<div class="tk-paused"><h2>Paused</h2><p>Take whatever '
                                     "time you need.</p></div>"), self.resume_button])
        self.paused.layout.display = "none"
        self._show_modes()

    def _show_modes(self) -> None:
        facilitator = self.mode == FACILITATOR
        self.hand_over_box.layout.display = "" if facilitator and self.model else "none"
        self.return_status.value = ""
        self.return_code.value = ""
        self.return_box.children = [] if facilitator else [self.facilitator_link]

    def hand_over(self, *, start: str | None = None) -> None:
        """Switch to the couple's mode. Other couples' names, the session list and
        notes, the safety result, the facilitator's notes and copies leave the page."""
        if self.model is None:
            self.status.value = error_html("Choose or create a couple first.")
            return
        self._code = self.code.value
        self.code.value = ""
        self.mode = COUPLE_MODE
        self.existing.options = []
        self._build_session_panel()
        self.views["safety"].clear_result()
        profile = self.views.get("profiles")
        if profile is not None:  # built later, it starts without them (_view_built)
            profile.show_notes.value = False
            profile.show_notes.layout.display = "none"
        self._show_binder()
        self.links.clear()
        self.downloads.value = ""
        self.steps.options = self._step_labels()
        self._show_modes()
        result = self.model.safety
        if start is None:
            start = "spectrum_a" if result.started else "safety"
        if start == "safety":
            self.views["safety"].show_stage("intro_a")
        self.steps.value = None
        self.go_to(start)

    def _ask_return(self) -> None:
        parts: list[w.Widget] = [w.HTML("<p>Return to the facilitator's view?</p>")]
        if self._code:
            parts.append(self.return_code)
        parts += [w.HBox([self.return_yes, self.return_no]), self.return_status]
        self.return_box.children = parts

    def return_to_facilitator(self, code: str = "") -> bool:
        """Back to the facilitator's mode (with the code, if one was set)."""
        if self._code and code != self._code:
            self.return_status.value = error_html("That is not the code; the view stays as it "
                                                  "is.")
            return False
        self.mode = FACILITATOR
        self._code = ""
        self._refresh_couples()
        self._build_session_panel()
        profile = self.views.get("profiles")
        if profile is not None:
            profile.show_notes.layout.display = ""
        self._show_binder()
        self.steps.options = self._step_labels()
        self._show_modes()
        self.steps.value = None
        self.go_to("safety" if self.model is not None else "couple")
        return True

    def pause(self) -> None:
        """Hide everything on screen at once, for a disclosure or a break."""
        self.content_box.layout.display = "none"
        self.pause_button.layout.display = "none"
        self.paused.layout.display = ""

    def resume(self) -> None:
        self.paused.layout.display = "none"
        self.pause_button.layout.display = ""
        self.content_box.layout.display = ""

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
        try:
            self.start(self.existing.value, new_session=self.session_choice.value == "new")
        except (AnswerError, StoreError, ContentError) as exc:
            self.setup_status.value = error_html(str(exc))
            return
        self.go_to("safety")

    def _create(self) -> None:
        from ..responses import clean_name

        problems = []
        for field, where in ((self.name_a, "Partner A"), (self.name_b, "Partner B")):
            try:
                clean_name(field.value, f"{where}'s name")
            except AnswerError as exc:
                problems.append(str(exc))
        if problems:  # every field that needs fixing, not just the first
            self.setup_status.value = "".join(error_html(p) for p in problems)
            return
        try:
            couple = self.store.create_couple(self.name_a.value, self.name_b.value)
            info = self.store.new_session(couple.id, date=dt.date.today(),
                                          facilitator=self.facilitator.value)
        except (AnswerError, StoreError, ContentError) as exc:
            self.setup_status.value = error_html(str(exc))
            return
        self.name_a.value = self.name_b.value = ""
        self._refresh_couples()
        self.existing.value = couple.id
        self.start(couple.id, session=info.number)
        self.go_to("safety")

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
        lines.append(f"<li>Plan: {rows} row{'s' if rows != 1 else ''}; "
                     f"review date {esc(review)}</li>")
        text = f"<h3>Finishing the session</h3><ul>{''.join(lines)}</ul>"
        if self.mode == FACILITATOR:
            where = getattr(self.store, "data_dir", None)
            text += ("<p>Everything is already saved on this computer"
                     + (f", in <code>{esc(str(where))}</code>" if where else "")
                     + ". Nothing is sent anywhere.</p>"
                     "<p>To delete this couple's data for good, run "
                     f"<code>python -m toolkit delete {esc(self.model.couple_id)}</code> "
                     "in a terminal.</p>")
            buttons = [self.report_button, self.report_a_button, self.report_b_button,
                       self.facilitator_button, self.handout_button, self.homework_button,
                       self.homework_fillable_button, self.blank_button, self.fillable_button]
            self.report_a_button.description = f"{names['a']}'s copy"
            self.report_b_button.description = f"{names['b']}'s copy"
            extra: list[w.Widget] = [self.password]
        else:
            text += "<p>Everything you wrote today is saved on this computer.</p>"
            buttons = [self.report_button, self.handout_button, self.homework_button]
            extra = []
        card = w.VBox([w.HTML(text), w.HTML("<h3>Reports and worksheets</h3>"),
                       w.HBox(buttons, layout=w.Layout(flex_flow="row wrap")), *extra,
                       self.downloads])
        card.add_class("tk-card")
        return card

    def _build_exports(self) -> None:
        def button(label: str, icon: str, action: Callable[[], object], **kw: object) -> w.Button:
            b = w.Button(description=label, icon=icon, layout=w.Layout(width="auto"), **kw)
            b.on_click(lambda _: action())
            return b

        self.links: dict[str, str] = {}
        self.downloads = w.HTML()
        self.report_button = button("The couple's report", "file-pdf-o",
                                    lambda: self.export_report("couple"), button_style="primary",
                                    tooltip="Both profiles, shared notes only, the plan")
        self.report_a_button = button("Partner A's copy", "file-pdf-o",
                                      lambda: self.export_report("a"),
                                      tooltip="The couple's report plus this partner's own "
                                              "private notes")
        self.report_b_button = button("Partner B's copy", "file-pdf-o",
                                      lambda: self.export_report("b"),
                                      tooltip="The couple's report plus this partner's own "
                                              "private notes")
        self.facilitator_button = button("Facilitator's copy", "user-md",
                                         lambda: self.export_report("facilitator"),
                                         tooltip="Everything, with your notes and the safety "
                                                 "screen")
        self.handout_button = button("Handout: the four patterns", "book", self.export_handout)
        self.homework_button = button("Between-session sheet", "calendar",
                                      lambda: self.export_homework(fillable=False))
        self.homework_fillable_button = button("Between-session sheet (fillable)", "pencil",
                                               lambda: self.export_homework(fillable=True))
        self.blank_button = button("Print blank worksheets", "print",
                                   lambda: self.export_blank(fillable=False))
        self.fillable_button = button("Fillable worksheets", "pencil",
                                      lambda: self.export_blank(fillable=True))
        self.password = w.Password(
            description="Password:", placeholder="optional: every PDF made here needs it",
            style={"description_width": "initial"}, layout=w.Layout(width="420px"))

    def _show_binder(self) -> None:
        """On Binder, the facilitator's notice about downloading before leaving; it
        names a command, so it leaves the page in the couple's mode."""
        for child in self.binder.children:
            close_tree(child)
        show = on_binder() and self.mode == FACILITATOR
        self.binder.children = [self._binder_notice()] if show else []

    def _binder_notice(self) -> w.Widget:
        json_button = w.Button(description="Download answers (JSON)", icon="download",
                               layout=w.Layout(width="auto"))
        pdf_button = w.Button(description="Download PDF report", icon="file-pdf-o",
                              layout=w.Layout(width="auto"))
        json_button.on_click(lambda _: self.export_json(into_notice=True))
        pdf_button.on_click(lambda _: self.export_report(into_notice=True))
        self.binder_downloads = w.HTML()
        notice = w.VBox([
            w.HTML('<div class="tk-binder" role="alert"><b>This is a temporary online '
                   "session.</b> Everything typed here is deleted when this browser tab closes "
                   "or sits idle. Before you leave, download the couple's answers (to import "
                   "later with <code>python -m toolkit import</code>) and the PDF report.</div>"),
            w.HBox([json_button, pdf_button]), self.binder_downloads,
        ])
        notice.add_class("tk-card")
        return notice

    def export_json(self, *, into_notice: bool = False) -> Path | None:
        """The couple's answers as an export file, offered for download (facilitator)."""
        import json

        from ..store.transfer import export_couple

        if self.model is None or self.mode != FACILITATOR:
            target = self.binder_downloads if into_notice else self.downloads
            target.value = error_html("Choose or create a couple first.")
            return None
        couple_id = self.model.couple_id
        data = json.dumps(export_couple(self.store, couple_id), ensure_ascii=False, indent=2)
        return self._offer(lambda: data.encode("utf-8"), f"{couple_id}.json",
                           mime="application/json", into_notice=into_notice)

    def export_handout(self) -> Path | None:
        from ..report import handout_pdf

        content = self.model.content if self.model is not None else self.store.content
        return self._offer(lambda: handout_pdf(content), "handout-four-patterns.pdf")  # no names

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

    def export_report(self, reader: str = "couple", *, into_notice: bool = False
                      ) -> Path | None:
        """Write a report for one reader into the data folder and offer it for
        download; with a password set, the PDF opens only with it."""
        from ..report import picture_dpi, session_report

        if self.model is None:
            self.downloads.value = error_html("Choose or create a couple first.")
            return None
        if reader != "couple" and self.mode != FACILITATOR:
            return None
        model = self.model
        info = model.info
        suffix = {"couple": "couple", "a": model.names()["a"], "b": model.names()["b"],
                  "facilitator": "facilitator"}[reader]
        name = f"{info.couple_id}-session-{info.number}-{suffix}.pdf"

        def make() -> bytes:
            return session_report(model.content, model.data, model.scores,
                                  picture=model.picture(dpi=picture_dpi()),
                                  since=model.since_last_time(), reader=reader)

        return self._offer(make, name, into_notice=into_notice)

    def export_blank(self, *, fillable: bool) -> Path | None:
        from ..report import blank_worksheets

        kind = "fillable-worksheets" if fillable else "worksheets-to-print"
        if self.model is None:
            content, names, name = self.store.content, None, f"blank-{kind}.pdf"
        else:
            content, names = self.model.content, self.model.names()
            name = f"{self.model.couple_id}-{kind}.pdf"
        return self._offer(lambda: blank_worksheets(content, fillable=fillable, names=names),
                           name)

    def _offer(self, make: Callable[[], bytes], name: str, mime: str = "application/pdf",
               *, into_notice: bool = False) -> Path | None:
        """Make a file, keep a private copy with the couple's data, and add a download
        link beside the ones made earlier on this step. With a password set (facilitator),
        every PDF made here opens only with it."""
        password = self.password.value if (self.mode == FACILITATOR
                                           and mime == "application/pdf") else ""
        if password:
            from ..report import encrypt_pdf

            plain = make

            def make() -> bytes:
                return encrypt_pdf(plain(), password)

        import base64
        import warnings

        from ..files import FileWriteError, write_private
        from ..textsafe import MissingGlyphsWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MissingGlyphsWarning)
            try:
                data = make()
            except (OSError, ValueError, StoreError, ContentError) as exc:
                self.downloads.value = error_html(f"The file could not be made: {exc}")
                return None
        path = None
        note = ""
        reports_dir = getattr(self.store, "reports_dir", None)
        if reports_dir is not None and self.model is not None:
            try:
                path = write_private(data, reports_dir(self.model.couple_id) / name,
                                     overwrite=True)
            except (FileWriteError, OSError) as exc:
                note = error_html(f"The file was made but no copy was kept: {exc}")
        warnings_html = "".join(error_html(str(x.message)) for x in caught
                                if issubclass(x.category, MissingGlyphsWarning))
        link = (f'<a download="{esc(name)}" href="data:{mime};base64,'
                f'{base64.b64encode(data).decode("ascii")}" class="tk-download">'
                f"Download {esc(name)}</a> ({max(1, len(data) // 1024)} KB)")
        if into_notice:
            self.binder_downloads.value = f"<p>{link}</p>{note}{warnings_html}"
            return path
        self.links[name] = f"<li>{link}</li>"
        saved = ""
        if path is not None and self.mode == FACILITATOR:
            saved = (f"<p class='tk-muted'>Copies are kept with the couple's data, in "
                     f"<code>{esc(str(path.parent))}</code>.</p>")
        self.downloads.value = (f"<ul class='tk-links'>{''.join(self.links.values())}</ul>"
                                f"{saved}{note}{warnings_html}")
        return path
