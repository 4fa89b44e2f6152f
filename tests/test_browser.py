"""What a person sees: the session in JupyterLab and in Voila, in Debian's
Chromium driven by Playwright. Screenshots of a failing test are saved in
test-artifacts/ for inspection."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS
from tests.lab_server import (
    STEP_HEADING_FOCUSED,
    jupyter_server,
    run_all_cells,
    voila_server,
)
from toolkit.content import load_content

pytestmark = pytest.mark.browser
HOSTILE = "<img src=x onerror=alert(1)>"


def answers_in(data_dir: Path) -> dict:
    """What the store holds for the session created last."""
    db = sqlite3.connect(data_dir / "sessions.sqlite3")
    try:
        rows = db.execute("SELECT partner, item, field, value FROM answers WHERE session_id = "
                          "(SELECT max(id) FROM sessions)").fetchall()
    finally:
        db.close()
    return {(p, i, f): v for p, i, f, v in rows}


def handle_of(page, title: str):
    """The slider handle of the item with this title on the visible partner page (each
    partner sees the items in their own shuffled order)."""
    card = page.locator(".tk-card").filter(
        has=page.locator("h3", has_text=re.compile(rf"^\d+\. {re.escape(title)}$")))
    return card.locator(".noUi-handle").first


def press_item(page, title: str, *keys: str) -> None:
    target = handle_of(page, title)
    target.focus()
    for key in keys:
        page.keyboard.press(key)


def shown_titles(page) -> list[str]:
    """Item titles in the order this partner's page shows them."""
    return [re.sub(r"^\d+\. ", "", t) for t in page.locator(".tk-card h3").all_inner_texts()
            if re.match(r"^\d+\. ", t)]


def handle(page, index: int):
    return page.locator(".noUi-handle").nth(index)


def press_on(page, index: int, *keys: str) -> None:
    target = handle(page, index)
    target.focus()
    for key in keys:
        page.keyboard.press(key)


def create_couple(page, a: str, b: str) -> None:
    page.get_by_placeholder("a pseudonym").first.fill(a)
    page.get_by_placeholder("a pseudonym").nth(1).fill(b)
    page.get_by_role("button", name="Create couple and start").click()
    page.get_by_text("Safety screen: for you only").wait_for()  # where a session starts
    page.get_by_role("button", name="Next").click()
    page.get_by_text("This part is for").wait_for()


def step(page, label: str) -> None:
    """Go to a step the way a person does, and wait until it has arrived: its tab is the
    current one and the focus has moved from the tab into the step (its heading, or its
    first button where it has no heading)."""
    from playwright.sync_api import TimeoutError as NotYet

    tab = page.locator(".tk-steps button", has_text=label)
    current = page.locator(".tk-steps button.mod-active, .tk-steps button[aria-current]",
                           has_text=label).first
    for attempt in range(3):  # a click landing while the step bar is redrawn is lost
        tab.click()
        try:
            current.wait_for(timeout=10_000)
            break
        except NotYet:
            if attempt == 2:
                raise
    page.wait_for_function(
        "() => { const el = document.activeElement;"
        " return el && el !== document.body && !el.closest('.tk-steps'); }")


def test_session_in_jupyterlab(page):
    with jupyter_server() as server:
        page.goto(server.lab("notebooks/01_couple_session.ipynb"))
        run_all_cells(page, "A new couple")
        create_couple(page, f"Noa {HOSTILE}", "Sami")
        page.get_by_text(f"Noa {HOSTILE} & Sami").wait_for()  # shown literally

        press_item(page, "Asking for help", "ArrowRight", "ArrowRight")
        press_item(page, "Sharing fears and feelings", "ArrowLeft")
        page.get_by_text("+2 · leans toward hyper-independence").wait_for()
        page.get_by_role("button", name="Next").click()
        page.get_by_text("This part is for Sami alone").wait_for()
        press_item(page, "Asking for help", "ArrowLeft", "ArrowLeft", "ArrowLeft")
        page.get_by_text("-3 · leans toward over-reliance").wait_for()

        step(page, "5 Profiles")
        assert not page.locator(".tk-app img").first.is_visible()
        page.get_by_role("button", name="Reveal both profiles").click()
        picture = page.locator(".tk-app img").first
        picture.wait_for()
        before = picture.get_attribute("src")
        assert before and before.startswith("blob:") or before.startswith("data:")
        page.get_by_text("at opposite ends").first.wait_for()

        step(page, "3 Noa")
        press_item(page, "Asking for help", "ArrowLeft")  # +2 -> +1
        page.get_by_text("+1 · near the middle").wait_for()
        step(page, "5 Profiles")
        page.get_by_role("button", name="Reveal both profiles").click()
        page.wait_for_function(
            "before => { const img = document.querySelector('.tk-app img');"
            " return img && img.src && img.src !== before; }", arg=before)

        step(page, "7 Origins")
        note = page.get_by_placeholder("Notes (saved as you type)").first
        note.fill(f"{HOSTILE} שלום")
        page.get_by_role("button", name="Quite a bit").first.click()

        step(page, "9 Finish")
        page.get_by_role("button", name="The couple's report").click()
        link = page.locator("a.tk-download").first
        link.wait_for()
        with page.expect_download() as download:
            link.click()
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 20_000

        saved = answers_in(server.data_dir)
        assert saved[("a", "asking_for_help", "position")] == "1"
        assert saved[("a", "sharing_feelings", "position")] == "-1"
        assert saved[("b", "asking_for_help", "position")] == "-3"
        assert HOSTILE in saved[("a", "past_hurts", "notes")]

        # restart the kernel, run again, reopen the couple: everything is back
        page.get_by_role("menuitem", name="Kernel", exact=True).click()
        page.get_by_role("menuitem", name=re.compile("Restart Kernel and Run All Cells")).click()
        page.get_by_role("button", name="Confirm Kernel Restart").click()
        page.get_by_text("A new couple").wait_for(timeout=60_000)
        # The widgets can render before the restarted kernel's channel is connected, and a
        # click in that moment is lost; opening the latest session twice is harmless.
        for _ in range(6):
            page.get_by_text("| Idle").wait_for(timeout=60_000)
            page.get_by_role("button", name="Open").click()
            try:
                page.get_by_text("Safety screen: for you only").wait_for(timeout=10_000)
                break
            except Exception:  # noqa: BLE001 (not connected yet: ask again)
                continue
        page.get_by_role("button", name="Next").click()
        page.get_by_text("This part is for").wait_for()
        assert handle_of(page, "Asking for help").get_attribute("aria-valuenow") == "1.0"
        assert handle_of(page, "Sharing fears and feelings").get_attribute(
            "aria-valuenow") == "-1.0"
        step(page, "7 Origins")
        restored = page.get_by_placeholder("Notes (saved as you type)").first.input_value()
        assert restored == f"{HOSTILE} שלום"
        assert page.dialogs == []  # the markup never ran


def test_session_in_voila(page):
    with voila_server("notebooks/01_couple_session.ipynb") as server:
        page.goto(server.url)
        page.get_by_text("A new couple").wait_for(timeout=60_000)
        body = page.inner_text("body")
        assert "from toolkit" not in body and "SessionApp()" not in body
        assert page.locator(".jp-InputArea-editor, .CodeMirror, .cm-editor").count() == 0
        create_couple(page, f"Ana {HOSTILE}", "Bo")
        page.get_by_text(f"Ana {HOSTILE} & Bo").wait_for()
        press_item(page, "Decisions that affect us both", "ArrowRight")
        page.get_by_text("+1 · near the middle").wait_for()
        step(page, "9 Finish")
        page.get_by_role("button", name="The couple's report").click()
        with page.expect_download() as download:
            page.locator("a.tk-download").first.click()
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        assert answers_in(server.data_dir)[("a", "decisions", "position")] == "1"
        assert page.dialogs == []


FOCUS_VISIBLE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    const ring = s.boxShadow && s.boxShadow !== 'none';
    return {tag: el.tagName, cls: String(el.className), text: el.innerText || el.value || '',
            placeholder: el.placeholder || '', visible: outline || ring,
            role: el.getAttribute('role') || '', ours: !!el.closest('.tk-app')};
}"""


def arrived(page, text: str) -> None:
    """A step reached by keyboard has arrived once its heading has the focus: that is
    where a keyboard user goes on from (Tab pressed before then starts elsewhere)."""
    page.get_by_text(text).first.wait_for()
    page.wait_for_function(STEP_HEADING_FOCUSED)


def tab_to(page, match, limit: int = 120) -> dict:
    """Press Tab until the focused element matches; every stop in the toolkit's
    own widgets must show focus (JupyterLab's toolbar styles its own)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_VISIBLE)
        if focused is None:
            continue
        if focused["ours"]:
            assert focused["visible"], f"focus is not visible on {focused}"
        if match(focused):
            return focused
    raise AssertionError("never reached the element by Tab")


@pytest.mark.parametrize("where", ["voila", "jupyterlab"])
def test_keyboard_only_worksheet(page, where):
    """Create a couple and answer partner A's whole spectrum with Tab, arrows and Enter."""
    server_for = {
        "voila": lambda: voila_server("notebooks/01_couple_session.ipynb"),
        "jupyterlab": jupyter_server,
    }
    with server_for[where]() as server:
        if where == "voila":
            page.goto(server.url)
            page.get_by_text("A new couple").wait_for(timeout=60_000)
        else:
            page.goto(server.lab("notebooks/01_couple_session.ipynb"))
            run_all_cells(page, "A new couple")  # the notebook is run from the menu
        page.locator("body").press("Escape")  # start from the page, no element clicked
        tab_to(page, lambda f: f["placeholder"] == "a pseudonym")
        page.keyboard.type("Kai")
        page.keyboard.press("Tab")
        page.keyboard.type("Lou")
        tab_to(page, lambda f: "Create couple" in f["text"])
        page.keyboard.press("Enter")
        arrived(page, "Safety screen: for you only")
        tab_to(page, lambda f: f["text"].strip() == "Next")
        page.keyboard.press("Enter")
        arrived(page, "This part is for")
        titles = shown_titles(page)  # Kai's own order
        moves = ["ArrowRight", "ArrowLeft"] * 6 + ["ArrowRight"]
        for key in moves:
            tab_to(page, lambda f: f["role"] == "slider")
            page.keyboard.press(key)
        page.get_by_text("13 of 13 answered; all answered").wait_for()
        tab_to(page, lambda f: f["text"].strip() == "Next")
        page.keyboard.press("Enter")
        page.get_by_text("This part is for Lou alone").wait_for()
        saved = answers_in(server.data_dir)
        ids = {item.title: item.id for item in load_content().spectrum.items}
        expected = {ids[t]: ("1" if key == "ArrowRight" else "-1")
                    for t, key in zip(titles, moves, strict=True)}
        assert {item: saved[("a", item, "position")] for item in expected} == expected
        assert sum(1 for key in saved if key[0] == "a") == 13


def test_follow_up_session_and_progress_in_voila(page, tmp_path):
    """A returning couple: a follow-up session shows last time's plan, and the progress
    chart changes as the partners answer."""
    from toolkit.demo import seed_demos
    from toolkit.store import Store

    data = tmp_path / "data"
    with Store(data) as store:
        seed_demos(store)
    with voila_server("notebooks/01_couple_session.ipynb", data_dir=data) as server:
        page.goto(server.url)
        page.get_by_text("A new couple").wait_for(timeout=60_000)
        page.locator("select").first.select_option(label="Kim & Kevin  (demo-kim-kevin)")
        page.get_by_label("Start a follow-up session today").check()
        page.get_by_role("button", name="Open").click()
        page.get_by_text("Safety screen: for you only").wait_for()
        page.get_by_role("button", name="Next").click()
        page.get_by_text("This part is for Kim alone").wait_for()
        page.get_by_text("Session 3,").wait_for()
        press_item(page, "Asking for help", "ArrowRight")
        press_item(page, "Sharing fears and feelings", "ArrowLeft")
        page.get_by_text("2 of 13 answered").wait_for()

        step(page, "8 Plan")
        page.get_by_text("From session 1: how did it go?").first.wait_for()
        assert page.get_by_text("From session 2: how did it go?").count() == 3
        assert page.locator("textarea").filter(has_text="").count() > 0
        ask = page.get_by_label("The small risk", exact=True).first
        assert ask.input_value() == "Ask Kevin to come with me to choose a present for my sister"

        step(page, "6 Progress")
        page.get_by_role("button", name="Reveal progress").click()
        picture = page.locator(".tk-app img").first
        picture.wait_for()
        page.get_by_text("3 sessions so far").wait_for()
        before = picture.get_attribute("src")
        step(page, "3 Kim")
        press_item(page, "Asking for help", "ArrowRight")  # +1 -> +2
        page.get_by_text("+2 · leans toward hyper-independence").first.wait_for()
        step(page, "6 Progress")
        page.get_by_role("button", name="Reveal progress").click()
        page.wait_for_function(
            "before => { const img = document.querySelector('.tk-app img');"
            " return img && img.src && img.src !== before; }", arg=before)
        saved = answers_in(server.data_dir)
        assert saved[("a", "asking_for_help", "position")] == "2"
        assert saved[("a", "sharing_feelings", "position")] == "-1"
        assert page.dialogs == []


def widget_state(page) -> str:
    """Every widget model the page's widget manager holds, as JSON text."""
    return page.evaluate(
        "async () => JSON.stringify(await window.jupyterapp._widgetManager.get_state())")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_couple_mode_in_voila_shows_nothing_of_anyone_else(page, tmp_path):
    """The facilitator opens a couple and hands over: the couple answer the safety screen in
    turn, then the joint steps; nothing about other couples, the facilitator's notes or the
    machine is in the page's text or its widget state, and no request leaves the machine."""
    from toolkit.demo import seed_demos
    from toolkit.store import Store

    data = tmp_path / "data"
    with Store(data) as store:
        seed_demos(store)
        other = store.create_couple("Zebulon", "Quillon")
        store.new_session(other.id)
        store.update_couple("demo-kim-kevin", notes="Facilitator-only remark about Kim")
    others = ("Zebulon", "Quillon", "Alison", "Brett", "Priya", "Leon", "demo-alison",
              "demo-priya", "demo-leon",
              "Facilitator-only remark", "python -m", str(data))
    with voila_server("notebooks/01_couple_session.ipynb", data_dir=data) as server:
        page.goto(server.url)
        page.get_by_text("A new couple").wait_for(timeout=60_000)
        page.locator("select").first.select_option(label="Kim & Kevin  (demo-kim-kevin)")
        page.get_by_label("Start a follow-up session today").check()
        page.get_by_role("button", name="Open").click()
        page.get_by_text("Safety screen: for you only").wait_for()
        assert "Zebulon" in widget_state(page)  # the facilitator's picker holds every couple
        page.get_by_placeholder("code to return (optional)").fill("2468")
        page.get_by_role("button", name="Hand over to the couple").click()
        page.get_by_text("Please hand the screen to").wait_for()
        shot(page, "privacy-1-hand-over")
        for partner, answer in (("Kim", "Never"), ("Kevin", "Never")):
            page.get_by_role("button", name=f"I am {partner}: start").click()
            page.get_by_text(f"{partner}: A few questions for you alone").wait_for()
            for group in page.locator(".tk-card .widget-radio-box").all():
                group.get_by_text(answer, exact=True).or_(
                    group.get_by_text("Yes", exact=True)).first.click()
            shot(page, f"privacy-2-screen-{partner.lower()}")
            page.get_by_role("button", name="Done: hide my answers").click()
        page.get_by_text("Please hand the screen back to the facilitator").wait_for()
        text, state = page.inner_text("body"), widget_state(page)
        for secret in others:
            assert secret not in text and secret not in state, secret
        assert "Never" not in text  # nobody's answers stay on screen
        assert "1 Couple" not in text and "Safety screen: for you only" not in text
        shot(page, "privacy-3-hand-back")

        page.get_by_role("button", name="Facilitator").click()
        page.get_by_placeholder("the code").fill("2468")
        page.get_by_role("button", name="Yes, I am the facilitator").click()
        page.get_by_text("No answer of concern").wait_for()
        shot(page, "privacy-4-facilitator-result")
        page.get_by_role("button", name="Hand over to the couple").click()
        page.get_by_text("This part is for Kim alone").wait_for()
        press_item(page, "Asking for help", "ArrowRight")
        step(page, "3 Kevin")  # the couple's steps start at 1 Safety: no couple picker
        press_item(page, "Asking for help", "ArrowLeft")
        step(page, "4 Profiles")
        page.get_by_role("button", name="Reveal both profiles").click()
        page.locator(".tk-app img").first.wait_for()
        assert not page.get_by_text("Show facilitator notes").is_visible()
        step(page, "6 Origins")
        page.get_by_text("Share this note with Kevin").first.wait_for()
        step(page, "8 Finish")
        assert page.get_by_role("button", name="Facilitator's copy").count() == 0
        page.get_by_role("button", name="The couple's report").click()
        page.locator("a.tk-download").first.wait_for()
        shot(page, "privacy-5-couple-finish")
        text, state = page.inner_text("body"), widget_state(page)
        for secret in others:
            assert secret not in text and secret not in state, secret
        assert page.dialogs == []


def test_an_answer_of_concern_locks_the_joint_steps_in_voila(page, tmp_path):
    from toolkit.store import Store

    data = tmp_path / "data"
    with Store(data) as store:
        couple = store.create_couple("Ana", "Bo")
        store.new_session(couple.id)
    with voila_server("notebooks/01_couple_session.ipynb", data_dir=data) as server:
        page.goto(server.url)
        page.get_by_text("A new couple").wait_for(timeout=60_000)
        page.get_by_role("button", name="Open").click()
        page.get_by_text("Safety screen: for you only").wait_for()
        page.get_by_role("button", name="Hand over to the couple").click()
        page.get_by_role("button", name="I am Ana: start").click()
        page.locator(".tk-card .widget-radio-box").nth(1).get_by_text("Often").click()
        page.get_by_role("button", name="Done: hide my answers").click()
        page.get_by_role("button", name="I am Bo: start").click()
        page.get_by_role("button", name="Done: hide my answers").click()
        page.get_by_text("Please hand the screen back to the facilitator").wait_for()
        # the couple cannot go on, and nothing says why
        page.locator(".tk-steps button", has_text="2 Ana").click()
        page.get_by_text("Please hand the screen back to the facilitator").first.wait_for()
        text = page.inner_text("body").lower()
        assert "concern" not in text and "paused" not in text and "often" not in text
        page.get_by_role("button", name="Facilitator").click()
        page.get_by_role("button", name="Yes, I am the facilitator").click()
        page.get_by_text("Joint exercises are not advised for now").wait_for()
        shot(page, "privacy-6-locked")
        page.locator(".tk-steps button", has_text="5 Profiles").click()  # locked: it stays
        page.get_by_text("Joint exercises are paused").wait_for()
        page.get_by_text("I have spoken with each partner on their own").click()
        page.get_by_text("Joint work is open again.").wait_for()
        step(page, "5 Profiles")
        page.get_by_role("button", name="Reveal both profiles").wait_for()
        page.get_by_role("button", name="Pause").click()
        page.get_by_text("Take whatever time you need.").wait_for()
        assert not page.get_by_text("Reveal both profiles").is_visible()
        page.get_by_role("button", name="Resume").click()
        page.get_by_role("button", name="Reveal both profiles").wait_for()
