"""Moving couples in and out of a store: versioned JSON and a tidy CSV.

Written against the ``SessionStore`` interface only. An import is checked
completely before anything is written, so a bad file leaves the store as it
was; an export is written to a private temporary file and renamed into place,
so a full disk never leaves half a file behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from ..content import Content, ContentError, content_for
from ..files import private_writer
from ..responses import (
    MAX_TEXT,
    PARTNERS,
    AnswerError,
    AnswerKey,
    Couple,
    clean_name,
    clean_text,
    slugify,
    validate_answer,
    validate_date,
)
from .base import (
    AnswerRecord,
    CoupleRecord,
    PlanRowRecord,
    SessionRecord,
    SessionStore,
    StoreError,
)

__all__ = [
    "CSV_HEADER",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "export_couple",
    "export_csv",
    "export_json",
    "import_couple",
    "read_export",
]

EXPORT_FORMAT = "couples-toolkit/couple"
# 2: plan rows record the session they were carried from;
# 3: each session records the worksheet versions it was answered with, and its options;
# 4: each origins note says whether it is "shared" with the other partner; the safety
#    screen is included only on request ("safety": "included" or "left out")
EXPORT_VERSION = 4
CSV_HEADER = ["couple_id", "partner_a", "partner_b", "session", "date", "worksheet",
              "partner", "partner_name", "item", "row", "field", "value", "updated_at"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")
MAX_IMPORT_BYTES = 64 * 1024 * 1024  # far above any couple's export; a guard, not a limit in use
MAX_NUMBER = 1_000_000  # session numbers and plan rows: far above any real one


def short(value: Any, limit: int = 60) -> str:
    """A value for an error message, cut short: a message is one line, whatever came in."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_shared_flag(key: AnswerKey) -> bool:
    return key.worksheet == "origins" and key.field == "shared"


def record_to_dict(record: CoupleRecord, content: Content, *, include_safety: bool = False
                   ) -> dict[str, Any]:
    c = record.couple
    sessions = []
    for s in record.sessions:
        shared = {(a.key.partner, a.key.item) for a in s.answers
                  if _is_shared_flag(a.key) and a.value is True}
        rows = []
        for r in s.plan_rows:
            row: dict[str, Any] = {"section": r.section, "row": r.row, "created_at": r.created_at}
            if r.origin_session is not None:
                row["origin_session"] = r.origin_session
                row["origin_row"] = r.origin_row
            rows.append(row)
        sessions.append({
            "number": s.number,
            "date": s.date,
            "facilitator": s.facilitator,
            "created_at": s.created_at,
            "worksheets": dict(s.worksheets),
            "options": dict(s.options),
            "plan_rows": rows,
            "answers": [
                _answer_dict(a, shared) for a in s.answers
                if not _is_shared_flag(a.key)
                and (include_safety or a.key.worksheet != "safety")
            ],
        })
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "safety": "included" if include_safety else "left out",
        "worksheets": content.versions,
        "couple": {"id": c.id, "partner_a": c.partner_a, "partner_b": c.partner_b,
                   "notes": c.notes, "created_at": c.created_at},
        "sessions": sessions,
    }


def _answer_dict(a: AnswerRecord, shared: set[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {"worksheet": a.key.worksheet, "partner": a.key.partner,
                           "item": a.key.item, "row": a.key.row, "field": a.key.field,
                           "value": a.value, "updated_at": a.updated_at}
    if a.key.worksheet == "origins" and a.key.field == "notes":
        out["shared"] = (a.key.partner, a.key.item) in shared
    return out


def export_couple(store: SessionStore, couple_id: str, *, include_safety: bool = False
                  ) -> dict[str, Any]:
    """The couple as a versioned, self-describing dictionary (JSON-ready). Every note
    says whether it is shared; the private safety screen is left out unless asked for."""
    return record_to_dict(store.couple_record(couple_id), store.content,
                          include_safety=include_safety)


def export_json(store: SessionStore, couple_id: str, path: str | os.PathLike[str], *,
                include_safety: bool = False) -> Path:
    """Write the export privately (0600); an existing file is never overwritten."""
    text = json.dumps(export_couple(store, couple_id, include_safety=include_safety),
                      ensure_ascii=False, indent=2) + "\n"
    with private_writer(path) as fh:
        fh.write(text.encode("utf-8"))
    return Path(path)


def read_export(path: str | os.PathLike[str]) -> Any:
    """Read an export file, refusing what is not one in bounded time and memory: a
    folder or device, a file too large to be an export, broken text or JSON."""
    source = Path(path)
    try:
        if source.is_dir():
            raise StoreError(f"{source}: is a folder, not an export file; nothing was imported")
        if source.exists() and not source.is_file():
            raise StoreError(f"{source}: is not a regular file (a device or pipe?); nothing "
                             "was imported")
        with source.open("rb") as fh:
            raw = fh.read(MAX_IMPORT_BYTES + 1)
    except FileNotFoundError:
        raise StoreError(f"{source}: file not found") from None
    except PermissionError:
        raise StoreError(f"{source}: this file cannot be read (no permission)") from None
    except OSError as exc:
        raise StoreError(f"{source}: cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_IMPORT_BYTES:
        raise StoreError(f"{source}: larger than {MAX_IMPORT_BYTES // 2**20} MB, far more than "
                         "any couple's export; nothing was imported")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise StoreError(f"{source}: not a toolkit export (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise StoreError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise StoreError(f"{source}: nested far too deeply to be a toolkit export; nothing was "
                         "imported") from None
    except ValueError as exc:  # e.g. a number with thousands of digits
        raise StoreError(f"{source}: not a toolkit export ({str(exc)[:90]}); nothing was "
                         "imported") from None


def import_couple(
    store: SessionStore, data: Mapping[str, Any] | str | os.PathLike[str], *,
    couple_id: str | None = None,
) -> Couple:
    """Add an exported couple. Everything is checked first; on any problem nothing
    is written. ``couple_id`` imports under a new id (e.g. a second copy)."""
    source = "import"
    if not isinstance(data, Mapping):
        source = str(data)
        data = read_export(data)
    record = parse_export(data, store.content, source)
    cid = slugify(couple_id) if couple_id else record.couple.id
    try:
        return store.insert_couple_record(record, cid)
    except StoreError as exc:
        if "already in the store" in str(exc):
            raise StoreError(f"{source}: {exc}") from None
        raise


def parse_export(data: Any, content: Content, source: str) -> CoupleRecord:
    """Check an export completely; returns it as a record or raises StoreError."""

    def fail(where: str, message: str) -> StoreError:
        return StoreError(f"{source}: {where}: {message}; nothing was imported")

    def mapping(value: Any, where: str, keys: set[str], optional: set[str] = frozenset()
                ) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise fail(where, "expected an object")
        missing = sorted(keys - set(value))
        if missing:
            raise fail(where, f"missing field '{missing[0]}'")
        extra = sorted(map(str, set(value) - keys - optional))
        if extra:
            raise fail(where, f"unknown field {short(extra[0])}")
        return value

    def text(value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise fail(where, f"expected text, got {type(value).__name__}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise fail(where, "contains a broken character (an unpaired surrogate)") from None
        if len(value) > MAX_TEXT + 1000:
            raise fail(where, f"text of {len(value):,} characters is longer than any answer")
        return value

    def whole(value: Any, where: str, lo: int = 0, hi: int = MAX_NUMBER) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            shown = value if isinstance(value, int) and abs(value) < 10**12 else "a number"
            raise fail(where, f"expected a whole number from {lo} to {hi:,}, got "
                       f"{short(shown)}")
        return value

    if not isinstance(data, Mapping) or data.get("format") != EXPORT_FORMAT:
        raise StoreError(f"{source}: not a couple export from this toolkit; nothing was imported")
    top = mapping(data, "file", {"format", "version", "worksheets", "couple", "sessions"},
                  {"safety"})
    version = top["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise fail("version", f"expected a whole number, got {short(version)}")
    if version > EXPORT_VERSION:
        raise fail("version", f"written by a newer toolkit (format {short(version)}; this one "
                   f"reads up to {EXPORT_VERSION})")
    def content_of(versions: Any, where: str) -> Content:
        if not isinstance(versions, Mapping) or not versions or not all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                for k, v in versions.items()):
            raise fail(where, "expected worksheet names with their version numbers")
        try:
            return content_for(versions, content.folder)
        except ContentError:
            raise fail(where, f"made with worksheet versions {short(dict(versions), 120)}, "
                       f"which are not available here (in use: {content.versions!r})") from None

    default_content = content_of(top["worksheets"], "worksheets")
    couple = mapping(top["couple"], "couple", {"id", "partner_a", "partner_b", "notes",
                                                "created_at"})
    row_extra = {"origin_session", "origin_row"} if version >= 2 else set()
    session_extra = {"worksheets", "options"} if version >= 3 else set()
    sessions: list[SessionRecord] = []
    try:
        if text(couple["id"], "couple.id") != slugify(couple["id"]):
            raise fail("couple.id", f"{couple['id']!r} is not a valid couple id")
        the_couple = Couple(
            couple["id"], clean_name(couple["partner_a"], "couple.partner_a"),
            clean_name(couple["partner_b"], "couple.partner_b"),
            clean_text(couple["notes"], "couple.notes"),
            text(couple["created_at"], "couple.created_at"),
        )
        if not isinstance(top["sessions"], list):
            raise fail("sessions", "expected a list")
        numbers: set[int] = set()
        for i, s in enumerate(top["sessions"], start=1):
            where = f"sessions[{i}]"
            s = mapping(s, where, {"number", "date", "facilitator", "created_at",
                                   "plan_rows", "answers"}, session_extra)
            declared = s["worksheets"] if "worksheets" in s else top["worksheets"]
            session_content = (content_of(s["worksheets"], f"{where}.worksheets")
                               if "worksheets" in s else default_content)
            options = s.get("options", {})
            if not isinstance(options, Mapping) or any(
                    k != "shuffle_items" or not isinstance(v, bool) for k, v in options.items()):
                raise fail(f"{where}.options", "expected {\"shuffle_items\": true or false}")
            number = whole(s["number"], f"{where}.number", 1)
            if number in numbers:
                raise fail(f"{where}.number", f"session {number} appears twice")
            numbers.add(number)
            date = validate_date(s["date"], f"{where}.date", allow_empty=False)
            who = clean_text(s["facilitator"], f"{where}.facilitator", limit=200)
            created = text(s["created_at"], f"{where}.created_at")
            if not isinstance(s["plan_rows"], list) or not isinstance(s["answers"], list):
                raise fail(where, "plan_rows and answers must be lists")
            rows: dict[tuple[str, int], PlanRowRecord] = {}
            for j, r in enumerate(s["plan_rows"], start=1):
                rw = f"{where}.plan_rows[{j}]"
                r = mapping(r, rw, {"section", "row", "created_at"}, row_extra)
                section = text(r["section"], f"{rw}.section")
                plan = session_content.boundaries
                if section not in plan.ids or plan.section(section).kind != "table":
                    raise fail(f"{rw}.section", f"unknown plan table {section!r}")
                key = (section, whole(r["row"], f"{rw}.row", 1))
                if key in rows:
                    raise fail(rw, f"row {key[1]} of {section!r} appears twice")
                origin = (None, None)
                if "origin_session" in r or "origin_row" in r:
                    origin = (whole(r.get("origin_session"), f"{rw}.origin_session", 1),
                              whole(r.get("origin_row"), f"{rw}.origin_row", 1))
                rows[key] = PlanRowRecord(section, key[1], text(r["created_at"],
                                                                 f"{rw}.created_at"), *origin)
            answers: dict[AnswerKey, AnswerRecord] = {}
            for j, a in enumerate(s["answers"], start=1):
                aw = f"{where}.answers[{j}]"
                a = mapping(a, aw, {"worksheet", "partner", "item", "row", "field", "value",
                                    "updated_at"}, {"shared"} if version >= 4 else set())
                key = AnswerKey(text(a["worksheet"], aw), text(a["partner"], aw),
                                text(a["item"], aw), whole(a["row"], f"{aw}.row"),
                                text(a["field"], aw))
                if key in answers:
                    raise fail(aw, f"{key.describe()} appears twice")
                if a["value"] is None:
                    raise fail(f"{aw}.value", "an answer must have a value")
                if validate_answer(session_content, key, a["value"]) != a["value"]:
                    raise fail(f"{aw}.value", f"{short(a['value'])} is not in its stored form")
                if key.worksheet == "boundaries" and key.row and (key.item, key.row) not in rows:
                    raise fail(aw, f"{key.describe()} refers to a plan row that does not exist")
                answers[key] = AnswerRecord(key, a["value"], text(a["updated_at"],
                                                                   f"{aw}.updated_at"))
                if "shared" in a:
                    if not isinstance(a["shared"], bool) or key.field != "notes" or \
                            key.worksheet != "origins":
                        raise fail(f"{aw}.shared", "only an origins note can be shared, "
                                   "with true or false")
                    if a["shared"]:
                        flag = key._replace(field="shared")
                        answers[flag] = AnswerRecord(flag, True, a["updated_at"])
            sessions.append(SessionRecord(number, date, who, created, tuple(rows.values()),
                                          tuple(answers.values()),
                                          dict(declared), dict(options)))
    except AnswerError as exc:
        raise StoreError(f"{source}: {exc}; nothing was imported") from None
    return CoupleRecord(the_couple, tuple(sorted(sessions, key=lambda s: s.number)))


# --- CSV --------------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in FORMULA_START:
        return "'" + value
    return value


def csv_rows(store: SessionStore, couple_id: str | None = None, *,
             include_safety: bool = False) -> Iterator[list[Any]]:
    """Every answer as one row, a couple at a time (memory stays flat however big
    the store is). The private safety screen is left out unless asked for."""
    ids = [store.couple(couple_id).id] if couple_id else [c.id for c in store.couples()]
    for cid in ids:
        record = store.couple_record(cid)
        c = record.couple
        for s in record.sessions:
            for a in s.answers:
                k = a.key
                if k.worksheet == "safety" and not include_safety:
                    continue
                # the couple's plan and the facilitator's confirmation belong to no partner
                name = c.name(k.partner) if k.partner in PARTNERS else ""
                value = a.value
                if isinstance(value, bool):
                    value = "true" if value else "false"
                yield [safe_cell(cell) for cell in (
                    c.id, c.partner_a, c.partner_b, s.number, s.date, k.worksheet, k.partner,
                    name, k.item, k.row, k.field, value, a.updated_at)]


def write_csv(store: SessionStore, fh: IO[str], couple_id: str | None = None, *,
              include_safety: bool = False) -> None:
    out = csv.writer(fh)
    out.writerow(CSV_HEADER)
    for row in csv_rows(store, couple_id, include_safety=include_safety):
        out.writerow(row)


def export_csv(store: SessionStore, target: str | os.PathLike[str] | IO[str],
               couple_id: str | None = None, *, include_safety: bool = False) -> None:
    """All answers as one tidy table: a row per answer, for spreadsheets or pandas.

    Written as it is read, a couple at a time. Text that a spreadsheet would
    run as a formula gets a leading apostrophe, so opening the file is safe.
    """
    if not isinstance(target, (str, os.PathLike)):
        write_csv(store, target, couple_id, include_safety=include_safety)
        return
    with private_writer(target) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        write_csv(store, text, couple_id, include_safety=include_safety)
        text.flush()
        text.detach()
