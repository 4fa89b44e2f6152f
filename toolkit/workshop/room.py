"""A workshop's couples, their private links, and the room's anonymous picture.

Workshop couples are ordinary couples in the store, tagged with the workshop,
so a follow-up session can continue with any of them. Each partner has a link
of their own carrying an unguessable token; only the token's SHA-256 digest is
kept, so the store file alone opens nobody's pages. Closing a workshop stops
every link at once.

The room's picture is built for a projector: per item, how many people stand at
each position, shown only once at least ``K_MIN`` couples have answered that
item (below that, a few dots could be matched to the few couples who answered).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..content import Content, SpectrumItem
from ..responses import AnswerError, Couple, clean_name, slugify, validate_date
from ..store import SQLiteStore, StoreError

__all__ = [
    "K_MIN",
    "PARTS",
    "Access",
    "ItemStrip",
    "Member",
    "RoomPicture",
    "Workshop",
    "WorkshopClosedError",
    "WorkshopError",
    "Workshops",
    "room_picture",
    "seed_demo_workshop",
]

K_MIN = 5  # couples who must have answered an item before the room sees it
TOKEN_BYTES = 24  # 192 bits from the operating system's secure source
# the facilitator opens each for the room; the reveal too, so that a couple held back for
# a private word looks like every other couple until then
PARTS = ("spectrum", "reveal", "origins", "plan")
FACILITATOR = "facilitator"


class WorkshopError(StoreError):
    """A workshop that does not exist, or a request it cannot serve; one sentence."""


class WorkshopClosedError(WorkshopError):
    """The workshop was closed: its links no longer open anything."""


@dataclass(frozen=True)
class Workshop:
    id: str
    name: str
    date: str
    state: str
    open_parts: tuple[str, ...]
    created_at: str

    @property
    def closed(self) -> bool:
        return self.state == "closed"


@dataclass(frozen=True)
class Member:
    """One couple in a workshop, with the session their answers go to.

    ``concern_at`` is when a partner last gave an answer of concern on the safety
    screen (it stays, even if the answer is changed afterwards); ``confirmed_at`` when
    the facilitator last confirmed they had spoken with each partner alone. The couple
    is held back from the reveal while a concern is newer than the confirmation."""

    couple: Couple
    session_id: int
    revealed: Mapping[str, bool]
    concern_at: str | None = None
    confirmed_at: str | None = None

    @property
    def held(self) -> bool:
        return self.concern_at is not None and (
            self.confirmed_at is None or self.confirmed_at < self.concern_at)


@dataclass(frozen=True)
class Access:
    """What one link opens: a partner's pages (``role`` "a" or "b") or the
    facilitator's."""

    workshop: Workshop
    role: str
    couple_id: str | None = None
    session_id: int | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> str:
    # microseconds: a concern and a confirmation in the same second must still be ordered
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class Workshops:
    """Workshops kept in a session store (the same file as every couple)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    # The store's connection and lock are shared on purpose: a workshop's writes and
    # its couples' answers are one file, one transaction discipline.
    def _read(self, sql: str, args: Sequence = ()) -> list[tuple]:
        with self.store._lock:
            return self.store._conn.execute(sql, tuple(args)).fetchall()

    def _row(self, row: tuple) -> Workshop:
        wid, name, date, state, parts, created = row
        return Workshop(wid, name, date, state, tuple(json.loads(parts)), created)

    def all(self) -> list[Workshop]:
        return [self._row(r) for r in self._read(
            "SELECT id, name, date, state, open_parts, created_at FROM workshops ORDER BY "
            "date, id")]

    def get(self, name_or_id: str) -> Workshop:
        """A workshop by its id or its name (as typed when it was created)."""
        rows = self._read("SELECT id, name, date, state, open_parts, created_at FROM workshops "
                          "WHERE id=? OR name=? OR id=?",
                          (name_or_id, name_or_id, slugify(name_or_id)))
        if not rows:
            known = ", ".join(w.name for w in self.all()) or "none yet"
            raise WorkshopError(f"there is no workshop called {name_or_id!r} (workshops: "
                                f"{known}); create it with: python -m toolkit workshop create "
                                "NAME")
        return self._row(rows[0])

    def create(self, name: str, date: str | dt.date | None = None) -> Workshop:
        name = clean_name(name, "workshop name")
        day = validate_date(date or dt.date.today(), "workshop date", allow_empty=False)
        wid = slugify(name)
        with self.store._lock, self.store._transaction() as conn:
            if conn.execute("SELECT 1 FROM workshops WHERE id=?", (wid,)).fetchone():
                raise WorkshopError(f"a workshop called {name!r} already exists")
            conn.execute("INSERT INTO workshops (id, name, date, state, open_parts, created_at) "
                         "VALUES (?,?,?,?,?,?)",
                         (wid, name, day, "open", json.dumps(["spectrum"]), _now()))
        return self.get(wid)

    def _open(self, workshop_id: str) -> Workshop:
        workshop = self.get(workshop_id)
        if workshop.closed:
            raise WorkshopClosedError(f"the workshop {workshop.name!r} is closed")
        return workshop

    def open_part(self, workshop_id: str, part: str) -> Workshop:
        """Open the next part (origins, plan) for the whole room."""
        if part not in PARTS:
            raise WorkshopError(f"unknown part {part!r} (expected one of {', '.join(PARTS)})")
        workshop = self._open(workshop_id)
        parts = [p for p in PARTS if p in workshop.open_parts or p == part]
        with self.store._lock, self.store._transaction() as conn:
            conn.execute("UPDATE workshops SET open_parts=? WHERE id=?",
                         (json.dumps(parts), workshop.id))
        return self.get(workshop.id)

    def close(self, workshop_id: str) -> Workshop:
        """Close the workshop: every link it handed out stops working. The couples and
        their answers stay (the couples can open nothing more; the facilitator can still
        export them or continue with a follow-up session). There is no reopening."""
        workshop = self.get(workshop_id)
        with self.store._lock, self.store._transaction() as conn:
            # the links are kept only to tell whoever opens one that it has closed
            conn.execute("UPDATE workshops SET state='closed' WHERE id=?", (workshop.id,))
        return self.get(workshop.id)

    def delete(self, workshop_id: str) -> list[str]:
        """Delete the workshop and every couple in it, scrubbed like any couple.
        Returns the couple ids deleted."""
        workshop = self.get(workshop_id)
        couples = [m.couple.id for m in self.members(workshop.id)]
        for couple_id in couples:
            self.store.delete_couple(couple_id)
        with self.store._lock, self.store._transaction() as conn:
            conn.execute("DELETE FROM workshops WHERE id=?", (workshop.id,))
        self.store._scrub()
        return couples

    # --- links -----------------------------------------------------------------

    def _issue(self, conn, workshop_id: str, role: str, couple_id: str | None) -> str:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        conn.execute("INSERT INTO workshop_tokens VALUES (?,?,?,?)",
                     (_digest(token), workshop_id, couple_id, role))
        return token

    def facilitator_link(self, workshop_id: str) -> str:
        """A new facilitator token; the previous one stops working (each time the
        workshop is served, a fresh one is printed)."""
        workshop = self._open(workshop_id)
        with self.store._lock, self.store._transaction() as conn:
            conn.execute("DELETE FROM workshop_tokens WHERE workshop_id=? AND role=?",
                         (workshop.id, FACILITATOR))
            return self._issue(conn, workshop.id, FACILITATOR, None)

    def projector_link(self, workshop_id: str) -> str:
        """A new token for the projector view (it shows only the anonymous room);
        the previous one stops working."""
        workshop = self._open(workshop_id)
        with self.store._lock, self.store._transaction() as conn:
            conn.execute("DELETE FROM workshop_tokens WHERE workshop_id=? AND role=?",
                         (workshop.id, "projector"))
            return self._issue(conn, workshop.id, "projector", None)

    def join(self, workshop_id: str, partner_a: str, partner_b: str) -> tuple[Member, str, str]:
        """A couple joins: a couple and a session in the store, partner A's private token,
        and a one-time pairing token that partner B opens on their own phone to get
        theirs (so the phone that joined never holds B's token). Returns (member,
        token for A, pairing token for B)."""
        workshop = self._open(workshop_id)
        couple = self.store.create_couple(partner_a, partner_b)
        try:
            info = self.store.new_session(couple.id, date=workshop.date)
            with self.store._lock, self.store._transaction() as conn:
                conn.execute("INSERT INTO workshop_couples (workshop_id, couple_id, joined_at) "
                             "VALUES (?,?,?)", (workshop.id, couple.id, _now()))
                token_a = self._issue(conn, workshop.id, "a", couple.id)
                pair = self._issue(conn, workshop.id, "pair-b", couple.id)
        except BaseException:
            self.store.delete_couple(couple.id)
            raise
        return Member(couple, info.id, {"a": False, "b": False}), token_a, pair

    def pair_open(self, pair: str, couple_id: str) -> bool:
        """Whether this pairing token is still unused and belongs to this couple."""
        try:
            found = self.resolve(pair)
        except WorkshopError:
            return False
        return found.role == "pair-b" and found.couple_id == couple_id

    def redeem_pair(self, pair: str) -> str:
        """Partner B opens their pairing link: it is used up, and B's own token issued."""
        found = self.resolve(pair)
        if found.role != "pair-b":
            raise WorkshopError("this link is not valid (check it was copied whole)")
        with self.store._lock, self.store._transaction() as conn:
            gone = conn.execute("DELETE FROM workshop_tokens WHERE digest=?",
                                (_digest(pair),)).rowcount
            if not gone:  # opened twice at once: only the first one counts
                raise WorkshopError("this link was used already; ask your facilitator")
            conn.execute("DELETE FROM workshop_tokens WHERE couple_id=? AND role='b'",
                         (found.couple_id,))
            return self._issue(conn, found.workshop.id, "b", found.couple_id)

    def new_partner_link(self, couple_id: str, partner: str) -> str:
        """A lost phone or closed tab: a fresh link for one partner (the old one stops)."""
        member = self.member(couple_id)
        workshop_id = self._read("SELECT workshop_id FROM workshop_couples WHERE couple_id=?",
                                 (member.couple.id,))[0][0]
        self._open(workshop_id)
        if partner not in ("a", "b"):
            raise AnswerError(f"unknown partner {partner!r}")
        with self.store._lock, self.store._transaction() as conn:
            conn.execute("DELETE FROM workshop_tokens WHERE couple_id=? AND role IN (?, ?)",
                         (couple_id, partner, f"pair-{partner}"))
            return self._issue(conn, workshop_id, partner, couple_id)

    def resolve(self, token: str) -> Access:
        """What a token opens. Unknown, malformed and closed-workshop tokens are refused
        with the same words, so a guess learns nothing."""
        if not isinstance(token, str) or not 20 <= len(token) <= 64 or not all(
                c.isalnum() or c in "-_" for c in token):
            raise WorkshopError("this link is not valid (check it was copied whole)")
        rows = self._read(
            "SELECT t.workshop_id, t.role, t.couple_id FROM workshop_tokens t "
            "WHERE t.digest=?", (_digest(token),))
        if not rows:
            raise WorkshopError("this link is not valid (check it was copied whole)")
        workshop_id, role, couple_id = rows[0]
        workshop = self.get(workshop_id)
        if workshop.closed:
            raise WorkshopClosedError(f"the workshop {workshop.name!r} is closed")
        if couple_id is None:  # the facilitator's and the projector's links
            return Access(workshop, role)
        session_id = self._session_of(couple_id)
        return Access(workshop, role, couple_id, session_id)

    def _session_of(self, couple_id: str) -> int:
        rows = self._read("SELECT id FROM sessions WHERE couple_id=? ORDER BY number LIMIT 1",
                          (couple_id,))
        if not rows:
            raise WorkshopError("this couple's session is gone")
        return rows[0][0]

    # --- the couples -------------------------------------------------------------

    _MEMBER_SQL = (
        "SELECT c.id, c.partner_a, c.partner_b, c.notes, c.created_at, wc.revealed_a, "
        "wc.revealed_b, (SELECT min(s.id) FROM sessions s WHERE s.couple_id = c.id), "
        "wc.concern_at, wc.confirmed_at "
        "FROM workshop_couples wc JOIN couples c ON c.id = wc.couple_id ")

    @staticmethod
    def _member(r: tuple) -> Member:
        return Member(Couple(*r[:5]), r[7], {"a": bool(r[5]), "b": bool(r[6])}, r[8], r[9])

    def members(self, workshop_id: str) -> list[Member]:
        rows = self._read(self._MEMBER_SQL + "WHERE wc.workshop_id=? ORDER BY wc.joined_at, c.id",
                          (workshop_id,))
        return [self._member(r) for r in rows]

    def note_concern(self, couple_id: str) -> None:
        """A partner gave an answer of concern: hold the couple back until the facilitator
        has spoken with each partner alone (again, if they had already)."""
        with self.store._lock, self.store._transaction() as conn:
            conn.execute("UPDATE workshop_couples SET concern_at=? WHERE couple_id=?",
                         (_now(), couple_id))

    def confirm_spoken(self, couple_id: str) -> None:
        """The facilitator has spoken with each partner alone; covers the concerns given
        so far, not any given later."""
        with self.store._lock, self.store._transaction() as conn:
            conn.execute("UPDATE workshop_couples SET confirmed_at=? WHERE couple_id=?",
                         (_now(), couple_id))

    def remove_couple(self, workshop_id: str, couple_id: str) -> None:
        """Take a couple out of the workshop for good (a couple who joined by mistake, or
        twice): deleted and scrubbed like any couple."""
        if couple_id not in {m.couple.id for m in self.members(workshop_id)}:
            raise WorkshopError(f"couple {couple_id!r} is not in this workshop")
        self.store.delete_couple(couple_id)

    def member(self, couple_id: str) -> Member:
        """One couple, read on its own: every phone asks for its couple every few
        seconds, so this never reads the whole room."""
        rows = self._read(self._MEMBER_SQL + "WHERE wc.couple_id=?", (couple_id,))
        if not rows:
            raise WorkshopError(f"couple {couple_id!r} is in no workshop")
        return self._member(rows[0])

    def reveal(self, couple_id: str, partner: str) -> Member:
        """One partner is ready to see both profiles (both must be, before either does)."""
        if partner not in ("a", "b"):
            raise AnswerError(f"unknown partner {partner!r}")
        with self.store._lock, self.store._transaction() as conn:
            conn.execute(f"UPDATE workshop_couples SET revealed_{partner}=1 WHERE couple_id=?",
                         (couple_id,))
        return self.member(couple_id)

    def spectrum_answers(self, workshop_id: str) -> dict[str, list[tuple[str, str, int]]]:
        """Item -> (couple id, partner, position) for every spectrum answer in the
        workshop."""
        rows = self._read(
            "SELECT a.item, s.couple_id, a.partner, a.value FROM answers a "
            "JOIN sessions s ON s.id = a.session_id "
            "JOIN workshop_couples wc ON wc.couple_id = s.couple_id "
            "WHERE wc.workshop_id=? AND a.worksheet='spectrum' AND a.field='position'",
            (workshop_id,))
        out: dict[str, list[tuple[str, str, int]]] = {}
        for item, couple_id, partner, value in rows:
            position = json.loads(value)
            if isinstance(position, int) and not isinstance(position, bool):
                out.setdefault(item, []).append((couple_id, partner, position))
        return out


def seed_demo_workshop(workshops: Workshops, name: str = "Demo workshop",
                       couples: int = 6) -> Workshop:
    """A workshop of invented couples who have answered the spectrum, so the projector
    has a room to show; an existing workshop of that name is left as it is."""
    import random

    try:
        return workshops.get(name)
    except WorkshopError:
        pass
    workshop = workshops.create(name)
    rng = random.Random(7)
    spectrum = workshops.store.content.spectrum
    for n in range(1, couples + 1):
        member, _, _ = workshops.join(workshop.id, f"Demo partner {n}A", f"Demo partner {n}B")
        for partner in ("a", "b"):
            lean = rng.choice((-2, -1, 0, 1, 2))
            for item in spectrum.items:
                position = max(-3, min(3, lean + rng.choice((-1, 0, 0, 1))))
                workshops.store.set_answer(
                    member.session_id, ("spectrum", partner, item.id, 0, "position"), position)
    return workshop


# --- the room's picture -----------------------------------------------------------

@dataclass(frozen=True)
class ItemStrip:
    """One item for the projector. ``counts`` maps each position to how many people
    stand there (empty while ``waiting``)."""

    item: SpectrumItem
    couples: int
    waiting: bool
    counts: Mapping[int, int]
    spread: float

    @property
    def people(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class RoomPicture:
    strips: tuple[ItemStrip, ...]
    most_spread: tuple[ItemStrip, ...]
    couples_joined: int


def room_picture(content: Content, answers: Mapping[str, Sequence[tuple[str, str, int]]],
                 couples_joined: int, *, k: int = K_MIN, n_spread: int = 3) -> RoomPicture:
    """The anonymous picture of the room: per item, counts per position (no names, no
    couple ids, nothing that pairs two people) over the couples where both partners
    have answered that item (a couple half-way through adds nothing, so one partner's
    tap cannot be watched arriving on its own), shown only once ``k`` such couples
    have; and the items where the room is most spread out."""
    spectrum = content.spectrum
    positions = range(spectrum.scale_min, spectrum.scale_max + 1)
    strips = []
    for item in spectrum.items:
        by_couple: dict[str, dict[str, int]] = {}
        for couple, partner, position in answers.get(item.id, ()):
            by_couple.setdefault(couple, {})[partner] = position
        pairs = [v for v in by_couple.values() if "a" in v and "b" in v]
        if len(pairs) < k:
            strips.append(ItemStrip(item, len(pairs), True, {}, 0.0))
            continue
        values = [p for pair in pairs for p in (pair["a"], pair["b"])]
        counts = {p: values.count(p) for p in positions}
        mean = sum(values) / len(values)
        spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        strips.append(ItemStrip(item, len(pairs), False, counts, spread))
    shown = [s for s in strips if not s.waiting]
    ranked = sorted(shown, key=lambda s: (-s.spread, spectrum.ids.index(s.item.id)))
    return RoomPicture(tuple(strips), tuple(ranked[:n_spread]), couples_joined)
