"""What a session collects, as plain data with no widgets and no storage.

Every answer is addressed by the same five-part key (worksheet, partner, item,
row, field), so the store can save any single change in one small write, and
one validation function guards the widgets, the command line and imports alike.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .content import RESONANCE_MAX, RESONANCE_MIN, Content

__all__ = [
    "AnswerError",
    "AnswerKey",
    "COUPLE",
    "Couple",
    "FACILITATOR",
    "MAX_NAME",
    "MAX_TEXT",
    "PARTNERS",
    "SessionData",
    "SessionInfo",
    "WORKSHEETS",
    "clean_name",
    "clean_text",
    "slugify",
    "validate_answer",
    "validate_date",
]

PARTNERS = ("a", "b")
COUPLE = "couple"
FACILITATOR = "facilitator"
WORKSHEETS = ("spectrum", "origins", "boundaries", "safety")
MAX_NAME = 80
MAX_TEXT = 200_000  # characters; a long letter fits, a pasted book does not


class AnswerError(ValueError):
    """An answer, name or date that cannot be stored; says what and where."""


class AnswerKey(NamedTuple):
    worksheet: str
    partner: str
    item: str
    row: int
    field: str

    def describe(self) -> str:
        where = f"{self.worksheet} / {self.partner} / {self.item}"
        if self.row:
            where += f" / row {self.row}"
        return f"{where} / {self.field}"


@dataclass(frozen=True)
class Couple:
    id: str
    partner_a: str
    partner_b: str
    notes: str = ""
    created_at: str = ""

    def name(self, partner: str) -> str:
        if partner == "a":
            return self.partner_a
        if partner == "b":
            return self.partner_b
        raise AnswerError(f"unknown partner {partner!r}: expected 'a' or 'b'")


@dataclass(frozen=True)
class SessionInfo:
    """A session's details. ``worksheets`` holds the versions of the worksheets it
    was answered with, so it is always shown with its own wording; ``options`` the
    facilitator's settings for it (``shuffle_items``: each partner sees the
    spectrum in their own order)."""

    id: int
    couple_id: str
    number: int
    date: str
    facilitator: str = ""
    created_at: str = ""
    worksheets: Mapping[str, int] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def shuffle_items(self) -> bool:
        return bool(self.options.get("shuffle_items", True))


@dataclass(frozen=True)
class SessionData:
    """Everything saved for one session, as the store returns it.

    ``row_origins`` maps a plan row that was carried forward from an earlier
    session to where it was first written: (session number, row there). The
    pair stays the same however often the row is carried, so a small risk can
    be followed across every session it appears in.
    """

    info: SessionInfo
    couple: Couple
    answers: Mapping[AnswerKey, Any] = field(default_factory=dict)
    plan_rows: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    row_origins: Mapping[tuple[str, int], tuple[int, int]] = field(default_factory=dict)

    def spectrum(self, partner: str) -> dict[str, int]:
        """Item id -> position for the items this partner has answered."""
        return {
            k.item: v
            for k, v in self.answers.items()
            if k.worksheet == "spectrum" and k.partner == partner and v is not None
        }

    def origin(self, partner: str, section: str) -> tuple[int | None, str]:
        resonance = self.answers.get(AnswerKey("origins", partner, section, 0, "resonance"))
        notes = self.answers.get(AnswerKey("origins", partner, section, 0, "notes"), "")
        return resonance, notes

    def shared(self, partner: str, section: str) -> bool:
        """Whether a partner has chosen to share this note with the other (private by
        default)."""
        return self.answers.get(AnswerKey("origins", partner, section, 0, "shared")) is True

    def safety(self, partner: str) -> dict[str, str]:
        """Question id -> the option a partner chose on the safety screen."""
        return {k.item: v for k, v in self.answers.items()
                if k.worksheet == "safety" and k.partner == partner and k.field == "answer"}

    @property
    def safety_confirmed(self) -> bool:
        """The facilitator confirmed they spoke with each partner on their own."""
        key = AnswerKey("safety", FACILITATOR, "review", 0, "confirmed")
        return self.answers.get(key) is True

    def plan(self, section: str) -> list[dict[str, Any]]:
        """Rows of a plan table in the order they were added, each with its ``row`` id
        and, for a row carried forward, ``from_session`` (where it was first written)."""
        rows = []
        for row in self.plan_rows.get(section, ()):
            values: dict[str, Any] = {"row": row}
            origin = self.row_origins.get((section, row))
            if origin is not None:
                values["from_session"] = origin[0]
            for k, v in self.answers.items():
                if k.worksheet == "boundaries" and k.item == section and k.row == row:
                    values[k.field] = v
            rows.append(values)
        return rows

    def plan_value(self, section: str, field_id: str = "date") -> Any:
        return self.answers.get(AnswerKey("boundaries", COUPLE, section, 0, field_id))


def slugify(text: str) -> str:
    """A readable id from pseudonyms; keeps letters of any script."""
    text = unicodedata.normalize("NFKC", text).casefold()
    slug = re.sub(r"[^\w]+", "-", text).strip("-_")
    return slug[:60].strip("-") or "couple"


def clean_text(value: Any, where: str, *, limit: int = MAX_TEXT) -> str:
    """Free text as typed, checked for type and size only.

    Markup, emoji and right-to-left scripts are kept exactly; escaping is the
    job of whatever displays the text.
    """
    if not isinstance(value, str):
        raise AnswerError(f"{where}: expected text, got {type(value).__name__}")
    if "\x00" in value:
        raise AnswerError(f"{where}: contains a NUL character, which cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AnswerError(f"{where}: contains a broken character (an unpaired surrogate at "
                          f"position {exc.start + 1}); it cannot be stored") from None
    if len(value) > limit:
        raise AnswerError(
            f"{where}: text is {len(value):,} characters long; the limit is {limit:,}"
        )
    return value


def clean_name(value: Any, where: str) -> str:
    """A pseudonym: one line, not empty, trimmed."""
    text = clean_text(value, where, limit=MAX_NAME).strip()
    if not text:
        raise AnswerError(f"{where}: a name is needed (a pseudonym is fine)")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise AnswerError(f"{where}: a name must be a single line without control characters")
    return text


def validate_date(value: Any, where: str, *, allow_empty: bool = True) -> str:
    """An ISO date (YYYY-MM-DD), or empty when the date is not set yet."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise AnswerError(f"{where}: expected a date as YYYY-MM-DD, got {type(value).__name__}")
    value = value.strip()
    if not value and allow_empty:
        return ""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise AnswerError(f"{where}: {value!r} is not a date in the form YYYY-MM-DD") from None


def _whole(value: Any, lo: int, hi: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnswerError(f"{where}: expected a whole number {lo}..{hi}, got {value!r}")
    if not lo <= value <= hi:
        raise AnswerError(f"{where}: {value} is out of range {lo}..{hi}")
    return value


def validate_answer(content: Content, key: AnswerKey, value: Any) -> Any:
    """Check one answer against the worksheets and return the value to store.

    ``None`` clears an answer (a slider set back to "not answered yet").
    """
    key = AnswerKey(*key)
    where = key.describe()
    ws, partner, item, row, fld = key
    if ws not in WORKSHEETS:
        raise AnswerError(f"{where}: unknown worksheet {ws!r}")
    if ws == "boundaries":
        if partner != COUPLE:
            raise AnswerError(f"{where}: the boundary plan belongs to the couple, not {partner!r}")
    elif ws == "safety" and partner == FACILITATOR:
        if (item, row, fld) != ("review", 0, "confirmed"):
            raise AnswerError(f"{where}: the facilitator's part of the safety screen holds "
                              "only 'review / confirmed'")
        if value is not None and not isinstance(value, bool):
            raise AnswerError(f"{where}: expected yes or no (true/false), got {value!r}")
        return value
    elif partner not in PARTNERS:
        raise AnswerError(f"{where}: unknown partner {partner!r}: expected 'a' or 'b'")
    if isinstance(row, bool) or not isinstance(row, int) or row < 0:
        raise AnswerError(f"{where}: row must be a whole number 0 or more")

    if ws == "spectrum":
        if item not in content.spectrum.ids:
            raise AnswerError(f"{where}: unknown spectrum item {item!r}")
        if fld != "position" or row:
            raise AnswerError(f"{where}: a spectrum item has only a 'position'")
        if value is None:
            return None
        return _whole(value, content.spectrum.scale_min, content.spectrum.scale_max, where)

    if ws == "origins":
        if item not in content.origins.ids:
            raise AnswerError(f"{where}: unknown origin section {item!r}")
        if row:
            raise AnswerError(f"{where}: origin sections have no rows")
        if fld == "resonance":
            return None if value is None else _whole(value, RESONANCE_MIN, RESONANCE_MAX, where)
        if fld == "notes":
            return clean_text("" if value is None else value, where)
        if fld == "shared":
            if value is not None and not isinstance(value, bool):
                raise AnswerError(f"{where}: expected yes or no (true/false), got {value!r}")
            return value
        raise AnswerError(f"{where}: an origin section has 'resonance', 'notes' and "
                          f"'shared', not {fld!r}")

    if ws == "safety":
        screen = content.safety
        if screen is None:
            raise AnswerError(f"{where}: these worksheets have no safety screen")
        if item not in screen.ids:
            raise AnswerError(f"{where}: unknown safety question {item!r}")
        if row or fld != "answer":
            raise AnswerError(f"{where}: a safety question has only an 'answer'")
        if value is None:
            return None
        options = [o.id for o in screen.question(item).options]
        if value not in options:
            raise AnswerError(f"{where}: expected one of {', '.join(options)}, got {value!r}")
        return value

    if item not in content.boundaries.ids:
        raise AnswerError(f"{where}: unknown plan section {item!r}")
    section = content.boundaries.section(item)
    if section.kind == "date":
        if row or fld != "date":
            raise AnswerError(f"{where}: section {item!r} holds a single 'date'")
        return validate_date("" if value is None else value, where)
    if row < 1:
        raise AnswerError(f"{where}: plan table rows are numbered from 1")
    try:
        column = section.column(fld)
    except KeyError:
        names = ", ".join(c.id for c in section.columns)
        raise AnswerError(f"{where}: unknown column {fld!r} (expected one of {names})") from None
    if column.type == "check":
        if value is None:
            return None
        if not isinstance(value, bool):
            raise AnswerError(f"{where}: expected yes or no (true/false), got {value!r}")
        return value
    if value is None:
        value = ""
    if column.type == "partner":
        if value not in ("", "a", "b", "both"):
            raise AnswerError(f"{where}: expected 'a', 'b', 'both' or empty, got {value!r}")
        return value
    if column.type == "date":
        return validate_date(value, where)
    return clean_text(value, where)
