"""A workshop of six couples, end to end, in Debian's Chromium: couples join on
phone-sized touch screens, each partner answers privately, the projector shows an
item only once five couples have answered it, a couple reveals and downloads its
report, the facilitator opens the next part and closes the workshop. Screenshots
are saved in test-artifacts/workshop/ for a person to look at."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import ARTIFACTS
from toolkit.store import Store
from toolkit.workshop import Workshops
from toolkit.workshop.server import WorkshopServer

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "workshop"
HOSTILE = "<img src=x onerror=alert(1)>"
PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 2}


def audit(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"resultTypes": ["violations"]})
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:160]}"
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


def fits(page) -> list[str]:
    """Anything wider than the phone's screen (a sideways scroll on a phone)."""
    return page.evaluate("""() => {
      const w = document.documentElement.clientWidth;
      return [...document.querySelectorAll('main *')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width && r.right > w + 1;
      }).slice(0, 5).map((el) => `${el.tagName}.${el.className} ${el.textContent.slice(0, 40)}`);
    }""")


def answer_spectrum(page, position_index: int) -> None:
    for fieldset in page.locator("fieldset.scale").all():
        option = fieldset.locator(".opt").nth(position_index)
        option.tap()
    page.get_by_text(re.compile(r"^13 of 13 answered$")).wait_for()


def test_a_workshop_of_six_couples_end_to_end(browser, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    store = Store(tmp_path / "data")
    Workshops(store).create("Evening workshop", "2026-12-03")
    hosts: set[str] = set()
    contexts = []

    def context(**options):
        ctx = browser.new_context(accept_downloads=True, **options)
        ctx.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
        contexts.append(ctx)
        return ctx

    try:
        with WorkshopServer(store, "Evening workshop", port=0) as server:
            projector = context(viewport={"width": 1024, "height": 768}).new_page()
            projector.goto(server.projector_url)
            projector.get_by_text("0 couples have joined.").wait_for()
            assert projector.locator(".strip.is-waiting").count() == 13

            phones = []
            for n in range(6):
                a_name = f"Noa{n} {HOSTILE}" if n == 0 else f"Ana{n}"
                b_name = f"סמי{n}" if n == 0 else f"Ben{n}"
                phone_a = context(**PHONE).new_page()
                phone_a.goto(server.url)
                if n == 0:
                    phone_a.screenshot(path=SHOTS / "phone-1-join.png")
                phone_a.get_by_label("Your name for today").fill(a_name)
                phone_a.get_by_label("Your partner's name for today").fill(b_name)
                phone_a.get_by_role("button", name="Join").tap()
                phone_a.get_by_role("heading", name=f"For {a_name} alone").wait_for()
                pair_link = phone_a.locator(".pair .link").inner_text()
                if n == 0:
                    phone_a.screenshot(path=SHOTS / "phone-2-joined.png")
                phone_b = context(**PHONE).new_page()
                phone_b.goto(pair_link)
                phone_b.get_by_role("button", name=f"I am {b_name}: open my page").tap()
                phone_b.get_by_role("heading", name=f"For {b_name} alone").wait_for()
                # the pairing link is used up: opening it again shows nothing of theirs
                other = context(**PHONE).new_page()
                other.goto(pair_link)
                assert other.get_by_text("This link does not open anything").count() == 1 or \
                    other.get_by_role("button").count() == 1
                other.close()
                answer_spectrum(phone_a, n % 7)
                answer_spectrum(phone_b, (n + 4) % 7)
                phones.append((phone_a, phone_b, a_name, b_name))
                if n == 3:  # four couples: the room is still too small to show
                    projector.get_by_text("4 couples have joined.").wait_for()
                    projector.wait_for_timeout(1500)
                    assert projector.locator(".strip.is-waiting").count() == 13
                    projector.screenshot(path=SHOTS / "projector-1-four-couples.png")
            # the fifth couple answered: every line appears, within two seconds of polling
            projector.wait_for_function(
                "() => document.querySelectorAll('.strip.is-waiting').length === 0",
                timeout=5000)
            projector.locator("#spread .spread").first.wait_for()
            projector.screenshot(path=SHOTS / "projector-2-room.png")
            projector.screenshot(path=SHOTS / "projector-3-room-full.png", full_page=True)
            room_text = projector.inner_text("body")
            for _, _, a_name, b_name in phones:
                assert a_name.split()[0] not in room_text and b_name not in room_text
            # every answer given is on the picture within the projector's next updates
            projector.wait_for_function(
                "() => document.querySelectorAll('.strip .dot').length === 12 * 13", timeout=3000)
            assert audit(projector) == []

            phone_a, phone_b, a_name, b_name = phones[0]
            assert HOSTILE in phone_a.inner_text("h1")  # shown literally, never run
            mine = phone_a.inner_text("body")
            assert not any(p[2] in mine or p[3] in mine for p in phones[1:])
            phone_a.screenshot(path=SHOTS / "phone-3-answered.png", full_page=True)
            assert fits(phone_a) == []
            assert audit(phone_a) == []

            # the facilitator opens the reveal for the room; the phones follow by themselves
            facilitator = context(viewport={"width": 1280, "height": 800}).new_page()
            facilitator.goto(server.facilitator_url)
            assert "Noa0" in facilitator.inner_text("table")
            facilitator.get_by_role("button", name="Open the reveal for the room").click()
            facilitator.get_by_role("button", name="Open Origins for the room").wait_for()
            facilitator.screenshot(path=SHOTS / "facilitator.png", full_page=True)
            assert audit(facilitator) == []
            # the reveal needs both
            phone_a.get_by_role("button", name="I'm ready to see our profiles").tap(
                timeout=10_000)
            phone_a.get_by_text(f"Waiting for {b_name} to tap reveal").wait_for()
            assert phone_a.locator("img.profile").count() == 0
            phone_b.get_by_role("button", name="I'm ready to see our profiles").tap()
            phone_b.locator("img.profile").wait_for()
            phone_a.locator("img.profile").wait_for(timeout=10_000)  # A's page follows
            phone_a.wait_for_function(
                "() => document.querySelector('img.profile').naturalWidth > 300")
            phone_a.locator("img.profile").scroll_into_view_if_needed()
            phone_a.screenshot(path=SHOTS / "phone-4-revealed.png")
            with phone_a.expect_download() as download:
                phone_a.get_by_role("link", name="Our report (PDF)").tap()
            saved = tmp_path / "report.pdf"
            download.value.save_as(saved)
            assert saved.read_bytes().startswith(b"%PDF")
            # another couple's phone still has no picture
            assert phones[1][0].locator("img.profile").count() == 0

            # the facilitator opens the origins for the room; phones follow by themselves
            facilitator.get_by_role("button", name="Open Origins for the room").click()
            phones[1][1].get_by_role("heading", name="Where the pattern came from").wait_for(
                timeout=10_000)
            phones[1][1].locator("textarea").first.fill("A note only for me")
            phones[1][1].locator("textarea").first.blur()
            phones[1][1].get_by_text("Saved.").wait_for()
            phones[1][0].reload()
            assert "A note only for me" not in phones[1][0].inner_text("body")

            facilitator.once("dialog", lambda dialog: dialog.accept())  # "cannot be undone"
            facilitator.get_by_role("button", name=re.compile("Close the workshop")).click()
            facilitator.get_by_text("The workshop is closed").wait_for()
            phone_a.get_by_text("This workshop has closed").wait_for(timeout=10_000)
            projector.get_by_text("This workshop has closed").wait_for(timeout=10_000)
            phone_a.screenshot(path=SHOTS / "phone-5-closed.png")
    finally:
        for ctx in contexts:
            ctx.close()
        store.close()
    foreign = {h for h in hosts if not h.startswith("127.0.0.1:")}
    assert not foreign, f"pages made requests to other hosts: {sorted(foreign)}"
