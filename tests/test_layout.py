"""The session in the room: a whole session walked with Next at a laptop's
1280x800 and a projector's 1024x768, in JupyterLab (file browser open) and in
Voila. On every step the layout is measured in the browser (element boxes against
the window and their containers), the new step must start at its top with its
heading focused, an axe-core audit must find nothing serious in the toolkit's own
widgets, and the pictures must be drawn large enough to read.

Every step's screenshot is saved under test-artifacts/layout/ for a person to look
at; they are part of what this test produces, pass or fail.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS
from tests.lab_server import STEP_HEADING_FOCUSED, jupyter_server, run_all_cells, voila_server

pytestmark = pytest.mark.browser

SIZES = [(1280, 800), (1024, 768)]
SHOTS = ARTIFACTS / "layout"

# Every box the toolkit draws, measured: wider than the window or than the
# toolkit's area, scrolling sideways, or text cut off inside a button or label.
LAYOUT = """() => {
  const problems = [];
  const shown = (el) => el.getClientRects().length > 0
      && getComputedStyle(el).visibility !== 'hidden';
  const name = (el) => `${el.tagName.toLowerCase()}.${String(el.className).trim()
      .split(/\\s+/).slice(-2).join('.')} "${(el.innerText || el.value || '').trim()
      .slice(0, 40)}"`;
  const width = document.documentElement.clientWidth;
  // the presentation view covers the window: it is then the toolkit's whole area
  const presenting = document.querySelector('.tk-presenting');
  const roots = presenting ? [presenting] : [...document.querySelectorAll('.tk-app')]
      .filter((a) => !a.parentElement.closest('.tk-app') && shown(a));
  if (!roots.length) problems.push('no toolkit area on screen');
  for (const root of roots) {
    // the area the toolkit is given: the notebook's output area, or Voila's page
    const area = (presenting ? root : root.closest('.jp-OutputArea-output') || root)
        .getBoundingClientRect();
    const limit = Math.min(width, area.right);
    if (root.getBoundingClientRect().right > limit + 1) {
      problems.push(`toolkit wider than its area: ${root.getBoundingClientRect().right}`
                    + ` > ${limit}`);
    }
    for (const el of root.querySelectorAll('*')) {
      if (!shown(el)) continue;
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      if (box.right > limit + 1 || box.left < area.left - 1) {
        problems.push(`outside the toolkit's area: ${name(el)} [${Math.round(box.left)},`
                      + ` ${Math.round(box.right)}] vs [${Math.round(area.left)},`
                      + ` ${Math.round(limit)}]`);
        continue;
      }
      const style = getComputedStyle(el);
      if (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1
          && el.tagName !== 'TEXTAREA' && el.tagName !== 'SELECT') {
        problems.push(`scrolls sideways: ${name(el)}`);
      }
      if (el.matches('button, .widget-label, .widget-label-basic, .widget-html-content')
          && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`text cut off: ${name(el)} (${el.scrollWidth} > ${el.clientWidth})`);
      }
    }
  }
  return problems;
}"""

# Where the keyboard is after a step change, and whether a person can see it.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: 'BODY'};
  const box = el.getBoundingClientRect();
  const x = box.left + Math.min(box.width / 2, 40), y = box.top + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  return {tag: el.tagName, text: (el.innerText || '').trim().slice(0, 80),
          inBody: !!el.closest('.tk-body'), top: box.top, bottom: box.bottom,
          seen: !!hit && (hit === el || el.contains(hit)), height: window.innerHeight};
}"""

# How large the pictures' labels are on screen: drawn at the size the picture
# reports (data-label-px), then shrunk or stretched by the browser to fit.
PICTURES = """() => [...document.querySelectorAll('img.tk-picture')]
  .filter((img) => img.getClientRects().length && img.naturalWidth)
  .map((img) => ({shown: Number(img.dataset.labelPx || 0)
                         * img.getBoundingClientRect().width / img.naturalWidth,
                  alt: img.getAttribute('alt') || ''}))"""

CONTRAST = """([a, b]) => {
  const rgb = (s) => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}"""


def layout_problems(page) -> list[str]:
    return page.evaluate(LAYOUT)


def contrast(page, first: str, second: str) -> float:
    return page.evaluate(CONTRAST, [first, second])


def audit(page) -> list[str]:
    """axe-core (bundled with axe-playwright-python, nothing fetched) over the
    toolkit's widgets: serious and critical violations only."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, context=".tk-app", options={"resultTypes": ["violations"]})
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:160]}"
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


def settle(page) -> None:
    """Wait until the kernel has answered and the page has stopped moving."""
    page.wait_for_timeout(150)
    page.wait_for_function("() => !document.querySelector('.jp-mod-busy')")
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => "
                  "requestAnimationFrame(r)))")


def check_picture_labels(page, at_least: float) -> None:
    with contextlib.suppress(Exception):  # reported below, with the sizes found
        page.wait_for_function(f"() => ({PICTURES})().some((p) => p.shown >= {at_least})",
                               timeout=15_000)
    pictures = page.evaluate(PICTURES)
    assert pictures, "no picture on screen"
    for picture in pictures:
        assert picture["shown"] >= at_least - 0.01, \
            f"picture labels {picture['shown']:.1f} px tall, not {at_least}"
        assert len(picture["alt"]) > 30, "the picture has no text alternative"


def step_heading_focused(page, label: str) -> dict:
    with contextlib.suppress(Exception):  # reported below, with what has the focus
        page.wait_for_function(STEP_HEADING_FOCUSED, timeout=20_000)
    focus = page.evaluate(FOCUS)
    assert focus["inBody"] and focus["tag"] in ("H2", "H3"), (label, focus)
    assert focus["top"] >= 0 and focus["bottom"] <= focus["height"], (label, focus)
    assert focus["seen"], f"{label}: the focused heading is covered or scrolled away"
    # the step tabs are in view too (not under JupyterLab's toolbar), where the page
    # is long enough to scroll them to the top
    tabs = page.evaluate("""() => [...document.querySelectorAll('.tk-steps button')].map((b) => {
        const r = b.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !!hit && b.contains(hit); })""")
    assert all(tabs), f"{label}: step tabs hidden: {tabs}"
    return focus


def demo_data(tmp_path: Path) -> Path:
    """A data folder holding the demo couples, for a server to open."""
    from toolkit.demo import seed_demos
    from toolkit.store import Store

    data = tmp_path / "data"
    with Store(data) as store:
        seed_demos(store)
    return data


def open_session(page, server, where: str) -> None:
    if where == "voila":
        page.goto(server.url)
    else:
        page.goto(server.lab("notebooks/01_couple_session.ipynb"))
        run_all_cells(page, "A new couple")
        browser_panel = page.locator(".jp-FileBrowser")
        if not browser_panel.is_visible():
            page.locator('[data-id="filebrowser"]').click()
        browser_panel.wait_for()
    page.get_by_text("A new couple").wait_for(timeout=60_000)
    page.locator(".tk-app select").first.select_option(label="Kim & Kevin  (demo-kim-kevin)")
    page.get_by_role("button", name="Open").click()
    page.get_by_text("Safety screen: for you only").wait_for()


def check_slider_clicks(page) -> None:
    """Clicks a little above and below the 4 px track, and on the marks under it,
    set the answer; each mark sits under the point the handle lands on."""
    card = page.locator(".tk-body .tk-card").filter(has=page.locator(".noUi-handle")).first
    card.scroll_into_view_if_needed()
    base = card.locator(".noUi-base").bounding_box()
    handle = card.locator(".noUi-handle")
    marks = card.locator(".tk-ticks button")
    def lands_on(position: int, how: str) -> None:
        """The handle moved there and the answer was saved (its words say so)."""
        words = f"{position:+d} ·" if position else "0 ·"
        for _ in range(50):
            if (handle.get_attribute("aria-valuenow") == f"{float(position)}"
                    and words in card.locator(".tk-answer").inner_text()):
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"{how}: the handle is at {handle.get_attribute('aria-valuenow')}"
                             f", not {position}")

    for position, dy in ((-2, -8), (2, 8), (-1, -6)):
        # the slider ignores a tap while the last one still animates (300 ms)
        page.wait_for_function("() => !document.querySelector('.noUi-state-tap')")
        base = card.locator(".noUi-base").bounding_box()
        x = base["x"] + (position + 3) / 6 * base["width"]
        page.mouse.click(x, base["y"] + base["height"] / 2 + dy)
        lands_on(position, f"a click {dy:+d} px from the track at {position:+d}")
    for index, position in ((5, 2), (3, 0), (0, -3)):
        mark = marks.nth(index)
        mark.click()
        lands_on(position, f"a click on the mark {position:+d}")
        page.wait_for_function("() => !document.querySelector('.noUi-state-tap')")
        settle(page)  # the handle has finished gliding to its place
        centre = mark.bounding_box()
        knob = handle.bounding_box()
        offset = (centre["x"] + centre["width"] / 2) - (knob["x"] + knob["width"] / 2)
        assert abs(offset) <= 2, f"the mark {position:+d} sits {offset:.1f} px from the handle"
        chosen = mark.evaluate("b => getComputedStyle(b).backgroundColor")
        other = marks.nth(6 - index if index != 3 else 4).evaluate(
            "b => getComputedStyle(b).backgroundColor")
        assert contrast(page, chosen, other) >= 3, "the chosen mark does not stand out"
    assert card.locator(".noUi-handle").get_attribute("aria-label")  # named for screen readers


def check_textareas(page) -> None:
    box = page.locator(".tk-body textarea").first
    box.scroll_into_view_if_needed()
    box.fill("A longer note that runs over several lines, " * 6)
    settle(page)
    sizes = box.evaluate("t => [t.scrollHeight, t.clientHeight, getComputedStyle(t).fontFamily]")
    assert sizes[0] <= sizes[1] + 2, "the box did not grow with its text"
    assert "monospace" not in sizes[2].lower()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("where", ["voila", "jupyterlab"])
def test_every_step_fits_reads_and_passes_the_audit(page, tmp_path, where, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    data = demo_data(tmp_path)
    server_for = {"voila": lambda: voila_server("notebooks/01_couple_session.ipynb",
                                                data_dir=data),
                  "jupyterlab": lambda: jupyter_server(data_dir=data)}[where]
    SHOTS.mkdir(parents=True, exist_ok=True)
    findings: list[str] = []
    with server_for() as server:
        open_session(page, server, where)
        labels = page.locator(".tk-steps button").all_inner_texts()
        assert len(labels) == 9
        for number, label in enumerate(labels, start=1):
            if number > 1:
                # Next from the bottom of the last step, as a facilitator would press it
                page.get_by_role("button", name="Next").scroll_into_view_if_needed()
                page.get_by_role("button", name="Next").click()
            else:
                page.locator(".tk-steps button", has_text=label).click()
            page.locator(".tk-steps button.mod-active", has_text=label).wait_for()
            settle(page)
            step_heading_focused(page, label)
            if "Profiles" in label or "Progress" in label:
                page.locator(".tk-body button", has_text="Reveal").click()
                page.locator(".tk-body img.tk-picture").wait_for()
                settle(page)
                check_picture_labels(page, 12)
                step_heading_focused(page, f"{label} revealed")
            if label.endswith("Kim"):
                check_slider_clicks(page)
            if "Plan" in label:
                check_textareas(page)
            settle(page)
            slug = re.sub(r"\W+", "-", label.split(" ", 1)[1]).strip("-").lower()
            shot = SHOTS / f"{where}-{width}x{height}-{number}-{slug}.png"
            page.screenshot(path=shot, full_page=True)
            assert shot.stat().st_size > 10_000
            findings += [f"{label}: {p}" for p in layout_problems(page)]
            findings += [f"{label}: axe {p}" for p in audit(page)]

        # the current step stands out from the others: 3:1 at least
        active = page.locator(".tk-steps button.mod-active")
        other = page.locator(".tk-steps button:not(.mod-active)").first
        assert contrast(page, active.evaluate("b => getComputedStyle(b).backgroundColor"),
                        other.evaluate("b => getComputedStyle(b).backgroundColor")) >= 3

        # focus shows, against the page, at 3:1 at least
        page.get_by_role("button", name="Back").focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineColor")
        assert contrast(page, ring, "rgb(255, 255, 255)") >= 3

        # the presentation view: P opens it, the picture alone and large; Escape closes it
        page.locator(".tk-steps button", has_text="Profiles").click()
        page.get_by_role("button", name="Hide again").wait_for()  # still revealed from before
        page.locator(".tk-body img.tk-picture").wait_for()
        settle(page)
        page.locator(".tk-body h2").first.click()  # somewhere that is not a text field
        page.keyboard.press("p")
        page.get_by_role("button", name="Back to the session").wait_for()
        settle(page)
        page.wait_for_function("() => [...document.querySelectorAll('img.tk-picture')]"
                               ".some((i) => i.naturalWidth && i.getClientRects().length)")
        assert not page.locator(".tk-steps").is_visible()
        assert not page.get_by_text("Where you differ most").is_visible()
        # drawn again for the whole screen once the browser has made room for it
        page.wait_for_function(
            "w => [...document.querySelectorAll('img.tk-picture')].some("
            "(i) => i.getClientRects().length && i.naturalWidth >= w)", arg=width - 80)
        settle(page)
        check_picture_labels(page, 20)
        page.wait_for_function("() => document.activeElement"
                               " && document.activeElement.innerText.includes('Back to the')")
        box = page.locator(".tk-presenting").bounding_box()  # the whole window
        assert box["x"] <= 1 and box["y"] <= 1 and box["width"] >= width - 20
        page.screenshot(path=SHOTS / f"{where}-{width}x{height}-presenting.png")
        findings += [f"presenting: {p}" for p in layout_problems(page)]
        page.keyboard.press("Escape")
        page.locator(".tk-steps").wait_for()
        page.get_by_text("Where you differ most").wait_for()
        assert page.dialogs == []
    assert not findings, "\n".join(findings)


def test_a_step_drawn_late_still_gets_its_heading_focused(page, tmp_path):
    """On a busy machine the new step's widgets can reach the page well after the
    kernel asked for the focus. Held back here for 1.5 s: the heading that gets
    the focus must still be the new step's, not the old step's or the app's title."""
    data = demo_data(tmp_path)
    held: list[tuple[object, str | bytes]] = []
    hold = [False]

    def route(ws) -> None:
        server = ws.connect_to_server()

        def down(message: str | bytes) -> None:
            raw = message if isinstance(message, bytes) else message.encode()
            if hold[0] and b"comm_msg" in raw and b'"children"' in raw:
                held.append((ws, message))  # a box's new contents: later
            else:
                ws.send(message)

        server.on_message(down)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.route_web_socket(re.compile(r".*/channels.*"), route)
    with voila_server("notebooks/01_couple_session.ipynb", data_dir=data) as server:
        open_session(page, server, "voila")
        settle(page)
        hold[0] = True
        page.get_by_role("button", name="Next").click()
        page.locator(".tk-steps button.mod-active", has_text="Kim").wait_for()
        for _ in range(200):
            if held:
                break
            page.wait_for_timeout(50)
        page.wait_for_timeout(1500)
        assert held, "no step contents were held back"
        assert not page.get_by_text("Independence spectrum").first.is_visible()
        while held:  # in order; anything arriving meanwhile waits its turn
            ws, message = held.pop(0)
            ws.send(message)
        hold[0] = False
        page.get_by_text("Independence spectrum").first.wait_for()
        settle(page)
        focus = step_heading_focused(page, "Kim, drawn late")
        assert "Independence spectrum" in focus["text"], focus
