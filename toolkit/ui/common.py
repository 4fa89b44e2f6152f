"""What every view shares: opening a session model, escaping and the stylesheet.

Views are thin: they show what the session model holds, forward each change
to it (``SessionModel.save``), and redraw when it tells them something
changed. No scoring and no file handling lives here.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable

import ipywidgets as w

from ..demo import ensure_demo
from ..session import Change, SessionModel
from ..store import Store

__all__ = ["SaveStatus", "View", "after_pending_input", "close_tree", "error_html", "esc",
           "open_session", "stylesheet"]


def close_tree(widget: w.Widget) -> None:
    """Close a widget and everything inside it, so none of its values stays in the
    browser's widget state (closing only hides nothing: it forgets)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    widget.close()


def esc(text: str) -> str:
    """User or content text for an HTML widget: shown literally, never as markup.

    Dollar signs are wrapped so the notebook's math typesetting leaves them alone.
    """
    escaped = html.escape(text, quote=True).replace("\n", "<br>")
    return escaped.replace("$", '<span class="tex2jax_ignore mathjax_ignore">&#36;</span>')


def error_html(message: str) -> str:
    """A message saying what was not saved and why, shown next to the field."""
    return f'<div class="tk-status tk-error" role="alert">{esc(message)}</div>'


def open_session(
    couple_id: str, *, session: int | None = None, data_dir: str | os.PathLike[str] | None = None
) -> SessionModel:
    """A couple's session for the single-worksheet notebooks (latest unless numbered).

    Demo couples are added on first use, so the notebooks run on a fresh machine.
    """
    store = Store(data_dir)
    ensure_demo(store, couple_id)
    if not store.sessions(couple_id):
        store.new_session(couple_id)
    return SessionModel.open(store, couple_id, session)


def after_pending_input(action: Callable[[], None], delay: float = 0.3) -> None:
    """Run ``action`` once field updates still on their way have arrived.

    The browser holds back a text field's later keystrokes until the kernel
    has answered the first one, but sends a button click at once: a name typed
    just before "Create" could arrive after the click. In a running kernel the
    action waits a moment; without an event loop (tests, scripts) it runs now.
    """
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        action()
        return
    loop.call_later(delay, action)


class SaveStatus:
    """Where a view says what was not saved. A value the store could not keep (busy,
    disk full, store gone) stays on screen with a button to try again: nothing typed is
    dropped because the disk was briefly unavailable."""

    def __init__(self) -> None:
        self.html = w.HTML()
        self.retry_button = w.Button(description="Try saving again", icon="refresh",
                                     layout=w.Layout(width="auto", display="none"))
        self.retry_button.on_click(lambda _: self._retry_now())
        self._retry: Callable[[], None] | None = None
        self.widget = w.VBox([self.html, self.retry_button])

    @property
    def value(self) -> str:
        return self.html.value

    @value.setter
    def value(self, html: str) -> None:
        self.html.value = html
        if not html:
            self.clear()

    def clear(self) -> None:
        self.html.value = ""
        self._retry = None
        self.retry_button.layout.display = "none"

    def failed(self, message: str, retry: Callable[[], None] | None = None) -> None:
        self.html.value = error_html(message)
        self._retry = retry
        self.retry_button.layout.display = "" if retry is not None else "none"

    def _retry_now(self) -> None:
        if self._retry is not None:
            self._retry()


class View:
    """Shows itself in a notebook cell: a view's last line is enough.

    A view listens to its session model; ``close`` stops listening, so a view
    that is no longer shown costs nothing.
    """

    widget: w.Widget
    _unsubscribe: Callable[[], None] | None = None

    def listen(self, model: SessionModel, callback: Callable[[Change], None]) -> None:
        self._unsubscribe = model.subscribe(callback)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def describe(self) -> str:
        """One line saying what the view shows: the notebook's text in place of the
        widgets wherever they cannot be drawn (a saved notebook before it is run, a
        text-only viewer), and what the notebooks' checked cells compare."""
        return type(self).__name__

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle[0]["text/plain"] = self.describe()
        elif isinstance(bundle, dict):
            bundle["text/plain"] = self.describe()
        return bundle


_CSS = """
<style>
.tk-app { max-width: 1180px; font-size: 14px; line-height: 1.45; }
.tk-app code { white-space: nowrap; }
.tk-options { column-gap: 28px; row-gap: 2px; }
/* In the presentation view the way back sits in the picture's empty top-left corner,
   so the picture can have the whole height of the screen. */
.tk-presenting .tk-exit { position: absolute; top: 10px; left: 16px; z-index: 2;
    font-size: 16px; height: 36px; padding: 0 14px; }
.tk-app.tk-presenting:fullscreen { position: fixed; }
.tk-app .widget-html-content { line-height: 1.45; font-size: 14px; white-space: normal; }
.tk-app .widget-html { margin-top: 0; margin-bottom: 0; }
.tk-app p { margin: 0 0 8px 0; }
.tk-app ul { margin: 4px 0 8px 0; padding-left: 22px; }
.tk-card { border: 1px solid #d6d6d6; border-radius: 8px; padding: 10px 14px 8px 14px;
           margin: 0 0 12px 0; background: #ffffff; }
.tk-card h3, .tk-app h2, .tk-app h3 { margin: 2px 0 6px 0; }
.tk-app h2 { font-size: 20px; }
.tk-card h3 { font-size: 16px; }
.tk-intro { color: #333; margin: 0 0 10px 0; max-width: 900px; }
.tk-muted { color: #5f5f5f; font-size: 13px; }
.tk-statements { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 14px;
                 margin: 4px 0 4px 0; }
.tk-statements div { white-space: normal; overflow-wrap: anywhere; }
.tk-pole { font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .03em;
           color: #555; display: block; margin-bottom: 2px; }
/* The slider's track is inset by half a mark's width on each side, so each mark
   below sits centred under the point where the handle lands for it. */
.tk-app .tk-scale { padding: 0; margin: 6px 0 0 0; }
.tk-app .tk-scale .widget-label { display: none; }
.tk-app .tk-scale .slider-container { margin: 0 calc(100% / 14) !important;
                                      flex: 1 1 auto; }
/* A taller invisible band around the 4 px track: clicks near it still land. */
.tk-app .tk-scale .noUi-base::before { content: ""; position: absolute; left: 0; right: 0;
                                       top: -14px; bottom: -14px; }
.tk-app .tk-scale .noUi-handle { cursor: grab; }
.tk-ticks { width: 100%; margin: 0; }
.tk-app .tk-ticks > div { display: grid; grid-template-columns: repeat(7, 1fr); width: 100%; }
.tk-app .tk-ticks .widget-toggle-button { width: min(100% - 6px, 64px) !important;
    justify-self: center; min-width: 0; margin: 0;
    padding: 0; height: 28px; font-size: 13px; background: #f4f4f4; color: #333;
    border: 1px solid #d0d0d0; }
.tk-answer { font-weight: 600; white-space: normal; }
.tk-unanswered-text { color: #6b6b6b; font-style: italic; }
.tk-unanswered .noUi-handle, .tk-unanswered .noUi-connect { background: #ffffff !important;
           border: 2px dashed #8a8a8a !important; }
.tk-status { padding: 4px 8px; border-radius: 4px; margin: 4px 0; white-space: normal;
             overflow-wrap: anywhere; }
.tk-error { background: #fde8e8; color: #8a1c1c; }
.tk-binder { background: #fff4d6; border-left: 5px solid #c98a00; padding: 10px 14px;
             margin-bottom: 8px; }
.tk-download, .tk-download:visited { font-weight: 600; color: #0057a3 !important;
                                      text-decoration: underline !important; }
.tk-hidden-note { background: #f4f4f4; padding: 14px; border-radius: 8px; margin-bottom: 8px; }
.tk-safe { background: #e8f4ec; border-left: 4px solid #2e7d4f; padding: 8px 12px;
           margin: 4px 0; }
.tk-paused { background: #f4f4f4; padding: 48px 24px; border-radius: 8px; text-align: center; }
.tk-app .tk-quiet { background: transparent; color: #555; border: 1px solid #c8c8c8; }
.tk-links { margin: 6px 0; padding-left: 20px; }
.tk-gap { margin: 0 0 12px 0; }
.tk-gap ul { margin: 2px 0 4px 0; }
.tk-facilitator { background: #eef3f8; border-left: 4px solid #0072B2; padding: 6px 10px;
                  margin-top: 6px; }
.tk-pattern { background: #fff7e0; border-left: 4px solid #c98a00; padding: 8px 12px;
              margin: 0 0 12px 0; }
.tk-table { border-collapse: collapse; margin: 6px 0; }
.tk-table th, .tk-table td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left;
                             vertical-align: top; white-space: normal;
                             overflow-wrap: break-word; }
.tk-steps .widget-toggle-button { width: auto; min-width: 0; padding: 0 14px;
                                  margin-bottom: 4px; }
.tk-steps > div { display: flex; flex-wrap: wrap; }
/* A chosen step, answer or option must stand out on a projector: dark fill and
   white text, far above 3:1 against the pale buttons beside it. */
.tk-app .widget-toggle-button.mod-active, .tk-app .widget-toggle-button.mod-active:hover {
    background: #0b4f8a !important; color: #ffffff !important; border-color: #0b4f8a;
    box-shadow: none; font-weight: 600; }
.tk-app .widget-toggle-button { border: 1px solid #c4c4c4; }
/* Coloured buttons with white text at 4.5:1 or more. */
.tk-app .jupyter-button.mod-info { background: #00707d; color: #ffffff; }
.tk-app .jupyter-button.mod-primary { background: #1565c0; color: #ffffff; }
/* Fields labelled above themselves (the plan), full width, wrapping label text. */
.tk-app .tk-stacked { flex-direction: column; align-items: stretch; width: 100%;
                      margin: 0; }
.tk-app .tk-stacked > .widget-label { width: auto !important; max-width: none;
    text-align: left; font-weight: 600; line-height: 1.3; margin: 0 0 2px 0;
    white-space: normal; overflow: visible; height: auto; }
.tk-app .tk-stacked > select, .tk-app .tk-stacked > input,
.tk-app .tk-stacked > textarea { width: 100%; max-width: 100%; box-sizing: border-box; }
.tk-plan-row { border-bottom: 1px solid #e2e2e2; padding: 8px 0 6px 0; }
.tk-app .widget-checkbox { min-width: 0; }
.tk-app .widget-checkbox .widget-label-basic { white-space: normal; }
/* Writing boxes in the page's own font, growing with what is written. */
.tk-app textarea { font-family: inherit !important; font-size: 14px; line-height: 1.4;
                   field-sizing: content; min-height: 3.4em; max-height: 24em;
                   resize: vertical; }
.tk-app .widget-button, .tk-app .jupyter-button { overflow: visible; }
.tk-app .widget-button, .tk-app .jupyter-button, .tk-app .widget-toggle-button {
    text-overflow: clip; }
.tk-app .tk-picture { display: block; max-width: 100%; }
/* The presentation view: the picture alone, full screen where the browser allows,
   else over the whole page (Voila; JupyterLab's panels keep it in the notebook). */
.tk-app.tk-presenting:fullscreen { max-width: none; width: 100%; height: 100%;
    margin: 0; padding: 8px 16px; background: #ffffff; overflow: auto; }
.tk-app.tk-presenting:not(:fullscreen):not(.jp-LabShell .tk-app) {
    position: fixed !important; inset: 0; z-index: 10000; max-width: none !important;
    width: auto !important; margin: 0 !important; padding: 8px 16px;
    background: #ffffff; overflow: auto; }
/* A widget set to the full width has no side margins, or it would stick out by them
   (and make its box scroll sideways). */
.tk-app .lm-Widget[style*="width: 100%"] { margin-left: 0 !important;
                                           margin-right: 0 !important; }
.tk-app .tk-fields { gap: 6px 12px; align-items: flex-start; }
.tk-app .tk-fields > .lm-Widget { margin: 0; }
.tk-app .tk-stacked > select { height: 30px; }
.tk-app .jupyter-widgets :focus-visible, .tk-app button:focus-visible,
.tk-app input:focus-visible, .tk-app textarea:focus-visible, .tk-app select:focus-visible,
.tk-app .noUi-handle:focus, .tk-app .noUi-handle:focus-visible {
    outline: 3px solid #0072B2 !important; outline-offset: 2px; }
.tk-app .widget-textarea textarea, .tk-app .widget-text input { font-size: 14px; }
</style>
"""


def stylesheet() -> w.HTML:
    """The toolkit's styles, as a widget to place once at the top of a view."""
    return w.HTML(_CSS, layout=w.Layout(height="0px", margin="0"))
