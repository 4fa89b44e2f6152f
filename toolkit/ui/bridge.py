"""What the session app needs from the page itself: where the top of a new step is,
how wide the app is, and one key for the presentation view.

ipywidgets cannot scroll, focus or measure; this small widget (anywidget: its
script ships inside the Python package, nothing is fetched) does, for both
JupyterLab and Voila. It renders nothing visible.
"""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets

__all__ = ["PageBridge"]

_ESM = """
function app(el) {
  return el.closest('.tk-app') || el.parentElement;
}

function shown(node) {
  return !!node && document.body.contains(node) && node.getClientRects().length > 0;
}

// Sliders drawn by ipywidgets give their handle no accessible name, and Image
// widgets have no alt text: each of the toolkit's scales names its handle after its
// (visually hidden) description, and a picture gets the text the view gives it.
function nameThings(root, alt, labelPx) {
  root.querySelectorAll('img.tk-picture').forEach((img) => {
    if (alt && img.getAttribute('alt') !== alt) img.setAttribute('alt', alt);
    if (labelPx && img.dataset.labelPx !== String(labelPx)) img.dataset.labelPx = labelPx;
  });
  root.querySelectorAll('.tk-scale').forEach((scale) => {
    const label = scale.querySelector('.widget-label');
    const handle = scale.querySelector('.noUi-handle');
    const name = label ? label.textContent.trim() : '';
    if (handle && name && handle.getAttribute('aria-label') !== name) {
      handle.setAttribute('aria-label', name);
    }
  });
}

export default {
  render({ model, el }) {
    el.classList.add('tk-bridge');
    let pending = false;
    const names = new MutationObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        const a = app(el);
        if (a) nameThings(a, model.get('picture_alt'), model.get('picture_label_px'));
      });
    });
    requestAnimationFrame(() => {
      const a = app(el);
      if (!a) return;
      nameThings(a, model.get('picture_alt'), model.get('picture_label_px'));
      names.observe(a, { childList: true, subtree: true });
    });
    model.on('change:picture_label_px change:picture_alt', () => {
      const a = app(el);
      if (a) nameThings(a, model.get('picture_alt'), model.get('picture_label_px'));
    });
    // Report the width the app gets (and the window's size), so pictures are
    // drawn for the space they are shown in.
    const report = (width) => {
      const height = Math.round(window.innerHeight);
      if (width > 0 && (Math.abs(width - model.get('width')) >= 8
                        || Math.abs(height - model.get('viewport_height')) >= 40)) {
        model.set('width', width);
        model.set('viewport_height', height);
        model.save_changes();
      }
    };
    const observer = new ResizeObserver((entries) => {
      report(Math.floor(entries[0].contentRect.width));
    });
    if (model.get('measure')) {
      requestAnimationFrame(() => { const a = app(el); if (a) observer.observe(a); });
    }

    // A new step starts at its top, with its heading focused (keyboard users too).
    // The new step is drawn a little after the kernel asks (longer on a busy machine;
    // until then the old step, or no step, is on the page). So this waits for a
    // heading that was not there before. If none comes soon, the best heading there
    // is takes the focus meanwhile and hands it on when the new one comes. Whoever
    // moves the focus themselves in the meantime keeps it where they put it.
    let waiting = null;
    const headingsIn = (a) => [...a.querySelectorAll('.tk-body h2, .tk-body h3'),
                               ...a.querySelectorAll('h2, h3')];
    const focusStep = () => {
      if (waiting) waiting();
      const a = app(el);
      if (!a) return;
      const before = new Set(headingsIn(a));
      const was = document.activeElement;
      const started = performance.now();
      let last = started;
      let frame = 0;
      let target = null;
      let final = false;
      const quiet = new MutationObserver(() => { last = performance.now(); });
      quiet.observe(a, { childList: true, subtree: true });
      const stop = () => { quiet.disconnect(); cancelAnimationFrame(frame); waiting = null; };
      waiting = stop;
      const tick = () => {
        const now = performance.now();
        const waited = now - started;
        if (waited > 8000) { stop(); return; }
        const active = document.activeElement;
        const idle = !active || active === document.body;
        const movedOn = target ? active !== target && (target.isConnected || !idle)
          : !idle && active !== was && a.contains(active);
        if (movedOn) { stop(); return; }
        const fresh = headingsIn(a).some((h) => shown(h) && !before.has(h));
        const due = target ? !target.isConnected || (!final && fresh)
          : fresh || (now - last >= 120 && waited >= 600) || waited >= 4000;
        if (due) {
          target = moveTo(a, before);
          if (!target) { stop(); return; }
          final = !before.has(target);
        }
        frame = requestAnimationFrame(tick);
      };
      frame = requestAnimationFrame(tick);
    };
    const moveTo = (a, before) => {
      if (!shown(a)) return null;
      // someone already at work in the new step keeps their place and focus
      const active = document.activeElement;
      const typing = 'input, textarea, select, [contenteditable], .noUi-handle';
      if (active && a.contains(active) && active.closest('.tk-body')
          && active.matches(typing)) return null;
      const headings = headingsIn(a).filter(shown);
      // the new step's own heading first; none shown (the presentation view): its
      // first button instead
      const heading = headings.find((h) => !before.has(h)) || headings[0]
        || [...a.querySelectorAll('button')].find(shown);
      // the step tabs of this app, or of the app this view sits in
      const outer = a.parentElement && a.parentElement.closest('.tk-app');
      const steps = [a, outer].filter(Boolean).map((x) => x.querySelector('.tk-steps'))
        .find(shown);
      const top = steps || a;
      // JupyterLab's notebook toolbar stays on top of the cells: land below it
      const panel = top.closest('.jp-NotebookPanel');
      const bar = panel && panel.querySelector('.jp-NotebookPanel-toolbar');
      top.style.scrollMarginTop = bar ? `${bar.offsetHeight + 8}px` : '4px';
      top.scrollIntoView({ block: 'start' });
      if (heading) {
        if (heading.tagName !== 'BUTTON') heading.setAttribute('tabindex', '-1');
        heading.focus({ preventScroll: true });
      }
      return heading || null;
    };
    model.on('change:focus_token', focusStep);

    // One key, P, enters and leaves the presentation view; Escape leaves it.
    const onKey = (event) => {
      if (!model.get('listen_keys') || !shown(app(el))) return;
      const t = event.target;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT'
                || t.isContentEditable)) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const presenting = model.get('presenting');
      if (event.key === 'p' || event.key === 'P' || (event.key === 'Escape' && presenting)) {
        event.preventDefault();
        event.stopPropagation();
        if (!presenting && (event.key === 'p' || event.key === 'P')) fullScreen();
        model.send({ key: event.key });
      }
    };

    // The presentation view fills the screen where the browser allows it (a key or
    // a click on Present asks, as browsers require); leaving full screen (Escape)
    // leaves the presentation view too.
    const fullScreen = () => {
      const a = app(el);
      if (a && a.requestFullscreen && !document.fullscreenElement) {
        a.requestFullscreen().catch(() => {});
      }
    };
    const onClick = (event) => {
      const button = event.target && event.target.closest && event.target.closest('.tk-present');
      if (button && app(el) && app(el).contains(button)) fullScreen();
    };
    document.addEventListener('click', onClick, true);
    const onFullScreen = () => {
      if (!document.fullscreenElement && model.get('presenting')) {
        model.send({ key: 'Escape' });
      }
    };
    document.addEventListener('fullscreenchange', onFullScreen);
    model.on('change:presenting', () => {
      const a = app(el);
      if (!model.get('presenting') && a && document.fullscreenElement === a) {
        document.exitFullscreen().catch(() => {});
      }
    });
    document.addEventListener('keydown', onKey, true);
    return () => {
      if (waiting) waiting();
      observer.disconnect();
      names.disconnect();
      document.removeEventListener('keydown', onKey, true);
      document.removeEventListener('click', onClick, true);
      document.removeEventListener('fullscreenchange', onFullScreen);
    };
  },
};
"""

_CSS = """
.tk-bridge { display: none; }
"""


class PageBridge(anywidget.AnyWidget):
    """Scrolls and focuses a new step, reports the app's width, and passes on the
    presentation key."""

    _esm = _ESM
    _css = _CSS
    width = traitlets.Int(0).tag(sync=True)
    viewport_height = traitlets.Int(0).tag(sync=True)
    measure = traitlets.Bool(True).tag(sync=True)
    listen_keys = traitlets.Bool(False).tag(sync=True)
    picture_alt = traitlets.Unicode("").tag(sync=True)
    picture_label_px = traitlets.Float(0).tag(sync=True)
    focus_token = traitlets.Int(0).tag(sync=True)
    presenting = traitlets.Bool(False).tag(sync=True)

    def __init__(self, on_key: Callable[[str], None] | None = None, *,
                 measure: bool = True) -> None:
        super().__init__(measure=measure, listen_keys=on_key is not None)
        self._on_key = on_key
        self.on_msg(self._message)

    def focus_step(self) -> None:
        """Bring the top of the step into view and focus its heading."""
        self.focus_token += 1

    def _message(self, _widget: object, content: dict, _buffers: object) -> None:
        if self._on_key is not None and isinstance(content, dict) and "key" in content:
            self._on_key(str(content["key"]))


class PictureView:
    """A revealed picture that fits the space it is shown in and has a
    presentation view: the picture alone, as large as the screen allows, with
    labels readable from across the room. P enters and leaves it, Escape leaves.

    Subclasses build ``self.image`` and call ``_init_picture``; they provide
    ``revealed``, ``refresh()`` and ``_show_parts(presenting)``.
    """

    revealed: bool
    image: object

    def _init_picture(self, what: str) -> None:
        import ipywidgets as w

        self.bridge = PageBridge(on_key=self._key)
        self.bridge.observe(lambda _: self._resized(), names=["width", "viewport_height"])
        self.present_button = w.Button(
            description="Present", icon="expand", layout=w.Layout(width="auto"),
            tooltip=f"Show the {what} alone, large enough to read from across the room "
                    "(key: P)")
        self.present_button.add_class("tk-present")
        self.present_button.on_click(lambda _: self.present())
        self.exit_button = w.Button(description="Back to the session", icon="compress",
                                    layout=w.Layout(width="auto"), tooltip="key: Escape")
        self.exit_button.add_class("tk-exit")
        self.exit_button.on_click(lambda _: self.stop_presenting())
        self.exit_button.layout.display = "none"
        self.presenting = False
        self._on_present: list[Callable[[bool], None]] = []

    def on_present(self, callback: Callable[[bool], None]) -> None:
        """Be told when the presentation view opens (True) or closes (False)."""
        self._on_present.append(callback)

    def _key(self, key: str) -> None:
        if key in ("p", "P"):
            if self.presenting:
                self.stop_presenting()
            else:
                self.present()
        elif key == "Escape":
            self.stop_presenting()

    def present(self) -> None:
        """The picture alone, as large as the screen allows (only once revealed)."""
        if not self.revealed or self.presenting:
            return
        self._set_presenting(True)

    def stop_presenting(self) -> None:
        if self.presenting:
            self._set_presenting(False)

    def _set_presenting(self, on: bool) -> None:
        self.presenting = on
        self.bridge.presenting = on
        # the view takes the whole window (JupyterLab's panels and Voila's page alike)
        widget = self.widget  # type: ignore[attr-defined]
        if on:
            widget.add_class("tk-presenting")
        else:
            widget.remove_class("tk-presenting")
        self.present_button.layout.display = "none" if on else ""
        self.exit_button.layout.display = "" if on else "none"
        self._show_parts(on)
        for callback in self._on_present:
            callback(on)
        self.refresh()
        self.bridge.focus_step()

    @property
    def shown_width(self) -> int:
        """The width the picture gets on screen (before the browser says, a default).
        The boxes around the picture take a few pixels of the view's width; drawing
        a little narrower than it keeps the picture at exactly its own size."""
        return max(360, self.bridge.width - 16) if self.bridge.width else 960

    @property
    def screen_height(self) -> int:
        return self.bridge.viewport_height or 768

    @property
    def presenting_height(self) -> int:
        """The height the presentation view's picture may take: the screen, less the
        view's padding (its way back sits over the picture's empty corner)."""
        return self.screen_height - 24

    def _resized(self) -> None:
        if self.revealed:
            self.refresh()

    def _show_png(self, data: bytes, width_px: float, label_px: float) -> None:
        """Show a frame at its own pixel size (never stretched, so labels keep the
        size they were drawn at), shrinking only if the space is narrower. The
        page is told how tall the labels were drawn, so their size on screen can
        be checked."""
        self.image.layout.max_width = f"{round(width_px)}px"
        self.bridge.picture_label_px = label_px
        self.image.value = data

    def refresh(self) -> None:  # pragma: no cover - provided by the view
        raise NotImplementedError

    def _show_parts(self, presenting: bool) -> None:  # pragma: no cover
        raise NotImplementedError
