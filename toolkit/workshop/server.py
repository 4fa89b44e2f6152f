"""The workshop server: one process, one store, a room of phones.

Why not Voila: Voila starts a kernel (about 150 MB) for every open page, so 60
phones would need about 9 GB. Here each phone is a plain HTML page that posts
each answer as one small request; the server keeps no per-page state, so a
room of 60 phones costs one Python process. Built on Tornado, which Jupyter
already installs, so the workshop adds no web framework.

The server exposes the workshop's pages and nothing else: no notebook, no
kernel, no file listing. Every page names the links it serves by an
unguessable token; a token opens only its own role's pages (a partner's, the
facilitator's or the projector's) in this workshop.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time
import zipfile
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web

from ..responses import COUPLE, AnswerError, AnswerKey, SessionData
from ..store import SQLiteStore, StoreError
from . import pages
from .room import (
    FACILITATOR,
    K_MIN,
    Access,
    WorkshopClosedError,
    WorkshopError,
    Workshops,
    room_picture,
)

__all__ = ["WorkshopServer", "make_app"]

log = logging.getLogger("toolkit.workshop")

PARTNER_SHEETS = {"spectrum", "origins", "safety"}
MAX_BODY = 100_000  # bytes: a long note, with room to spare
MAX_NOTE = 4_000  # characters in one note or plan cell written on a phone
MAX_ROW = 10_000
MAX_ROWS = 20  # rows a couple can add to one plan table
WHOLE = re.compile(r"[+-]?[0-9]{1,3}")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class RateLimit:
    """At most ``limit`` events per address in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self.events: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        if len(self.events) > 10_000:  # forget addresses quiet for a whole window
            self.events = {a: d for a, d in self.events.items() if d and now - d[-1] <= self.window}
        seen = self.events.setdefault(address, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        return True


class Room:
    """What every handler shares: the store, the workshop and a few caches."""

    def __init__(self, store: SQLiteStore, workshop_id: str, *, join_limit: int = 20,
                 miss_limit: int = 60) -> None:
        self.store = store
        self.workshops = Workshops(store)
        self.workshop_id = self.workshops.get(workshop_id).id
        self.content = store.content
        self.joins = RateLimit(join_limit)
        self.misses = RateLimit(miss_limit)
        self.pictures: OrderedDict[tuple, bytes] = OrderedDict()
        self.reports: OrderedDict[tuple, bytes] = OrderedDict()
        self.rendering: set[str] = set()  # tokens with a picture or PDF being made
        self.frozen: dict | None = None  # the projector's picture, held by the facilitator
        self.room_cache: tuple[float, dict] | None = None
        self.base_url = "/"
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workshop-render")
        self.join_link = ""
        self.slides = load_slides(Path(store.content.folder))
        self.projector_link = ""

    @property
    def workshop(self):
        return self.workshops.get(self.workshop_id)

    def picture(self, data: SessionData) -> bytes:
        from ..plots import profile_png
        from ..scoring import score_session

        key = (data.info.id, tuple(sorted((tuple(k), v) for k, v in data.answers.items()
                                          if k.worksheet == "spectrum")),
               data.couple.partner_a, data.couple.partner_b)
        if key in self.pictures:
            self.pictures.move_to_end(key)
            return self.pictures[key]
        content = self.store.content_of(data.info)
        scores = score_session(content.spectrum, data)
        names = {"a": data.couple.partner_a, "b": data.couple.partner_b}
        png = profile_png(content.spectrum, scores, names, width=4.8, dpi=160)  # a phone
        self.pictures[key] = png
        while len(self.pictures) > 64:
            self.pictures.popitem(last=False)
        return png

    def report(self, data: SessionData, reader: str) -> bytes:
        """A reader's PDF, made once per state of the answers (kept for the last few)."""
        import warnings

        from ..report import session_report
        from ..scoring import score_session
        from ..textsafe import MissingGlyphsWarning

        key = ("report", reader, data.info.id, data.couple,
               tuple(sorted((tuple(k), repr(v)) for k, v in data.answers.items())),
               tuple(sorted((k, tuple(v)) for k, v in data.plan_rows.items())))
        if key in self.reports:
            self.reports.move_to_end(key)
            return self.reports[key]
        content = self.store.content_of(data.info)
        scores = score_session(content.spectrum, data)
        with warnings.catch_warnings():
            # a character the fonts lack prints as a box; the log must not repeat names
            warnings.simplefilter("ignore", MissingGlyphsWarning)
            pdf = session_report(content, data, scores, reader=reader)
        self.reports[key] = pdf
        while len(self.reports) > 32:
            self.reports.popitem(last=False)
        return pdf

    def room(self, *, fresh: bool = False) -> dict[str, Any]:
        """The projector's data, computed at most twice a second however many
        projectors ask; the held picture while the facilitator holds it."""
        if self.frozen is not None and not fresh:
            return self.frozen
        now = time.monotonic()
        if self.room_cache and now - self.room_cache[0] < 0.5 and not fresh:
            return self.room_cache[1]
        members = self.workshops.members(self.workshop_id)
        picture = room_picture(self.content, self.workshops.spectrum_answers(self.workshop_id),
                               len(members))
        spectrum = self.content.spectrum
        data = {
            "as_of": time.time(),  # every answer saved before this moment is in the picture
            "joined": picture.couples_joined,
            "k": K_MIN,
            "positions": list(range(spectrum.scale_min, spectrum.scale_max + 1)),
            "items": [{"id": s.item.id, "waiting": s.waiting,
                       "counts": [s.counts.get(p, 0) for p in range(spectrum.scale_min,
                                                                    spectrum.scale_max + 1)]}
                      for s in picture.strips],
            "spread": [{"id": s.item.id, "title": s.item.title, "left": s.item.left,
                        "right": s.item.right, "prompt": ROOM_PROMPT}
                       for s in picture.most_spread],
        }
        self.room_cache = (now, data)
        return data


ROOM_PROMPT = ("People in this room stand all along this line. In pairs, without saying where "
               "you placed yourself: what might each end of this line protect, and what might "
               "it cost?")


def load_slides(folder: Path | None = None) -> list[dict[str, str]]:
    """The two stories for teaching, from the worksheets folder (editable content; the
    shipped file when the folder in use has none)."""
    import yaml

    from ..content import ContentError, default_worksheets_dir

    path = (folder or default_worksheets_dir()) / "workshop.yaml"
    if not path.is_file():
        path = default_worksheets_dir() / "workshop.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        slides = [{"title": str(s["title"]), "text": " ".join(str(s["text"]).split()),
                   "source": str(s["source"])} for s in raw["slides"]]
    except KeyError as exc:
        raise ContentError(path, f"each of the workshop's teaching slides needs a {exc}",
                           field=str(exc).strip("'")) from None
    except (OSError, yaml.YAMLError, TypeError) as exc:
        raise ContentError(path, f"the workshop's teaching slides cannot be read ({exc})"
                           ) from None
    return slides


# --- handlers ------------------------------------------------------------------------

class Base(tornado.web.RequestHandler):
    room: Room

    def initialize(self, room: Room) -> None:
        self.room = room

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Cache-Control", "no-store")
        self.clear_header("Server")

    def check_origin_of_post(self) -> None:
        """A form or request sent from another site's page is refused."""
        origin = self.request.headers.get("Origin")
        # "null" is what the browser sends from our own pages (they send no referrer);
        # anything but a token-free join still needs a token no other site can know
        if origin and origin != "null" and urlsplit(origin).netloc != self.request.host:
            raise tornado.web.HTTPError(403, reason="Forbidden")

    def prepare(self) -> None:
        if self.request.method == "POST":
            self.check_origin_of_post()

    def page(self, html: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(html)

    json_api = False  # answers JSON (the page's script reads it), not a page

    def refuse(self, status: int, title: str, text: str) -> None:
        if self.json_api:
            self.set_status(status)
            self.finish({"error": f"{title}. {text}"})
            return
        # how far the page's folder is from the workshop's root, for its relative links
        path = self.request.path[len(self.room.base_url) - 1:]
        depth = path[:path.rindex("/") + 1].count("/") - 1 if "/" in path else 0
        self.page(pages.message_page(title, text, depth=max(depth, 0)), status)

    def log_exception(self, typ, value, tb) -> None:  # noqa: ANN001
        # The path carries a private token: the log names the error, never the request.
        if isinstance(value, tornado.web.HTTPError):
            return
        log.error("a %s request failed (%s); nothing more was changed",
                  self.request.method, type(value).__name__)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # A sentence, never a traceback.
        words = {403: "This request is not allowed.", 404: "There is nothing here.",
                 405: "This page cannot be used that way.",
                 413: "That was too long to save. Nothing was changed."}
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(pages.message_page(
            "Sorry", words.get(status_code, "Something went wrong on the workshop's laptop; "
                                            "your earlier answers are safe. Try again.")))

    def access(self, token: str, roles: tuple[str, ...]) -> Access | None:
        """The token's access, or None after answering with a refusal (the same words
        for a wrong, foreign or mistyped token)."""
        address = self.request.remote_ip or "?"
        try:
            found = self.room.workshops.resolve(token)
        except WorkshopClosedError:
            self.refuse(410, "This workshop has closed",
                        "Thank you for taking part. The links of this workshop no longer open "
                        "anything; ask your facilitator if you need your report.")
            return None
        except WorkshopError:
            found = None
        if found is None or found.role not in roles or found.workshop.id != self.room.workshop_id:
            if not self.room.misses.allow(address):
                self.refuse(429, "Too many tries", "Please wait a minute and try again.")
                return None
            self.refuse(404, "This link does not open anything",
                        "Check that the whole link was copied, or ask your facilitator.")
            return None
        return found


class Join(Base):
    def get(self) -> None:
        workshop = self.room.workshop
        if workshop.closed:
            return self.refuse(410, "This workshop has closed", "Thank you for taking part.")
        self.page(pages.join_page(workshop))

    def post(self) -> None:
        workshop = self.room.workshop
        if workshop.closed:
            return self.refuse(410, "This workshop has closed", "Thank you for taking part.")
        if not self.room.joins.allow(self.request.remote_ip or "?"):
            return self.refuse(429, "Too many couples joined from here just now",
                               "Please wait a minute and try again.")
        a = self.get_body_argument("a", "")
        b = self.get_body_argument("b", "")
        try:
            _, token_a, pair = self.room.workshops.join(workshop.id, a, b)
        except AnswerError as exc:
            problem = str(exc).replace("partner A's name", "your name").replace(
                "partner B's name", "your partner's name")
            return self.page(pages.join_page(workshop, problem, {"a": a, "b": b}), 400)
        self.redirect(f"p/{token_a}/?pair={pair}", status=303)


class Pair(Base):
    """Partner B's one-time link: opened on B's own phone, it issues B's page."""

    def get(self, token: str) -> None:
        found = self.access(token, ("pair-b",))
        if found:
            couple = self.room.store.couple(found.couple_id)
            self.page(pages.pair_page(found.workshop, couple.partner_b))

    def post(self, token: str) -> None:
        found = self.access(token, ("pair-b",))
        if found:
            try:
                own = self.room.workshops.redeem_pair(token)
            except WorkshopError as exc:
                return self.refuse(404, "This link does not open anything", str(exc))
            self.redirect(f"../../p/{own}/", status=303)


class Partner(Base):
    def load(self, token: str) -> tuple[Access, SessionData] | None:
        found = self.access(token, ("a", "b"))
        if not found:
            return None
        return found, self.room.store.load_session(found.session_id)

    def situation(self, found: Access, data: SessionData) -> dict[str, Any]:
        """What this partner's page may know. The safety hold is never visible on its own:
        a held couple's reveal simply stays closed, as everyone's does until the
        facilitator opens it, so nothing on a phone changes when a partner answers."""
        content = self.room.store.content_of(data.info)
        total = len(content.spectrum.items)
        ready = all(len(data.spectrum(p)) == total for p in ("a", "b"))
        member = self.room.workshops.member(found.couple_id)
        opened = "reveal" in found.workshop.open_parts and not member.held
        return {"content": content, "ready": ready, "open": opened, "member": member}

    def shows_profiles(self, s: dict[str, Any]) -> bool:
        return s["open"] and s["ready"] and all(s["member"].revealed.values())

    def get(self, token: str) -> None:
        loaded = self.load(token)
        if not loaded:
            return
        found, data = loaded
        s = self.situation(found, data)
        gaps = None
        member = s["member"]
        if self.shows_profiles(s):
            from ..scoring import score_session

            scores = score_session(s["content"].spectrum, data)
            gaps = scores.largest_gaps.to_dict("records")
        pair = self.get_query_argument("pair", "")
        pair_link = ""
        if pair and found.role == "a" and self.room.workshops.pair_open(pair, found.couple_id):
            base = self.room.join_link.rstrip("/")
            pair_link = f"{base}/pair/{pair}/"
        self.page(pages.partner_page(s["content"], found.workshop, data, member, found.role,
                                     ready=s["ready"], opened=s["open"], gaps=gaps,
                                     pair_link=pair_link or None))


class PartnerState(Partner):
    """A fingerprint of what would change this partner's page: parts opened, both
    answered, reveal taps. The page reloads itself when it changes."""

    json_api = True

    def get(self, token: str) -> None:
        loaded = self.load(token)
        if not loaded:
            return
        found, data = loaded
        s = self.situation(found, data)
        member = s["member"]
        parts = [p for p in found.workshop.open_parts if p != "reveal"]
        state = "|".join([",".join(parts), str(s["open"]), str(s["ready"]),
                          str(member.revealed["a"]), str(member.revealed["b"])])
        rows = sum(len(r) for r in data.plan_rows.values())
        self.finish({"state": f"{state}|{rows}"})


class Answer(Partner):
    json_api = True

    def post(self, token: str) -> None:
        found = self.access(token, ("a", "b"))
        if not found:
            return
        try:
            body = json.loads(self.request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError
            worksheet = str(body.get("worksheet", ""))
            item = str(body.get("item", ""))
            row = body.get("row", 0)
            field = str(body.get("field", ""))
            value = body.get("value")
        except (ValueError, UnicodeDecodeError, RecursionError):
            self.set_status(400)
            return self.finish({"error": "the answer could not be read; it was not saved"})
        if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row <= MAX_ROW:
            self.set_status(400)
            return self.finish({"error": "not saved: no such row"})
        if worksheet == "boundaries":
            if "plan" not in found.workshop.open_parts:
                self.set_status(403)
                return self.finish({"error": "the plan is not open yet"})
            who = COUPLE
        elif worksheet in PARTNER_SHEETS:
            if worksheet == "origins" and "origins" not in found.workshop.open_parts:
                self.set_status(403)
                return self.finish({"error": "this part is not open yet"})
            who = found.role  # always the token's own partner, whatever the request says
        else:
            self.set_status(400)
            return self.finish({"error": f"unknown worksheet {worksheet[:40]!r}; not saved"})
        if isinstance(value, str) and WHOLE.fullmatch(value) and (
                worksheet == "spectrum" or field == "resonance"):
            value = int(value)
        if isinstance(value, str) and len(value) > MAX_NOTE:
            self.set_status(400)
            return self.finish({"error": f"not saved: {len(value):,} characters; in a workshop "
                                         f"a note holds up to {MAX_NOTE:,}"})
        try:
            saved = self.room.store.set_answer(found.session_id,
                                               AnswerKey(worksheet, who, item, row, field), value)
        except AnswerError as exc:
            self.set_status(400)
            return self.finish({"error": f"not saved: {exc}"})
        except StoreError as exc:
            self.set_status(503)
            return self.finish({"error": f"not saved: {exc}"})
        data = self.room.store.load_session(found.session_id)  # once, for both uses below
        if worksheet == "safety" and saved is not None:
            safety = self.room.store.content_of(data.info).safety
            if safety is not None and safety.question(item).option(saved).concern:
                self.room.workshops.note_concern(found.couple_id)
        answered = len(data.spectrum(found.role))
        self.finish({"saved": saved, "answered": answered})


class Reveal(Partner):
    def post(self, token: str) -> None:
        found = self.access(token, ("a", "b"))
        if found:
            self.room.workshops.reveal(found.couple_id, found.role)
            self.redirect("./#reveal-h", status=303)


class AddRow(Partner):
    def post(self, token: str) -> None:
        found = self.access(token, ("a", "b"))
        if not found:
            return
        if "plan" not in found.workshop.open_parts:
            return self.refuse(403, "Not open yet", "The plan is not open yet.")
        section = self.get_body_argument("section", "")
        rows = self.room.store.load_session(found.session_id).plan_rows.get(section, ())
        if len(rows) >= MAX_ROWS:
            return self.refuse(400, "Not added", f"A plan table holds up to {MAX_ROWS} rows "
                               "in a workshop.")
        try:
            self.room.store.add_plan_row(found.session_id, section)
        except AnswerError as exc:
            return self.refuse(400, "Not added", str(exc))
        self.redirect("./#plan-h", status=303)


class Revealed(Partner):
    """What only a couple who both chose to reveal can fetch: their picture and PDFs."""

    def revealed(self, token: str) -> tuple[Access, SessionData] | None:
        loaded = self.load(token)
        if not loaded:
            return None
        found, data = loaded
        s = self.situation(found, data)
        if not self.shows_profiles(s):
            self.refuse(403, "Not yet", "This opens when you have both chosen to reveal.")
            return None
        return found, data

    async def render(self, token: str, make: Callable[[Access, SessionData], bytes],
                     kind: str, name: str = "") -> None:
        loaded = self.revealed(token)
        if not loaded:
            return
        found, data = loaded
        if token in self.room.rendering:  # one at a time per phone: nobody can queue a pile
            return self.refuse(429, "Still being prepared",
                               "It is on its way; try again in a moment.")
        self.room.rendering.add(token)
        try:
            body = await asyncio.get_running_loop().run_in_executor(
                self.room.pool, make, found, data)
        finally:
            self.room.rendering.discard(token)
        self.set_header("Content-Type", kind)
        if name:
            self.set_header("Content-Disposition", attachment(name))
        self.finish(body)


def attachment(name: str) -> str:
    """A download's file name, in ASCII for old browsers and exactly (RFC 5987) for the
    rest, so a workshop named in any script can be downloaded."""
    from urllib.parse import quote

    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "download"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


class ProfilePicture(Revealed):
    async def get(self, token: str) -> None:
        await self.render(token, lambda f, d: self.room.picture(d), "image/png")


class Report(Revealed):
    async def get(self, token: str) -> None:
        await self.render(token, lambda f, d: self.room.report(d, "couple"),
                          "application/pdf", "our-workshop-report.pdf")


class OwnReport(Revealed):
    async def get(self, token: str) -> None:
        await self.render(token, lambda f, d: self.room.report(d, f.role),
                          "application/pdf", "my-workshop-report.pdf")


class Facilitator(Base):
    def get(self, token: str, new_link: tuple[str, str] | None = None) -> None:
        found = self.access(token, (FACILITATOR,))
        if not found:
            return
        from ..safety import safety_result

        rows = []
        for member in self.room.workshops.members(self.room.workshop_id):
            data = self.room.store.load_session(member.session_id)
            content = self.room.store.content_of(data.info)
            result = safety_result(content, data)
            rows.append({"names": f"{member.couple.partner_a} & {member.couple.partner_b}",
                         "name_a": member.couple.partner_a, "name_b": member.couple.partner_b,
                         "couple_id": member.couple.id,
                         "answered_a": len(data.spectrum("a")),
                         "answered_b": len(data.spectrum("b")),
                         "revealed": all(member.revealed.values()),
                         "held": member.held, "concern": member.concern_at is not None,
                         "changed": member.concern_at is not None and not result.concern,
                         "complete": result.complete})
        self.page(pages.facilitator_page(found.workshop, rows,
                                         projector=self.room.projector_link,
                                         join_link=self.room.join_link, new_link=new_link,
                                         frozen=self.room.frozen is not None))

    def post(self, token: str) -> None:
        found = self.access(token, (FACILITATOR,))
        if not found:
            return
        action = self.request.path.rstrip("/").rsplit("/", 1)[-1]
        workshops = self.room.workshops
        couple_id = self.get_body_argument("couple", "")
        known = {m.couple.id for m in workshops.members(self.room.workshop_id)}
        if action in ("confirm", "relink", "remove") and couple_id not in known:
            return self.refuse(404, "No such couple", "That couple is not in this workshop "
                               "(removed already?).")
        try:
            if action == "open":
                workshops.open_part(self.room.workshop_id, self.get_body_argument("part", ""))
            elif action == "close":
                workshops.close(self.room.workshop_id)
                return self.refuse(200, "The workshop is closed",
                                   "Every link of this workshop has stopped working. Export or "
                                   "delete it with: python -m toolkit workshop export / delete.")
            elif action == "confirm":
                from ..safety import CONFIRM_KEY

                workshops.confirm_spoken(couple_id)
                member = workshops.member(couple_id)
                self.room.store.set_answer(member.session_id, CONFIRM_KEY, True)
            elif action == "remove":
                workshops.remove_couple(self.room.workshop_id, couple_id)
                self.room.room_cache = None  # their dots leave the picture at once
            elif action == "freeze":
                self.room.frozen = self.room.room(fresh=True)
            elif action == "live":
                self.room.frozen = None
                self.room.room_cache = None
            elif action == "relink":
                partner = self.get_body_argument("partner", "")
                if partner not in ("a", "b"):
                    return self.refuse(400, "No such partner", "Choose partner a or b.")
                token_new = workshops.new_partner_link(couple_id, partner)
                link = f"{self.room.join_link}p/{token_new}/"
                # shown once, on this page only; a reload shows it no more
                return self.get(token, (self.room.store.couple(couple_id).name(partner), link))
        except (WorkshopError, AnswerError) as exc:
            return self.refuse(400, "Not done", str(exc))
        self.redirect("./", status=303)


class Reports(Base):
    async def get(self, token: str) -> None:
        found = self.access(token, (FACILITATOR,))
        if not found:
            return
        members = self.room.workshops.members(self.room.workshop_id)
        datas = [self.room.store.load_session(m.session_id) for m in members]
        body = await asyncio.get_running_loop().run_in_executor(
            self.room.pool, reports_zip, self.room, datas)
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", attachment(f"{found.workshop.id}-reports.zip"))
        self.finish(body)


def reports_zip(room: Room, datas: list[SessionData]) -> bytes:
    """Every couple's take-home report (shared notes only), one PDF each."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for data in datas:
            archive.writestr(f"{data.couple.id}-workshop-report.pdf",
                             room.report(data, "couple"))
    return buffer.getvalue()


class Projector(Base):
    def get(self, token: str) -> None:
        found = self.access(token, ("projector",))
        if found:
            self.page(pages.projector_page(found.workshop, self.room.content,
                                           self.room.join_link, self.room.slides))


class RoomData(Base):
    json_api = True

    def get(self, token: str) -> None:
        found = self.access(token, ("projector", FACILITATOR))
        if found:
            self.finish(self.room.room())


class Static(Base):
    FILES = {"workshop.js": "application/javascript; charset=utf-8",
             "workshop.css": "text/css; charset=utf-8"}

    def get(self, name: str) -> None:
        if name not in self.FILES:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", self.FILES[name])
        self.set_header("Cache-Control", "no-cache")
        self.finish(resources.files("toolkit.workshop").joinpath(name).read_bytes())


class AddSlash(Base):
    """``/p/TOKEN`` typed without its last slash: the page it meant."""

    def get(self, *_: str) -> None:
        self.redirect(self.request.path.rsplit("/", 1)[1] + "/", status=301)


class NotFound(Base):
    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


TOKEN = r"([A-Za-z0-9_-]{20,64})"


def make_app(room: Room) -> tornado.web.Application:
    """The workshop's routes, under ``room.base_url`` (``/`` unless a proxy passes on a
    prefix, as JupyterHub does for a service at /services/NAME/)."""
    args = {"room": room}
    prefix = room.base_url.rstrip("/")
    routes = [
        (r"/", Join, args), (r"/join", Join, args),
        (rf"/pair/{TOKEN}/", Pair, args),
        (rf"/p/{TOKEN}/", Partner, args),
        (rf"/p/{TOKEN}/state", PartnerState, args),
        (rf"/p/{TOKEN}/answer", Answer, args),
        (rf"/p/{TOKEN}/reveal", Reveal, args),
        (rf"/p/{TOKEN}/add-row", AddRow, args),
        (rf"/p/{TOKEN}/profile.png", ProfilePicture, args),
        (rf"/p/{TOKEN}/report.pdf", Report, args),
        (rf"/p/{TOKEN}/my-report.pdf", OwnReport, args),
        (rf"/f/{TOKEN}/", Facilitator, args),
        (rf"/f/{TOKEN}/(?:open|close|confirm|relink|remove|freeze|live)", Facilitator, args),
        (rf"/f/{TOKEN}/reports.zip", Reports, args),
        (rf"/f/{TOKEN}/room.json", RoomData, args),
        (rf"/r/{TOKEN}/", Projector, args),
        (rf"/r/{TOKEN}/room.json", RoomData, args),
        (r"/static/([a-z.]+)", Static, args),
        (rf"/(?:p|f|r|pair)/{TOKEN}", AddSlash, args),
    ]
    routes = [(prefix + pattern, handler, kwargs) for pattern, handler, kwargs in routes]
    return tornado.web.Application(routes, default_handler_class=NotFound,
                                   default_handler_args=args, xsrf_cookies=False,
                                   compress_response=True, serve_traceback=False,
                                   log_function=_log_request)


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Server errors only, and never the path: it carries someone's private token."""
    if handler.get_status() >= 500:
        log.error("%s request failed with %d", handler.request.method, handler.get_status())


class WorkshopServer:
    """Serves one workshop on ``address``:``port`` (port 0: any free port).

    ``start()`` runs it in a background thread (tests, benchmarks, the notebook);
    ``run()`` in the calling thread until interrupted (the command line).
    """

    def __init__(self, store: SQLiteStore, workshop_id: str, *, address: str = "127.0.0.1",
                 port: int = 8765, base_url: str = "/", public_url: str | None = None,
                 certfile: str | None = None, keyfile: str | None = None,
                 **limits: int) -> None:
        self.ssl = None
        if certfile:
            import ssl

            self.ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            try:
                self.ssl.load_cert_chain(certfile, keyfile)
            except (OSError, ssl.SSLError) as exc:
                raise WorkshopError(f"{certfile}: the certificate (and key) cannot be used "
                                    f"({exc})") from None
        self.room = Room(store, workshop_id, **limits)
        if not base_url.startswith("/"):
            raise WorkshopError(f"--base-url must start with '/', not {base_url!r}")
        self.room.base_url = base_url.rstrip("/") + "/"
        self.address = address
        self.sockets = tornado.netutil.bind_sockets(port, address=address)
        self.port = self.sockets[0].getsockname()[1]
        host = address if address not in ("0.0.0.0", "::") else _lan_address()
        shown = f"[{host}]" if ":" in host else host
        # what people type: this laptop's address, or the proxy's public address
        self.url = (public_url.rstrip("/") + "/" if public_url
                    else f"{'https' if self.ssl else 'http'}://{shown}:{self.port}"
                         f"{self.room.base_url}")
        self.room.join_link = self.url
        workshops = self.room.workshops
        self.facilitator_url = f"{self.url}f/{workshops.facilitator_link(workshop_id)}/"
        self.projector_url = f"{self.url}r/{workshops.projector_link(workshop_id)}/"
        self.room.projector_link = self.projector_url
        self._loop: tornado.ioloop.IOLoop | None = None
        self._thread = None

    def _serve(self) -> None:
        server = tornado.httpserver.HTTPServer(make_app(self.room), max_body_size=MAX_BODY,
                                               xheaders=False, ssl_options=self.ssl)
        server.add_sockets(self.sockets)
        self._server = server

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._serve()
        self._loop = tornado.ioloop.IOLoop.current()
        self._stopped = asyncio.Event()
        await self._stopped.wait()
        self._server.stop()
        await self._server.close_all_connections()

    def start(self) -> WorkshopServer:
        import threading

        ready = threading.Event()

        def main() -> None:
            async def go() -> None:
                self._serve()
                self._loop = tornado.ioloop.IOLoop.current()
                self._stopped = asyncio.Event()
                ready.set()
                await self._stopped.wait()
                self._server.stop()

            asyncio.run(go())

        self._thread = threading.Thread(target=main, name="workshop-server", daemon=True)
        self._thread.start()
        ready.wait(30)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.add_callback(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)
        self.room.pool.shutdown(wait=False)

    def __enter__(self) -> WorkshopServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _lan_address() -> str:
    """This laptop's address on the room's network, for the join link (no packet is
    sent: connecting a UDP socket only picks the outgoing interface)."""
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, never contacted
        return probe.getsockname()[0]
    except OSError:
        return socket.gethostname()
    finally:
        probe.close()
