"""Workshop mode without a browser: links, privacy between couples and partners, the
room's anonymous picture, closing and deleting, and the command line. The server
listens on 127.0.0.1 only, on a free port."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from toolkit.responses import AnswerKey
from toolkit.store import Store
from toolkit.workshop import K_MIN, WorkshopError, Workshops, room_picture
from toolkit.workshop.room import TOKEN_BYTES
from toolkit.workshop.server import WorkshopServer

HOSTILE = "<img src=x onerror=alert(1)>"


class Client:
    """Plain HTTP against the server, the way a phone's browser talks to it."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, str]:
        status, _, body = self.request("GET", path)
        return status, body.decode("utf-8", "replace")

    def form(self, path: str, fields: dict) -> tuple[int, dict, str]:
        status, headers, body = self.request(
            "POST", path, urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        return status, headers, body.decode("utf-8", "replace")

    def answer(self, token: str, **payload) -> tuple[int, dict]:
        status, _, body = self.request("POST", f"/p/{token}/answer", json.dumps(payload).encode(),
                                       {"Content-Type": "application/json"})
        return status, json.loads(body)

    def join(self, a: str, b: str) -> tuple[str, str]:
        """A couple joins; returns (A's token, B's token) as their phones would get them."""
        status, headers, _ = self.form("/join", {"a": a, "b": b})
        assert status == 303, status
        location = headers["Location"]
        token_a = re.match(r"p/([\w-]+)/\?pair=([\w-]+)$", location).group(1)
        pair = location.rsplit("=", 1)[1]
        status, headers, _ = self.form(f"/pair/{pair}/", {})
        assert status == 303
        token_b = re.search(r"p/([\w-]+)/$", headers["Location"]).group(1)
        return token_a, token_b


@pytest.fixture
def store(data_dir):
    with Store(data_dir) as s:
        yield s


@pytest.fixture
def served(store):
    Workshops(store).create("Spring workshop", "2026-12-01")
    with WorkshopServer(store, "Spring workshop", port=0, join_limit=100) as server:
        yield server, Client(server.url)


def answer_all(client: Client, token: str, spectrum, position: int = 1) -> None:
    for item in spectrum.items:
        status, body = client.answer(token, worksheet="spectrum", item=item.id,
                                     field="position", value=position)
        assert status == 200, body


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


# --- links ---------------------------------------------------------------------------

def test_links_carry_192_bit_tokens_and_the_file_keeps_only_digests(store, data_dir):
    workshops = Workshops(store)
    w = workshops.create("Evening")
    tokens = [workshops.facilitator_link(w.id), workshops.projector_link(w.id)]
    for n in range(5):
        _, a, pair = workshops.join(w.id, f"A{n}", f"B{n}")
        tokens += [a, pair, workshops.redeem_pair(pair)]
    assert TOKEN_BYTES * 8 >= 128
    assert all(len(t) >= 32 and re.fullmatch(r"[\w-]+", t) for t in tokens)
    assert len(set(tokens)) == len(tokens)
    raw = b"".join(p.read_bytes() for p in data_dir.glob("sessions.sqlite3*"))
    assert not any(t.encode() in raw for t in tokens)  # a stolen file opens nothing


def test_a_pairing_link_works_once_and_replaces_nothing_else(store):
    workshops = Workshops(store)
    w = workshops.create("Evening")
    member, token_a, pair = workshops.join(w.id, "Ana", "Ben")
    token_b = workshops.redeem_pair(pair)
    assert workshops.resolve(token_b).role == "b"
    with pytest.raises(WorkshopError, match="not valid"):
        workshops.redeem_pair(pair)
    assert workshops.resolve(token_a).couple_id == member.couple.id
    assert workshops.resolve(token_b).session_id == member.session_id


def test_a_lost_link_is_replaced_and_the_old_one_stops(store):
    workshops = Workshops(store)
    w = workshops.create("Evening")
    member, token_a, _ = workshops.join(w.id, "Ana", "Ben")
    fresh = workshops.new_partner_link(member.couple.id, "a")
    assert workshops.resolve(fresh).role == "a"
    with pytest.raises(WorkshopError, match="not valid"):
        workshops.resolve(token_a)


# --- the room's picture ------------------------------------------------------------------

def test_an_item_is_shown_only_once_five_couples_have_both_answered(content):
    first, second, third = content.spectrum.items[:3]
    both = lambda c, a, b: [(c, "a", a), (c, "b", b)]  # noqa: E731
    answers = {
        # four whole couples, and a fifth of whom only one partner has answered
        first.id: [x for n in range(4) for x in both(f"c{n}", -3, 0)] + [("c4", "a", 2)],
        second.id: (both("c0", -2, 2) + both("c1", 0, 0) + both("c2", 1, 1) + both("c3", 3, -1)
                    + both("c4", 0, 3)),
        third.id: [(f"c{n}", "a", 1) for n in range(9)],  # nine halves are not one couple
    }
    picture = room_picture(content, answers, couples_joined=6)
    strips = {s.item.id: s for s in picture.strips}
    assert K_MIN == 5
    assert strips[first.id].waiting and strips[first.id].counts == {}
    assert strips[third.id].waiting
    shown = strips[second.id]
    assert not shown.waiting and shown.couples == 5 and shown.people == 10
    assert shown.counts == {-3: 0, -2: 1, -1: 1, 0: 3, 1: 2, 2: 1, 3: 2}
    # the spread is the standard deviation of the ten positions, worked out by hand
    values = [-2, 2, 0, 0, 1, 1, 3, -1, 0, 3]
    mean = sum(values) / 10
    assert mean == 0.7
    assert shown.spread == pytest.approx((sum((v - mean) ** 2 for v in values) / 10) ** 0.5)
    assert [s.item.id for s in picture.most_spread] == [second.id]
    assert all(s.waiting for s in picture.strips[3:])


def test_the_most_spread_items_come_first_and_ties_keep_worksheet_order(content):
    items = content.spectrum.items

    def room(*positions):
        return [(f"c{n}", partner, p) for n, p in enumerate(positions) for partner in "ab"]

    answers = {items[0].id: room(0, 0, 0, 0, 0), items[1].id: room(-1, 1, 0, 0, 0),
               items[2].id: room(-3, 3, -3, 3, 0), items[3].id: room(-1, 1, 0, 0, 0)}
    picture = room_picture(content, answers, couples_joined=5)
    assert [s.item.id for s in picture.most_spread] == [items[2].id, items[1].id, items[3].id]


# --- pages and privacy -------------------------------------------------------------------

def test_twelve_couples_see_only_their_own(served, content):
    """With 12 couples joined, no link opens another couple's names, answers or PDF, by
    editing the URL or by replaying a request with another couple's details."""
    server, client = served
    couples = []
    for n in range(12):
        a, b = f"Alpha{n:02d}", f"{HOSTILE}Beta{n:02d}"
        couples.append((a, b, *client.join(a, b)))
    # every couple answers, so the projector has a room to show
    for n, (_, _, ta, tb) in enumerate(couples):
        answer_all(client, ta, content.spectrum, position=n % 7 - 3)
        answer_all(client, tb, content.spectrum, position=(n + 3) % 7 - 3)
        status, _ = client.answer(ta, worksheet="safety", item="fear", field="answer",
                                  value="never")
        assert status == 200

    for n, (a, b, ta, tb) in enumerate(couples):
        for token, _own in ((ta, a), (tb, b)):
            status, page = client.get(f"/p/{token}/")
            assert status == 200
            assert f"Alpha{n:02d}" in page
            others = [x for m, c in enumerate(couples) if m != n for x in c[:2]]
            assert not any(re.sub(r"<.*>", "", o) in page for o in others)
            assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
            for path in ("profile.png", "report.pdf", "my-report.pdf"):
                assert client.get(f"/p/{token}/{path}")[0] == 403  # nobody revealed yet
        # one character changed: nothing opens, and the answer is not saved anywhere
        for token in (ta, tb):
            wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
            assert client.get(f"/p/{wrong}/")[0] == 404
            assert client.answer(wrong, worksheet="spectrum", item="asking_for_help",
                                 field="position", value=3)[0] == 404

    # a replayed request naming another partner or couple still writes only the sender's
    _, _, ta0, _ = couples[0]
    store = server.room.store
    member1 = Workshops(store).members(server.room.workshop_id)[1]
    before = store.load_session(member1.session_id).answers
    status, body = client.answer(ta0, worksheet="spectrum", item="asking_for_help",
                                 field="position", value=-3, partner="b",
                                 couple=member1.couple.id, session=member1.session_id)
    assert status == 200 and body["saved"] == -3
    member0 = Workshops(store).members(server.room.workshop_id)[0]
    data0 = store.load_session(member0.session_id)
    assert data0.spectrum("a")["asking_for_help"] == -3
    assert data0.spectrum("b")["asking_for_help"] == 0  # B's own answer, untouched
    assert store.load_session(member1.session_id).answers == before

    # roles do not cross: a partner's token opens no facilitator or projector page
    fac, proj = token_of(server.facilitator_url), token_of(server.projector_url)
    for token in (ta0, proj):
        assert client.get(f"/f/{token}/")[0] == 404
        assert client.get(f"/f/{token}/reports.zip")[0] == 404
    assert client.get(f"/r/{ta0}/")[0] == 404
    assert client.get(f"/p/{fac}/")[0] == 404

    # the projector: the whole room, and no names, no couple ids
    status, page = client.get(f"/r/{proj}/")
    assert status == 200
    status, room = client.get(f"/r/{proj}/room.json")
    data = json.loads(room)
    assert data["joined"] == 12
    everyone = [x for c in couples for x in c[:2]] + [m.couple.id for m in Workshops(
        store).members(server.room.workshop_id)]
    for text in (page, room):
        assert not any(re.sub(r"<.*>", "", x) in text for x in everyone)
        assert "Beta" not in text and "Alpha" not in text
    shown = [i for i in data["items"] if not i["waiting"]]
    assert len(shown) == len(content.spectrum.items)
    assert all(sum(i["counts"]) == 24 for i in shown)

    # the facilitator sees names, escaped
    status, page = client.get(f"/f/{fac}/")
    assert status == 200 and "Alpha11" in page and HOSTILE not in page


def test_a_partner_never_sees_the_others_private_note(served):
    server, client = served
    ta, tb = client.join("Ana", "Ben")
    fac = token_of(server.facilitator_url)
    status, body = client.answer(ta, worksheet="origins", item="past_hurts", field="notes",
                                 value="mine alone")
    assert status == 403 and "not open yet" in body["error"]  # the facilitator opens it
    assert client.form(f"/f/{fac}/open", {"part": "origins"})[0] == 303
    assert client.answer(ta, worksheet="origins", item="past_hurts", field="notes",
                         value="my secret <b>note</b>")[0] == 200
    assert "my secret" not in client.get(f"/p/{tb}/")[1]
    assert "my secret" in client.get(f"/p/{ta}/")[1]
    client.answer(ta, worksheet="origins", item="past_hurts", field="shared", value=True)
    page = client.get(f"/p/{tb}/")[1]
    assert "my secret &lt;b&gt;note&lt;/b&gt;" in page and "<b>note" not in page


def open_part(server, client, part: str) -> None:
    status, _, _ = client.form(f"/f/{token_of(server.facilitator_url)}/open", {"part": part})
    assert status == 303


def test_reveal_waits_for_the_room_and_both_partners(served, content):
    import io

    from pypdf import PdfReader

    server, client = served
    ta, tb = client.join("Ana", "Ben")
    answer_all(client, ta, content.spectrum, 2)
    answer_all(client, tb, content.spectrum, -1)
    page = client.get(f"/p/{ta}/")[1]
    assert "When the facilitator opens this part for the room" in page
    assert client.form(f"/p/{ta}/reveal", {})[0] == 303  # too early: changes nothing shown
    assert client.get(f"/p/{ta}/profile.png")[0] == 403
    open_part(server, client, "reveal")
    client.join("Cy", "Di")
    _, tc = client.join("Ed", "Flo")
    assert "When you and <bdi>Ed</bdi> have both answered" in client.get(f"/p/{tc}/")[1]
    assert "ready to see our profiles</button>" in client.get(f"/p/{tb}/")[1]
    assert "Waiting for <bdi>Ben</bdi> to tap reveal" in client.get(f"/p/{ta}/")[1]
    assert client.get(f"/p/{ta}/profile.png")[0] == 403
    client.form(f"/p/{tb}/reveal", {})
    page = client.get(f"/p/{ta}/")[1]
    assert 'src="profile.png"' in page and "Where you differ most" in page
    status, headers, png = client.request("GET", f"/p/{tb}/profile.png")
    assert status == 200 and png.startswith(b"\x89PNG") and headers["Content-Type"] == "image/png"
    status, headers, pdf = client.request("GET", f"/p/{ta}/report.pdf")
    assert status == 200 and pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Ana" in text and "Ben" in text
    assert client.get(f"/p/{tc}/report.pdf")[0] == 403  # another couple's: nothing yet


def test_a_concern_is_never_shown_to_the_partner_and_holds_until_the_facilitator_spoke(
        served, content):
    server, client = served
    ta, tb = client.join("Ana", "Ben")
    tc, td = client.join("Cy", "Di")
    for token in (ta, tb, tc, td):
        answer_all(client, token, content.spectrum)
    before = {t: client.get(f"/p/{t}/state")[1] for t in (ta, tb)}
    client.answer(tb, worksheet="safety", item="fear", field="answer", value="often")
    # nothing on either phone changes when a partner answers with concern
    assert {t: client.get(f"/p/{t}/state")[1] for t in (ta, tb)} == before
    for token in (ta, tb):
        page = client.get(f"/p/{token}/")[1]
        assert "When the facilitator opens this part for the room" in page
    open_part(server, client, "reveal")
    # the other couple may reveal; the held couple's phones read as before the opening
    assert "ready to see our profiles</button>" in client.get(f"/p/{tc}/")[1]
    for token in (ta, tb):
        page = client.get(f"/p/{token}/")[1]
        assert "When the facilitator opens this part for the room" in page
        assert "ready to see our profiles" not in page
    client.form(f"/p/{ta}/reveal", {})
    client.form(f"/p/{tb}/reveal", {})
    assert client.get(f"/p/{ta}/profile.png")[0] == 403
    # changing the answer back does not lift the hold: the facilitator still hears of it
    client.answer(tb, worksheet="safety", item="fear", field="answer", value="never")
    fac = token_of(server.facilitator_url)
    page = client.get(f"/f/{fac}/")[1]
    assert "Speak with each partner on their own" in page
    assert "an answer of concern was given, then changed" in page
    assert "<bdi>Ana &amp; Ben</bdi>: speak with each partner on their own" in page
    assert client.form(f"/f/{fac}/confirm", {"couple": "ana-ben"})[0] == 303
    assert client.get(f"/p/{ta}/profile.png")[0] == 200
    # a later concern holds the couple again, whatever was confirmed before
    client.answer(ta, worksheet="safety", item="control", field="answer", value="once")
    assert client.get(f"/p/{ta}/profile.png")[0] == 403
    assert "Speak with each partner on their own" in client.get(f"/f/{fac}/")[1]


def test_a_bad_answer_is_refused_in_words_and_nothing_is_overwritten(served):
    server, client = served
    ta, _ = client.join("Ana", "Ben")
    assert client.answer(ta, worksheet="spectrum", item="asking_for_help", field="position",
                         value=2)[0] == 200
    for value, words in ((7, "out of range -3..3"), ("lots", "expected a whole number"),
                         (None, None)):
        status, body = client.answer(ta, worksheet="spectrum", item="asking_for_help",
                                     field="position", value=value)
        if words:
            assert status == 400 and words in body["error"] and "not saved" in body["error"]
    status, body = client.answer(ta, worksheet="diary", item="x", field="y", value=1)
    assert status == 400 and "unknown worksheet" in body["error"]
    status, _, raw = client.request("POST", f"/p/{ta}/answer", b"{not json",
                                    {"Content-Type": "application/json"})
    assert status == 400 and b"could not be read" in raw
    status, body = client.answer(ta, worksheet="origins", item="past_hurts", field="notes",
                                 value="x" * 10)
    assert status == 403


def test_the_server_exposes_the_workshop_and_nothing_else(served):
    server, client = served
    assert server.sockets[0].getsockname()[0] == "127.0.0.1"
    for path in ("/api/contents", "/api/kernels", "/lab", "/tree", "/notebooks/",
                 "/static/../pyproject.toml", "/static/workshop.py", "/files/",
                 "/p/", "/f/", "/.git/config"):
        status, page = client.get(path)
        assert status == 404, path
        assert "Traceback" not in page
    status, headers, _ = client.request("GET", "/")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Server" not in headers
    # a form posted from another site's page is refused
    status, _, _ = client.request("POST", "/join", urlencode({"a": "X", "b": "Y"}).encode(),
                                  {"Origin": "http://evil.example",
                                   "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403
    assert Workshops(server.room.store).members(server.room.workshop_id) == []


def test_pages_load_nothing_from_other_hosts_and_use_relative_links(served):
    _, client = served
    ta, _ = client.join("Ana", "Ben")
    for path in ("/", f"/p/{ta}/"):
        page = client.get(path)[1]
        assert not re.search(r'(src|href|action)="(https?:)?//', page)
        assert "<script>" not in page and "onerror=" not in page.replace("onerror=alert", "")
    js = client.get("/static/workshop.js")[1]
    assert "http://" not in js.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in js


def test_joining_is_rate_limited_per_address(store):
    Workshops(store).create("Evening")
    with WorkshopServer(store, "Evening", port=0, join_limit=3) as server:
        client = Client(server.url)
        codes = [client.form("/join", {"a": f"A{n}", "b": f"B{n}"})[0] for n in range(5)]
    assert codes == [303, 303, 303, 429, 429]
    assert len(Workshops(store).members("evening")) == 3


def test_a_bad_name_is_explained_on_the_join_page(served):
    _, client = served
    status, _, page = client.form("/join", {"a": "   ", "b": "Ben"})
    assert status == 400 and "your name: a name is needed" in page
    assert 'value="Ben"' in page  # what was typed stays


def test_closing_stops_every_link_at_once(served, content):
    server, client = served
    ta, tb = client.join("Ana", "Ben")
    fac, proj = token_of(server.facilitator_url), token_of(server.projector_url)
    assert client.form(f"/f/{fac}/close", {})[0] == 200
    for path in (f"/p/{ta}/", f"/p/{tb}/", f"/f/{fac}/", f"/r/{proj}/", f"/r/{proj}/room.json",
                 f"/p/{ta}/report.pdf", "/"):
        status, page = client.get(path)
        assert status in (404, 410), path
    status, page = client.get(f"/p/{ta}/")
    assert status == 410 and "This workshop has closed" in page
    assert client.answer(ta, worksheet="spectrum", item="asking_for_help", field="position",
                         value=1)[0] == 410
    assert client.form("/join", {"a": "C", "b": "D"})[0] == 410
    # the couples stay in the store, ready for a follow-up session
    assert [c.partner_a for c in server.room.store.couples()] == ["Ana"]


def test_deleting_a_workshop_deletes_and_scrubs_its_couples(store, data_dir):
    workshops = Workshops(store)
    w = workshops.create("Evening")
    other = store.create_couple("Kept", "Too")
    for n in range(3):
        member, _, _ = workshops.join(w.id, f"Gone{n}", f"Away{n}")
        store.set_answer(member.session_id, AnswerKey("origins", "a", "past_hurts", 0, "notes"),
                         f"secret note {n}")
    assert sorted(workshops.delete(w.id)) == ["gone0-away0", "gone1-away1", "gone2-away2"]
    assert [c.id for c in store.couples()] == [other.id]
    assert workshops.all() == []
    raw = b"".join(p.read_bytes() for p in data_dir.glob("sessions.sqlite3*"))
    assert b"secret note" not in raw and b"Gone1" not in raw


# --- the command line --------------------------------------------------------------------

def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolkit", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120)


def test_the_command_line_creates_lists_exports_closes_and_deletes(data_dir, tmp_path):
    done = cli(data_dir, "workshop", "create", "Spring workshop", "--date", "2026-12-01")
    assert done.returncode == 0 and "workshop serve 'Spring workshop'" in done.stdout
    again = cli(data_dir, "workshop", "create", "Spring workshop")
    assert again.returncode == 1 and again.stderr.startswith("error: a workshop called")
    with Store(data_dir) as store:
        workshops = Workshops(store)
        for n in range(2):
            workshops.join("spring-workshop", f"A{n}", f"B{n}")
    listing = cli(data_dir, "workshop", "list")
    assert "spring-workshop\t2026-12-01\topen\t2 couples\tSpring workshop" in listing.stdout
    out = tmp_path / "reports"
    done = cli(data_dir, "workshop", "export", "Spring workshop", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a0-b0-workshop-report.pdf",
                                                     "a1-b1-workshop-report.pdf"]
    refused = cli(data_dir, "workshop", "export", "Spring workshop", "-o", str(out))
    assert refused.returncode == 1 and "not empty" in refused.stderr
    assert cli(data_dir, "workshop", "close", "spring-workshop").returncode == 0
    assert "closed" in cli(data_dir, "workshop", "list").stdout
    unknown = cli(data_dir, "workshop", "delete", "Autumn", "--yes")
    assert unknown.returncode == 1 and "no workshop called 'Autumn'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    gone = cli(data_dir, "workshop", "delete", "Spring workshop", "--yes")
    assert gone.returncode == 0 and "its 2 couples" in gone.stdout
    assert "no workshops yet" in cli(data_dir, "workshop", "list").stdout


def test_serve_says_who_can_reach_it(data_dir):
    cli(data_dir, "workshop", "create", "Evening")
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "--data-dir", str(data_dir),
                             "workshop", "serve", "Evening", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(8)]
    finally:
        proc.terminate()
        proc.wait(30)
    text = "".join(lines)
    assert "this laptop only (127.0.0.1)" in text
    assert re.search(r"Join page \(for the room\): +http://127\.0\.0\.1:\d+/\n", text)
    assert "Facilitator page (yours alone)" in text


def test_the_teaching_slides_tell_both_stories_and_cite_their_article():
    from tests.test_content import SEEDS
    from toolkit.workshop.server import load_slides

    slides = load_slides()
    assert [s["title"].split(":")[0] for s in slides] == ["Kim and Kevin", "Alison and Brett"]
    for slide in slides:
        assert slide["source"] in SEEDS
        assert len(slide["text"]) > 200


def test_damaged_slides_are_reported_with_the_file(tmp_path):
    from toolkit.content import ContentError
    from toolkit.workshop.server import load_slides

    (tmp_path / "workshop.yaml").write_text("slides: [{title: x}]\n")
    with pytest.raises(ContentError, match=r"workshop\.yaml.*teaching slides needs a 'text'"):
        load_slides(tmp_path)
    (tmp_path / "workshop.yaml").write_text("slides: [{title: x\n")
    with pytest.raises(ContentError, match=r"workshop\.yaml.*cannot be read"):
        load_slides(tmp_path)


def test_behind_a_proxy_prefix_the_pages_and_links_follow_it(store):
    """A JupyterHub service is reached at /services/NAME/ and sees that prefix; the pages'
    links are relative, and the join link and QR code use the public address."""
    Workshops(store).create("Evening")
    with WorkshopServer(store, "Evening", port=0, base_url="/services/workshop/",
                        public_url="https://hub.example.org/services/workshop/") as server:
        assert server.url == "https://hub.example.org/services/workshop/"
        assert server.facilitator_url.startswith("https://hub.example.org/services/workshop/f/")
        client = Client(f"http://127.0.0.1:{server.port}/")
        assert client.get("/")[0] == 404
        status, page = client.get("/services/workshop/")
        assert status == 200 and 'action="join"' in page
        status, headers, _ = client.form("/services/workshop/join", {"a": "Ana", "b": "Ben"})
        assert status == 303
        token = re.match(r"p/([\w-]+)/", headers["Location"]).group(1)
        status, page = client.get(f"/services/workshop/{headers['Location']}")
        assert status == 200 and "https://hub.example.org/services/workshop/pair/" in page
        assert client.get("/services/workshop/static/workshop.css")[0] == 200
        # a refusal's page still finds its style sheet, relative to where it is
        status, page = client.get(f"/services/workshop/p/{token}/profile.png")
        assert status == 403 and 'href="../../static/workshop.css"' in page


def test_the_facilitator_gives_a_partner_a_new_link_and_downloads_every_report(served,
                                                                                content):
    import io
    import zipfile

    server, client = served
    ta, tb = client.join("Ana", "Ben")
    client.join("Cy", "Di")
    fac = token_of(server.facilitator_url)
    page = client.get(f"/f/{fac}/")[1]
    assert "New link for <bdi>Ben</bdi>" in page
    status, _, page = client.form(f"/f/{fac}/relink", {"couple": "ana-ben", "partner": "b"})
    assert status == 200 and "A new link for <bdi>Ben</bdi>" in page
    fresh = re.search(r'<p class="link">([^<]+/p/([\w-]+)/)</p>', page).group(2)
    assert client.get(f"/p/{fresh}/")[0] == 200
    assert client.get(f"/p/{tb}/")[0] == 404  # the old link stopped
    assert client.get(f"/p/{ta}/")[0] == 200  # the other partner's is untouched
    assert "A new link for" not in client.get(f"/f/{fac}/")[1]  # shown once only
    assert client.form(f"/f/{fac}/relink", {"couple": "nobody", "partner": "a"})[0] == 404
    status, headers, body = client.request("GET", f"/f/{fac}/reports.zip")
    assert status == 200 and headers["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert sorted(names) == ["ana-ben-workshop-report.pdf", "cy-di-workshop-report.pdf"]


def test_the_guide_explains_running_a_workshop_with_commands_that_exist():
    from toolkit.__main__ import build_parser

    guide = json.loads((Path(__file__).resolve().parents[1] / "notebooks" /
                        "00_start_here.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in guide["cells"] if c["cell_type"] == "markdown")
    section = text.split("## Running a workshop", 1)[1].split("\n## ", 1)[0]
    actions = set(re.findall(r"python -m toolkit workshop (\w+)", section))
    assert actions >= {"create", "serve", "export", "delete"}
    parser = build_parser()
    for action in actions:
        args = ["workshop", action] + (["X"] if action != "list" else [])
        assert parser.parse_args(args).workshop_command == action
    assert "make workshop" in section and "five couples" in section


def test_the_notebook_panel_creates_serves_and_stops_a_workshop(store):
    import urllib.request

    from toolkit.ui import WorkshopPanel

    panel = WorkshopPanel(store=store)
    assert panel.describe() == "Workshops: none yet; not serving."
    assert panel.start_button.disabled
    panel.name.value = "   "
    panel.create_button.click()
    assert "Not created: workshop name: a name is needed" in panel.status.value
    panel.name.value = "Evening <b>one</b>"
    panel.date.value = "2026-12-24"
    panel.create_button.click()
    assert panel.choose.value == "evening-b-one-b"
    assert "Created <b>Evening &lt;b&gt;one&lt;/b&gt;</b>" in panel.status.value
    panel.start_button.click()
    try:
        assert panel.server is not None and panel.stop_button.disabled is False
        assert "this laptop only" in panel.status.value
        url = re.search(r"<code>(http://127\.0\.0\.1:\d+/)</code>", panel.links.value).group(1)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"Evening &lt;b&gt;one&lt;/b&gt;" in response.read()
        assert "<svg" in panel.links.value and "/f/" in panel.links.value
        assert panel.describe().startswith("Workshops: 1; serving Evening <b>one</b>")
    finally:
        panel.stop_button.click()
    assert panel.server is None and "Stopped" in panel.status.value
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)


def test_odd_requests_get_a_sentence_and_the_log_never_names_a_token(served, caplog):
    import logging

    server, client = served
    caplog.set_level(logging.DEBUG)
    ta, tb = client.join("Ana", "Ben")
    open_part(server, client, "plan")
    fac = token_of(server.facilitator_url)
    odd = [
        ("spectrum", "asking_for_help", 0, "position", "\u00b2"),
        ("spectrum", "asking_for_help", 0, "position", "+-3"),
        ("boundaries", "small_risks", 2 ** 63, "ask", "x"),
        ("boundaries", "small_risks", -1, "ask", "x"),
        ("safety", "fear", 0, "answer", ["often"]),
        ("origins", "past_hurts", 0, "resonance", "\u00b2"),
    ]
    for worksheet, item, row, field, value in odd:
        status, body = client.answer(ta, worksheet=worksheet, item=item, row=row, field=field,
                                     value=value)
        assert status in (400, 403) and body["error"], (item, value)
    status, _, raw = client.request("POST", f"/p/{ta}/answer", b"[" * 100_000,
                                    {"Content-Type": "application/json"})
    assert status in (400, 413)
    status, body = client.answer(ta, worksheet="boundaries", item="small_risks", row=1,
                                 field="ask", value="x" * 4_001)
    assert status == 400 and "up to 4,000" in body["error"]
    for action, fields in (("open", {"part": "nope"}), ("confirm", {"couple": "nope"}),
                           ("relink", {"couple": "ana-ben", "partner": "c"})):
        status, _, page = client.form(f"/f/{fac}/{action}", fields)
        assert status in (400, 404) and "Traceback" not in page, action
    for method in ("PUT", "DELETE", "OPTIONS"):
        status, _, page = client.request(method, f"/p/{ta}/")
        assert status == 405 and b"Traceback" not in page
    logged = caplog.text
    assert ta not in logged and tb not in logged and fac not in logged
    assert "Traceback" not in logged


def test_a_workshop_named_in_any_script_downloads_its_reports(store):
    from urllib.parse import unquote

    Workshops(store).create("Ателье любви")
    with WorkshopServer(store, "Ателье любви", port=0) as server:
        client = Client(server.url)
        client.join("Аня", "Борис")
        fac = token_of(server.facilitator_url)
        status, headers, body = client.request("GET", f"/f/{fac}/reports.zip")
    assert status == 200 and body.startswith(b"PK")
    disposition = headers["Content-Disposition"]
    assert disposition.isascii()
    assert unquote(disposition.split("UTF-8''")[1]) == "ателье-любви-reports.zip"


def test_a_link_typed_without_its_last_slash_still_opens(served):
    server, client = served
    ta, _ = client.join("Ana", "Ben")
    status, headers, _ = client.request("GET", f"/p/{ta}")
    assert status == 301 and headers["Location"] == f"{ta}/"


def test_the_facilitator_holds_the_projector_picture_and_removes_a_couple(served, content):
    server, client = served
    fac, proj = token_of(server.facilitator_url), token_of(server.projector_url)
    tokens = [client.join(f"A{n}", f"B{n}") for n in range(6)]
    for ta, tb in tokens[:5]:
        answer_all(client, ta, content.spectrum, 1)
        answer_all(client, tb, content.spectrum, 1)

    def people() -> int:
        data = json.loads(client.get(f"/r/{proj}/room.json")[1])
        assert all("couples" not in item for item in data["items"])  # no progress to watch
        return sum(sum(i["counts"]) for i in data["items"] if not i["waiting"])

    assert people() == 10 * 13
    assert client.form(f"/f/{fac}/freeze", {})[0] == 303
    assert "The projector's picture is <strong>held</strong>" in client.get(f"/f/{fac}/")[1]
    answer_all(client, tokens[5][0], content.spectrum, -3)
    answer_all(client, tokens[5][1], content.spectrum, -3)
    assert people() == 10 * 13  # held: the sixth couple's taps cannot be watched arriving
    assert client.form(f"/f/{fac}/live", {})[0] == 303
    assert people() == 12 * 13
    assert client.form(f"/f/{fac}/remove", {"couple": "a5-b5"})[0] == 303
    assert people() == 10 * 13
    assert client.get(f"/p/{tokens[5][0]}/")[0] == 404
    assert "a5-b5" not in [c.id for c in server.room.store.couples()]


def test_one_phone_cannot_queue_a_pile_of_renders(served, content):
    server, client = served
    ta, tb = client.join("Ana", "Ben")
    answer_all(client, ta, content.spectrum)
    answer_all(client, tb, content.spectrum)
    open_part(server, client, "reveal")
    client.form(f"/p/{ta}/reveal", {})
    client.form(f"/p/{tb}/reveal", {})
    server.room.rendering.add(ta)  # as if a report for this phone were being made
    status, page = client.get(f"/p/{ta}/report.pdf")
    assert status == 429 and "Still being prepared" in page
    assert client.get(f"/p/{tb}/report.pdf")[0] == 200  # the partner's phone is not held up
    server.room.rendering.discard(ta)
    first = client.request("GET", f"/p/{ta}/report.pdf")[2]
    assert client.request("GET", f"/p/{ta}/report.pdf")[2] == first  # made once, kept


def test_https_with_the_facilitators_certificate(store, tmp_path):
    import datetime as dt
    import ssl
    import urllib.request

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    Workshops(store).create("Evening")
    with WorkshopServer(store, "Evening", port=0, certfile=str(tmp_path / "cert.pem"),
                        keyfile=str(tmp_path / "key.pem")) as server:
        assert server.url.startswith("https://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        trust.check_hostname = False
        with urllib.request.urlopen(server.url, context=trust, timeout=10) as response:
            assert b"Evening" in response.read()
    with pytest.raises(WorkshopError, match="cert.pem: the certificate"):
        WorkshopServer(store, "Evening", port=0, certfile=str(tmp_path / "cert.pem"),
                       keyfile=str(tmp_path / "missing.pem"))


def test_a_workshop_couple_continues_in_a_follow_up_session(store, content):
    from toolkit.session import SessionModel, start_follow_up

    workshops = Workshops(store)
    w = workshops.create("Evening")
    member, _, _ = workshops.join(w.id, "Ana", "Ben")
    store.add_plan_row(member.session_id, "small_risks")
    store.set_answer(member.session_id, AnswerKey("boundaries", "couple", "small_risks", 1,
                                                  "ask"), "Ask for help with the move")
    workshops.close(w.id)
    follow_up = start_follow_up(store, member.couple.id, date="2027-01-10")
    assert follow_up.number == 2
    model = SessionModel.open(store, member.couple.id)
    assert model.info.id == follow_up.id
    assert [r["ask"] for r in model.data.plan("small_risks")] == ["Ask for help with the move"]
