"""The session store: one SQLite file in the user's data directory.

Every answer is written in its own transaction the moment it changes, so a
dead kernel or a closed laptop loses nothing that was on screen. Files the
toolkit did not write (or cannot read) are refused with a clear message and
left exactly as they were.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .content import Content, load_content
from .responses import (
    COUPLE,
    AnswerError,
    AnswerKey,
    Couple,
    SessionData,
    SessionInfo,
    clean_name,
    clean_text,
    slugify,
    validate_answer,
    validate_date,
)

__all__ = [
    "DATA_ENV",
    "DB_NAME",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "default_data_dir",
    "write_private",
]

DATA_ENV = "TOOLKIT_DATA_DIR"
DB_NAME = "sessions.sqlite3"
APPLICATION_ID = 0x43504C54  # "CPLT": marks the file as this toolkit's
SCHEMA_VERSION = 1
EXPORT_FORMAT = "couples-toolkit/couple"
EXPORT_VERSION = 1
SQLITE_HEADER = b"SQLite format 3\x00"

# Each entry upgrades the schema from version i to i + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE couples (
        id TEXT PRIMARY KEY,
        partner_a TEXT NOT NULL,
        partner_b TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        couple_id TEXT NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        date TEXT NOT NULL,
        facilitator TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (couple_id, number)
    );
    CREATE TABLE plan_rows (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        section TEXT NOT NULL,
        row INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (session_id, section, row)
    );
    CREATE TABLE answers (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        worksheet TEXT NOT NULL,
        partner TEXT NOT NULL,
        item TEXT NOT NULL,
        row INTEGER NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (session_id, worksheet, partner, item, row, field)
    );
    """,
]


def _locked(method: Callable) -> Callable:
    """Run a Store method under the store's lock.

    Widget callbacks can arrive on the kernel's comm thread while a cell runs
    on the main thread; one connection shared under a lock keeps every
    transaction whole.
    """

    @wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class StoreError(Exception):
    """The store cannot do what was asked; the message says why and where."""


def default_data_dir() -> Path:
    """Where client data lives: outside the repository, in the user's data folder."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("couples-toolkit", appauthor=False)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _check_existing(path: Path) -> None:
    """Refuse files the toolkit cannot safely open, without writing to them."""
    if not path.exists():
        return
    if not path.is_file():
        raise StoreError(f"{path}: expected a session store file, found a folder or device")
    size = path.stat().st_size
    if size == 0:
        return
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise StoreError(
            f"{path}: not a session store (this file is not an SQLite database). "
            "It was left untouched; move it away or point TOOLKIT_DATA_DIR elsewhere."
        )
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path}: the session store is damaged and cannot be read ({exc}). "
            "It was left untouched; restore it from a backup or an exported JSON file."
        ) from None
    if check != "ok":
        raise StoreError(
            f"{path}: the session store is damaged ({check}). It was left untouched."
        )
    if app_id == 0 and version == 0 and tables == 0:
        return  # an empty SQLite file: safe to set up
    if app_id != APPLICATION_ID:
        raise StoreError(
            f"{path}: this SQLite database belongs to another program, not the toolkit. "
            "It was left untouched."
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: written by a newer version of the toolkit (schema {version}; this "
            f"version reads up to {SCHEMA_VERSION}). Update the toolkit; the file was left "
            "untouched."
        )


def _secure_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(folder.stat().st_mode) != 0o700:
        folder.chmod(0o700)


class Store:
    """Open (or create) the session store in ``data_dir``.

    ``content`` is the set of worksheets answers are validated against; by
    default the same folder the notebooks use.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        content: Content | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
        self.path = self.data_dir / DB_NAME
        self.content = content if content is not None else load_content()
        self._lock = threading.RLock()
        _secure_dir(self.data_dir)
        _check_existing(self.path)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.path.chmod(0o600)
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None,
                                         check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA secure_delete=ON")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the session store ({exc})") from None
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.chmod(0o600)

    # --- plumbing -------------------------------------------------------------

    @_locked
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > 0:
            backup = self.path.with_name(f"{self.path.name}.before-schema-{SCHEMA_VERSION}")
            target = sqlite3.connect(backup)
            self._conn.backup(target)
            target.close()
            backup.chmod(0o600)
        with self._transaction() as conn:
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")

    @property
    @_locked
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    # --- couples ---------------------------------------------------------------

    @_locked
    def create_couple(
        self,
        partner_a: str,
        partner_b: str,
        *,
        couple_id: str | None = None,
        notes: str = "",
    ) -> Couple:
        a = clean_name(partner_a, "partner A's name")
        b = clean_name(partner_b, "partner B's name")
        notes = clean_text(notes, "couple notes")
        base = slugify(couple_id) if couple_id else slugify(f"{a}-{b}")
        with self._transaction() as conn:
            cid, n = base, 1
            while conn.execute("SELECT 1 FROM couples WHERE id=?", (cid,)).fetchone():
                if couple_id:
                    raise StoreError(f"a couple with the id '{cid}' already exists")
                n += 1
                cid = f"{base}-{n}"
            created = _now()
            conn.execute(
                "INSERT INTO couples VALUES (?,?,?,?,?)", (cid, a, b, notes, created)
            )
        return Couple(cid, a, b, notes, created)

    @_locked
    def couples(self) -> list[Couple]:
        rows = self._conn.execute(
            "SELECT id, partner_a, partner_b, notes, created_at FROM couples ORDER BY id"
        )
        return [Couple(*row) for row in rows]

    @_locked
    def couple(self, couple_id: str) -> Couple:
        row = self._conn.execute(
            "SELECT id, partner_a, partner_b, notes, created_at FROM couples WHERE id=?",
            (couple_id,),
        ).fetchone()
        if row is None:
            known = ", ".join(c.id for c in self.couples()) or "none yet"
            raise StoreError(f"no couple with the id '{couple_id}' (known: {known})")
        return Couple(*row)

    @_locked
    def update_couple(
        self,
        couple_id: str,
        *,
        partner_a: str | None = None,
        partner_b: str | None = None,
        notes: str | None = None,
    ) -> Couple:
        current = self.couple(couple_id)
        a, b, n = current.partner_a, current.partner_b, current.notes
        if partner_a is not None:
            a = clean_name(partner_a, "partner A's name")
        if partner_b is not None:
            b = clean_name(partner_b, "partner B's name")
        if notes is not None:
            n = clean_text(notes, "couple notes")
        self._conn.execute(
            "UPDATE couples SET partner_a=?, partner_b=?, notes=? WHERE id=?",
            (a, b, n, couple_id),
        )
        return Couple(couple_id, a, b, n, current.created_at)

    @_locked
    def delete_couple(self, couple_id: str) -> None:
        """Remove a couple and every trace of their answers from the file.

        Freed pages are zeroed (secure_delete), the log is emptied and the
        file rebuilt, so names and notes cannot be recovered from its bytes.
        """
        self.couple(couple_id)
        with self._transaction() as conn:
            conn.execute("DELETE FROM couples WHERE id=?", (couple_id,))
        self._scrub()
        reports = self.reports_dir(couple_id, create=False)
        if reports.is_dir():
            shutil.rmtree(reports)

    def reports_dir(self, couple_id: str, *, create: bool = True) -> Path:
        """Where a couple's PDFs are written: inside the private data folder, so
        deleting the couple deletes them too."""
        folder = self.data_dir / "reports" / slugify(couple_id)
        if create:
            _secure_dir(folder.parent)
            _secure_dir(folder)
        return folder

    def _scrub(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.execute("VACUUM")
        busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            raise StoreError(
                f"{self.path}: the data was deleted, but another open notebook or program "
                "still holds the file; close it and run the deletion again to scrub the log"
            )

    # --- sessions ------------------------------------------------------------------

    @_locked
    def new_session(
        self, couple_id: str, *, date: str | dt.date | None = None, facilitator: str = ""
    ) -> SessionInfo:
        """An empty session, numbered after the couple's last one."""
        return self.add_session(couple_id, answers={}, plan_rows={}, date=date,
                                facilitator=facilitator)

    @_locked
    def add_session(
        self,
        couple_id: str,
        *,
        answers: Mapping[AnswerKey, Any],
        plan_rows: Mapping[str, list[int]],
        date: str | dt.date | None = None,
        facilitator: str = "",
    ) -> SessionInfo:
        """A new session holding ``answers`` at once (from a filled form).

        Every answer is checked first; if any is wrong nothing is written.
        """
        self.couple(couple_id)
        day = validate_date(date or dt.date.today(), "session date", allow_empty=False)
        who = clean_text(facilitator, "facilitator name", limit=200).strip()
        checked = {}
        for key, value in answers.items():
            key = AnswerKey(*key)
            checked[key] = validate_answer(self.content, key, value)
            if key.worksheet == "boundaries" and key.row and key.row not in plan_rows.get(
                    key.item, ()):
                raise AnswerError(f"{key.describe()}: refers to a plan row that does not exist")
        with self._transaction() as conn:
            number = conn.execute(
                "SELECT coalesce(max(number), 0) + 1 FROM sessions WHERE couple_id=?",
                (couple_id,),
            ).fetchone()[0]
            created = _now()
            sid = conn.execute(
                "INSERT INTO sessions (couple_id, number, date, facilitator, created_at) "
                "VALUES (?,?,?,?,?)",
                (couple_id, number, day, who, created),
            ).lastrowid
            conn.executemany(
                "INSERT INTO plan_rows VALUES (?,?,?,?)",
                [(sid, section, row, created) for section, rows in plan_rows.items()
                 for row in rows],
            )
            conn.executemany(
                "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?)",
                [(sid, *key, json.dumps(value, ensure_ascii=False), created)
                 for key, value in checked.items() if value is not None],
            )
        return SessionInfo(sid, couple_id, number, day, who, created)

    @_locked
    def sessions(self, couple_id: str) -> list[SessionInfo]:
        self.couple(couple_id)
        rows = self._conn.execute(
            "SELECT id, couple_id, number, date, facilitator, created_at FROM sessions "
            "WHERE couple_id=? ORDER BY number",
            (couple_id,),
        )
        return [SessionInfo(*row) for row in rows]

    @_locked
    def session(self, couple_id: str, number: int | None = None) -> SessionInfo:
        """A couple's session by number; the latest one when no number is given."""
        found = self.sessions(couple_id)
        if not found:
            raise StoreError(f"couple '{couple_id}' has no sessions yet")
        if number is None:
            return found[-1]
        for info in found:
            if info.number == number:
                return info
        numbers = ", ".join(str(s.number) for s in found)
        raise StoreError(f"couple '{couple_id}' has no session {number} (sessions: {numbers})")

    @_locked
    def _session_info(self, session_id: int) -> SessionInfo:
        row = self._conn.execute(
            "SELECT id, couple_id, number, date, facilitator, created_at FROM sessions "
            "WHERE id=?",
            (session_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no session with the internal id {session_id}")
        return SessionInfo(*row)

    @_locked
    def load_session(self, session_id: int) -> SessionData:
        info = self._session_info(session_id)
        answers = {
            AnswerKey(ws, p, item, row, fld): json.loads(value)
            for ws, p, item, row, fld, value in self._conn.execute(
                "SELECT worksheet, partner, item, row, field, value FROM answers "
                "WHERE session_id=? ORDER BY worksheet, partner, item, row, field",
                (session_id,),
            )
        }
        plan: dict[str, list[int]] = {}
        for section, row in self._conn.execute(
            "SELECT section, row FROM plan_rows WHERE session_id=? ORDER BY section, row",
            (session_id,),
        ):
            plan.setdefault(section, []).append(row)
        return SessionData(
            info=info,
            couple=self.couple(info.couple_id),
            answers=answers,
            plan_rows={k: tuple(v) for k, v in plan.items()},
        )

    # --- answers ----------------------------------------------------------------------

    @_locked
    def set_answer(self, session_id: int, key: AnswerKey | tuple, value: Any) -> Any:
        """Validate and save one answer at once; ``None`` clears it.

        Returns the value as stored, so a caller can show exactly what was kept.
        """
        key = AnswerKey(*key)
        value = validate_answer(self.content, key, value)
        if key.worksheet == "boundaries" and key.row:
            exists = self._conn.execute(
                "SELECT 1 FROM plan_rows WHERE session_id=? AND section=? AND row=?",
                (session_id, key.item, key.row),
            ).fetchone()
            if not exists:
                raise AnswerError(f"{key.describe()}: there is no such row in this session")
        try:
            if value is None:
                self._conn.execute(
                    "DELETE FROM answers WHERE session_id=? AND worksheet=? AND partner=? "
                    "AND item=? AND row=? AND field=?",
                    (session_id, *key),
                )
            else:
                self._conn.execute(
                    "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?) "
                    "ON CONFLICT DO UPDATE SET value=excluded.value, "
                    "updated_at=excluded.updated_at",
                    (session_id, *key, json.dumps(value, ensure_ascii=False), _now()),
                )
        except sqlite3.IntegrityError:
            raise StoreError(f"no session with the internal id {session_id}") from None
        return value

    @_locked
    def add_plan_row(self, session_id: int, section: str) -> int:
        plan = self.content.boundaries
        if section not in plan.ids or plan.section(section).kind != "table":
            tables = ", ".join(s.id for s in plan.sections if s.kind == "table")
            raise AnswerError(f"'{section}' is not a plan table (tables: {tables})")
        self._session_info(session_id)
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT coalesce(max(row), 0) + 1 FROM plan_rows WHERE session_id=? "
                "AND section=?",
                (session_id, section),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO plan_rows VALUES (?,?,?,?)", (session_id, section, row, _now())
            )
        return row

    @_locked
    def remove_plan_row(self, session_id: int, section: str, row: int) -> None:
        with self._transaction() as conn:
            gone = conn.execute(
                "DELETE FROM plan_rows WHERE session_id=? AND section=? AND row=?",
                (session_id, section, row),
            ).rowcount
            if not gone:
                raise AnswerError(f"boundaries / {section}: there is no row {row} to remove")
            conn.execute(
                "DELETE FROM answers WHERE session_id=? AND worksheet='boundaries' "
                "AND item=? AND row=?",
                (session_id, section, row),
            )

    # --- export and import ----------------------------------------------------------

    @_locked
    def export_couple(self, couple_id: str) -> dict[str, Any]:
        """The couple as a versioned, self-describing dictionary (JSON-ready)."""
        couple = self.couple(couple_id)
        sessions = []
        for info in self.sessions(couple_id):
            rows = self._conn.execute(
                "SELECT section, row, created_at FROM plan_rows WHERE session_id=? "
                "ORDER BY section, row",
                (info.id,),
            )
            answers = self._conn.execute(
                "SELECT worksheet, partner, item, row, field, value, updated_at FROM answers "
                "WHERE session_id=? ORDER BY worksheet, partner, item, row, field",
                (info.id,),
            )
            sessions.append({
                "number": info.number,
                "date": info.date,
                "facilitator": info.facilitator,
                "created_at": info.created_at,
                "plan_rows": [
                    {"section": s, "row": r, "created_at": c} for s, r, c in rows
                ],
                "answers": [
                    {"worksheet": w, "partner": p, "item": i, "row": r, "field": f,
                     "value": json.loads(v), "updated_at": u}
                    for w, p, i, r, f, v, u in answers
                ],
            })
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "worksheets": self.content.versions,
            "couple": {
                "id": couple.id,
                "partner_a": couple.partner_a,
                "partner_b": couple.partner_b,
                "notes": couple.notes,
                "created_at": couple.created_at,
            },
            "sessions": sessions,
        }

    def export_json(self, couple_id: str, path: str | os.PathLike[str]) -> Path:
        """Write the export privately (0600); an existing file is never overwritten."""
        text = json.dumps(self.export_couple(couple_id), ensure_ascii=False, indent=2) + "\n"
        return write_private(text.encode("utf-8"), path)

    @_locked
    def import_couple(
        self, data: Mapping[str, Any] | str | os.PathLike[str], *, couple_id: str | None = None
    ) -> Couple:
        """Add an exported couple. Everything is checked first; on any problem nothing
        is written. ``couple_id`` imports under a new id (e.g. a second copy)."""
        source = "import"
        if not isinstance(data, Mapping):
            source = str(data)
            data = _read_json(Path(data))
        plan = _validate_export(data, self.content, source)
        couple = plan["couple"]
        cid = slugify(couple_id) if couple_id else couple["id"]
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM couples WHERE id=?", (cid,)).fetchone():
                raise StoreError(
                    f"{source}: a couple with the id '{cid}' is already in the store; nothing "
                    "was imported. Import it under another id, or delete the existing one first."
                )
            conn.execute(
                "INSERT INTO couples VALUES (?,?,?,?,?)",
                (cid, couple["partner_a"], couple["partner_b"], couple["notes"],
                 couple["created_at"]),
            )
            for s in plan["sessions"]:
                sid = conn.execute(
                    "INSERT INTO sessions (couple_id, number, date, facilitator, created_at) "
                    "VALUES (?,?,?,?,?)",
                    (cid, s["number"], s["date"], s["facilitator"], s["created_at"]),
                ).lastrowid
                conn.executemany(
                    "INSERT INTO plan_rows VALUES (?,?,?,?)",
                    [(sid, r["section"], r["row"], r["created_at"]) for r in s["plan_rows"]],
                )
                conn.executemany(
                    "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?)",
                    [
                        (sid, a["worksheet"], a["partner"], a["item"], a["row"], a["field"],
                         json.dumps(a["value"], ensure_ascii=False), a["updated_at"])
                        for a in s["answers"]
                    ],
                )
        return self.couple(cid)

    @_locked
    def export_csv(
        self, target: str | os.PathLike[str] | io.TextIOBase, couple_id: str | None = None
    ) -> None:
        """All answers as one tidy table: a row per answer, for spreadsheets or pandas.

        Text that a spreadsheet would run as a formula (starting with = + - @)
        gets a leading apostrophe, so opening the file is always safe.
        """
        couples = [self.couple(couple_id)] if couple_id else self.couples()
        header = ["couple_id", "partner_a", "partner_b", "session", "date", "worksheet",
                  "partner", "partner_name", "item", "row", "field", "value", "updated_at"]

        def write(fh: Any) -> None:
            out = csv.writer(fh)
            out.writerow(header)
            for c in couples:
                for info in self.sessions(c.id):
                    for ws, p, item, row, fld, value, updated in self._conn.execute(
                        "SELECT worksheet, partner, item, row, field, value, updated_at "
                        "FROM answers WHERE session_id=? "
                        "ORDER BY worksheet, partner, item, row, field", (info.id,)
                    ):
                        name = c.name(p) if p != COUPLE else ""
                        out.writerow([
                            c.id, _safe_cell(c.partner_a), _safe_cell(c.partner_b), info.number,
                            info.date, ws, p, _safe_cell(name), item, row, fld,
                            _safe_cell(json.loads(value)), updated,
                        ])

        if isinstance(target, io.TextIOBase):
            write(target)
            return
        buffer = io.StringIO(newline="")
        write(buffer)
        write_private(buffer.getvalue().encode("utf-8"), target)

    @_locked
    def delete_everything(self) -> None:
        """Remove the whole store (every couple) from disk."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.unlink()
        for backup in self.data_dir.glob(f"{DB_NAME}.before-schema-*"):
            backup.unlink()
        reports = self.data_dir / "reports"
        if reports.is_dir():
            shutil.rmtree(reports)


def write_private(data: bytes, path: str | os.PathLike[str], *, overwrite: bool = False
                  ) -> Path:
    """Write a file only its owner can read (0600); never replaces one unless asked."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        raise StoreError(f"{target}: already exists; choose another file name") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return target


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"{path}: file not found") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise StoreError(f"{path}: not a toolkit export (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise StoreError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def _validate_export(data: Any, content: Content, source: str) -> dict[str, Any]:
    """Check an export completely; returns it unchanged or raises StoreError."""

    def fail(where: str, message: str) -> StoreError:
        return StoreError(f"{source}: {where}: {message}; nothing was imported")

    def mapping(value: Any, where: str, keys: set[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise fail(where, "expected an object")
        missing = sorted(keys - set(value))
        if missing:
            raise fail(where, f"missing field '{missing[0]}'")
        extra = sorted(set(value) - keys)
        if extra:
            raise fail(where, f"unknown field '{extra[0]}'")
        return value

    def text(value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise fail(where, f"expected text, got {type(value).__name__}")
        return value

    def whole(value: Any, where: str, lo: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise fail(where, f"expected a whole number {lo} or more, got {value!r}")
        return value

    if not isinstance(data, Mapping) or data.get("format") != EXPORT_FORMAT:
        raise StoreError(f"{source}: not a couple export from this toolkit; nothing was imported")
    top = mapping(data, "file", {"format", "version", "worksheets", "couple", "sessions"})
    version = top["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise fail("version", f"expected a whole number, got {version!r}")
    if version > EXPORT_VERSION:
        raise fail("version", f"written by a newer toolkit (format {version}; this one reads "
                   f"up to {EXPORT_VERSION})")
    if top["worksheets"] != content.versions:
        raise fail("worksheets", f"made with worksheet versions {top['worksheets']!r}, but the "
                   f"worksheets in use are {content.versions!r}")
    couple = mapping(top["couple"], "couple", {"id", "partner_a", "partner_b", "notes",
                                                "created_at"})
    try:
        if text(couple["id"], "couple.id") != slugify(couple["id"]):
            raise fail("couple.id", f"{couple['id']!r} is not a valid couple id")
        clean_name(couple["partner_a"], "couple.partner_a")
        clean_name(couple["partner_b"], "couple.partner_b")
        clean_text(couple["notes"], "couple.notes")
        text(couple["created_at"], "couple.created_at")
        if not isinstance(top["sessions"], list):
            raise fail("sessions", "expected a list")
        numbers: set[int] = set()
        for i, s in enumerate(top["sessions"], start=1):
            where = f"sessions[{i}]"
            s = mapping(s, where, {"number", "date", "facilitator", "created_at",
                                   "plan_rows", "answers"})
            number = whole(s["number"], f"{where}.number", 1)
            if number in numbers:
                raise fail(f"{where}.number", f"session {number} appears twice")
            numbers.add(number)
            validate_date(s["date"], f"{where}.date", allow_empty=False)
            clean_text(s["facilitator"], f"{where}.facilitator", limit=200)
            text(s["created_at"], f"{where}.created_at")
            if not isinstance(s["plan_rows"], list) or not isinstance(s["answers"], list):
                raise fail(where, "plan_rows and answers must be lists")
            rows: set[tuple[str, int]] = set()
            for j, r in enumerate(s["plan_rows"], start=1):
                rw = f"{where}.plan_rows[{j}]"
                r = mapping(r, rw, {"section", "row", "created_at"})
                section = text(r["section"], f"{rw}.section")
                if section not in content.boundaries.ids or (
                        content.boundaries.section(section).kind != "table"):
                    raise fail(f"{rw}.section", f"unknown plan table {section!r}")
                key = (section, whole(r["row"], f"{rw}.row", 1))
                if key in rows:
                    raise fail(rw, f"row {key[1]} of {section!r} appears twice")
                rows.add(key)
                text(r["created_at"], f"{rw}.created_at")
            seen: set[AnswerKey] = set()
            for j, a in enumerate(s["answers"], start=1):
                aw = f"{where}.answers[{j}]"
                a = mapping(a, aw, {"worksheet", "partner", "item", "row", "field", "value",
                                    "updated_at"})
                key = AnswerKey(text(a["worksheet"], aw), text(a["partner"], aw),
                                text(a["item"], aw), whole(a["row"], f"{aw}.row"),
                                text(a["field"], aw))
                if key in seen:
                    raise fail(aw, f"{key.describe()} appears twice")
                seen.add(key)
                if a["value"] is None:
                    raise fail(f"{aw}.value", "an answer must have a value")
                if validate_answer(content, key, a["value"]) != a["value"]:
                    raise fail(f"{aw}.value", f"{a['value']!r} is not in its stored form")
                if key.worksheet == "boundaries" and key.row and (key.item, key.row) not in rows:
                    raise fail(aw, f"{key.describe()} refers to a plan row that does not exist")
                text(a["updated_at"], f"{aw}.updated_at")
    except AnswerError as exc:
        raise StoreError(f"{source}: {exc}; nothing was imported") from None
    return dict(top)
