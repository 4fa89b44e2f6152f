"""The workshop from a notebook: create one, serve it from this kernel, show its links.

The same server as ``python -m toolkit workshop serve``, run in a background
thread of the kernel, so a facilitator who works in JupyterLab needs no terminal.
"""

from __future__ import annotations

import datetime as dt
import os

import ipywidgets as w

from ..responses import AnswerError
from ..store import Store, StoreError
from ..workshop import Workshops
from .common import View, error_html, esc, stylesheet

__all__ = ["WorkshopPanel"]

LAPTOP, ROOM = "127.0.0.1", "0.0.0.0"


class WorkshopPanel(View):
    """Create a workshop, then start or stop serving it; the links to open appear here."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None,
                 store: Store | None = None) -> None:
        self.store = store if store is not None else Store(data_dir)
        self.workshops = Workshops(self.store)
        self.server = None
        self.name = w.Text(description="Name", placeholder="e.g. Spring workshop")
        self.date = w.Text(description="Date", value=dt.date.today().isoformat(),
                           placeholder="YYYY-MM-DD")
        self.create_button = w.Button(description="Create workshop", icon="plus")
        self.choose = w.Dropdown(description="Workshop")
        self.where = w.RadioButtons(
            options=[("This laptop only: to try it, or with the projector on this laptop",
                      LAPTOP),
                     ("The room's network: anyone on it can reach the join page", ROOM)],
            value=LAPTOP, layout=w.Layout(width="auto"))
        self.start_button = w.Button(description="Start serving", icon="play",
                                     button_style="primary")
        self.stop_button = w.Button(description="Stop serving", icon="stop")
        self.links = w.HTML()
        self.status = w.HTML()
        self.create_button.on_click(lambda _: self.create())
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.widget = w.VBox([
            stylesheet(),
            w.HTML("<h3>A new workshop</h3>"),
            w.HBox([self.name, self.date, self.create_button],
                   layout=w.Layout(flex_flow="row wrap")),
            w.HTML("<h3>Serve a workshop</h3>"),
            self.choose, self.where,
            w.HBox([self.start_button, self.stop_button]),
            self.status, self.links,
        ])
        self.widget.add_class("tk-app")
        self.refresh()

    def refresh(self) -> None:
        found = self.workshops.all()
        self.choose.options = [(f"{x.name} ({x.date}{', closed' if x.closed else ''})", x.id)
                               for x in found]
        serving = self.server is not None
        self.start_button.disabled = serving or not found
        self.stop_button.disabled = not serving
        self.choose.disabled = serving

    def create(self) -> None:
        try:
            made = self.workshops.create(self.name.value, self.date.value)
        except (AnswerError, StoreError) as exc:
            self.status.value = error_html(f"Not created: {exc}")
            return
        self.name.value = ""
        self.refresh()
        self.choose.value = made.id
        self.status.value = f"<p>Created <b>{esc(made.name)}</b> on {esc(made.date)}.</p>"

    def start(self) -> None:
        from ..workshop.pages import qr_svg
        from ..workshop.server import WorkshopServer

        if self.server is not None or self.choose.value is None:
            return
        try:
            try:
                server = WorkshopServer(self.store, self.choose.value, address=self.where.value)
            except OSError:  # the usual port is taken (another workshop): any free one
                server = WorkshopServer(self.store, self.choose.value, address=self.where.value,
                                        port=0)
            self.server = server.start()
        except (OSError, StoreError, AnswerError) as exc:
            self.status.value = error_html(f"Not started: {exc}")
            return
        shared = self.where.value == ROOM
        self.status.value = (
            "<p><b>Serving.</b> Anyone on this network can reach the join page; close the "
            "workshop at the end.</p>" if shared else
            "<p><b>Serving on this laptop only.</b> Phones cannot reach it.</p>")
        self.links.value = (
            f"{qr_svg(server.url, 'Join page, for the room')}"
            f'<p>Join page (for the room): <code>{esc(server.url)}</code></p>'
            f'<p><a href="{esc(server.projector_url)}" target="_blank" rel="noreferrer">'
            "Open the projector view</a> (on the shared screen) &middot; "
            f'<a href="{esc(server.facilitator_url)}" target="_blank" rel="noreferrer">'
            "Open the facilitator page</a> (yours alone)</p>")
        self.refresh()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.links.value = ""
        self.status.value = "<p>Stopped. Answers are saved; start again to carry on.</p>"
        self.refresh()

    def close(self) -> None:
        self.stop()
        super().close()

    def describe(self) -> str:
        count = len(self.choose.options)
        known = "none yet" if not count else f"{count}"
        serving = (f"serving {self.choose.label}" if self.server is not None
                   else "not serving")
        return f"Workshops: {known}; {serving}."
