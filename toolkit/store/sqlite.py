"""The session store in SQLite: one file in the user's data folder.

Every answer is written in its own transaction the moment it changes, so a
dead kernel or a closed laptop loses nothing that was on screen. Files the
toolkit did not write (or cannot read) are refused with a clear message and
left exactly as they were. Opening is cheap: the whole file is checked only
where it matters (before a migration, on an explicit ``check``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

try:
    import fcntl
except ImportError:  # not on this system: in-use and set-up locks are skipped
    fcntl = None  # type: ignore[assignment]

from ..content import Content, ContentError, content_for, load_content
from ..responses import (
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
from . import migrations
from .base import (
    AnswerRecord,
    CoupleRecord,
    PlanRowRecord,
    SessionRecord,
    SessionStore,
    StoreBusyError,
    StoreDamagedError,
    StoreError,
    StoreFullError,
    StoreGoneError,
)

__all__ = [
    "APPLICATION_ID",
    "DATA_ENV",
    "DB_NAME",
    "SCHEMA_VERSION",
    "SQLiteStore",
    "Store",
    "default_data_dir",
]

DATA_ENV = "TOOLKIT_DATA_DIR"
DB_NAME = "sessions.sqlite3"
APPLICATION_ID = 0x43504C54  # "CPLT": marks the file as this toolkit's
SCHEMA_VERSION = len(migrations.MIGRATIONS)
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = int(os.environ.get("TOOLKIT_BUSY_TIMEOUT_MS", "10000"))
EXPECTED_TABLES = {"couples", "sessions", "plan_rows", "answers"}

F = TypeVar("F", bound=Callable[..., Any])


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def default_data_dir() -> Path:
    """Where client data lives: outside the repository, in the user's data folder."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("couples-toolkit", appauthor=False)


def _translate(exc: sqlite3.Error, where: str) -> StoreError:
    """One sentence for each way SQLite can fail, saying what to do."""
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return StoreBusyError(
            f"{where}: another program is using the session store and did not let go in "
            f"{BUSY_TIMEOUT_MS // 1000} seconds; nothing was saved. Try again in a moment, or "
            "close the other notebook or command."
        )
    if "full" in lowered or "too big" in lowered:
        return StoreFullError(
            f"{where}: the disk is full (or a file-size limit was reached); nothing was "
            "saved. Free some space and try again; the store itself is intact."
        )
    if isinstance(exc, sqlite3.OperationalError) and "readonly" in lowered.replace("-", ""):
        return StoreError(f"{where}: the session store cannot be written to (read-only); "
                          "nothing was saved. Check the folder's permissions.")
    if isinstance(exc, sqlite3.OperationalError) and ("disk i/o" in lowered
                                                      or "unable to open" in lowered):
        return StoreError(
            f"{where}: the session store could not be read or written just now (the disk "
            "may be full, a file-size limit reached, or the disk failing); nothing was saved "
            "and the store was left as it is. Free some space or check the disk, then try "
            "again.")
    return StoreDamagedError(
        f"{where}: the session store is damaged ({text}). It was left as it is; restore it "
        "from a backup or an exported JSON file."
    )


def _guarded(method: F) -> F:
    """Run a store method under the store's lock, with SQLite's errors in words.

    Widget callbacks can arrive on the kernel's comm thread while a cell runs
    on the main thread; one connection shared under a lock keeps every
    transaction whole.
    """

    @wraps(method)
    def wrapper(self: SQLiteStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise _translate(exc, self.name) from None

    return wrapper  # type: ignore[return-value]


def _damaged(path: Path, what: str) -> StoreDamagedError:
    return StoreDamagedError(
        f"{path}: the session store is damaged ({what}). It was left untouched; restore it "
        "from a backup or an exported JSON file."
    )


def _read_header(path: Path) -> None:
    """Refuse files the toolkit cannot safely open, without writing to them: not a
    store, another program's database, a newer toolkit's, or one whose tables are
    missing. Only a file that passes is ever opened for writing."""
    if not path.exists():
        return
    if not path.is_file():
        raise StoreError(f"{path}: expected a session store file, found a folder or device")
    if path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except PermissionError:
        raise StoreError(f"{path}: this file cannot be read by you; it was left as it is. "
                         "Check who owns it, or point TOOLKIT_DATA_DIR elsewhere.") from None
    if header != SQLITE_HEADER:
        raise StoreError(
            f"{path}: not a session store (this file is not an SQLite database). "
            "It was left untouched; move it away or point TOOLKIT_DATA_DIR elsewhere."
        )
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            newer = migrations.unknown(conn) if app_id == APPLICATION_ID else []
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if any(w in text for w in ("locked", "busy", "full", "disk i/o", "unable to open")):
            raise _translate(exc, str(path)) from None
        raise _damaged(path, f"cannot be read: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, f"cannot be read: {exc}") from None
    if app_id == 0 and version == 0 and not tables:
        return  # an empty SQLite file: safe to set up
    if app_id != APPLICATION_ID:
        raise StoreError(
            f"{path}: this SQLite database belongs to another program, not the toolkit. "
            "It was left untouched."
        )
    if newer:
        raise StoreError(
            f"{path}: written by a newer version of the toolkit ({', '.join(newer)}; this "
            f"version knows {SCHEMA_VERSION} schema steps). Update the toolkit; the file was "
            "left untouched."
        )
    if version > 0 and not tables >= EXPECTED_TABLES:
        missing = ", ".join(sorted(EXPECTED_TABLES - tables))
        raise _damaged(path, f"its tables {missing} are missing")


def _owned_private_folder(folder: Path, what: str) -> None:
    """Refuse a folder other people can read or that belongs to someone else. The
    toolkit never changes the permissions of a folder it did not make: the fix is the
    user's to choose, and the message says how."""
    try:
        info = folder.stat()
    except OSError as exc:
        raise StoreError(f"{folder}: the {what} cannot be reached ({exc.strerror}); point "
                         "TOOLKIT_DATA_DIR at a folder of your own.") from None
    if not stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{folder}: the {what} is a file, not a folder; move the file away "
                         "or point TOOLKIT_DATA_DIR at a folder.")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise StoreError(f"{folder}: the {what} belongs to another user; client data must "
                         "live in a folder of your own (set TOOLKIT_DATA_DIR).")
    if stat.S_IMODE(info.st_mode) & 0o077:
        mode = oct(stat.S_IMODE(info.st_mode))[2:]
        raise StoreError(
            f"{folder}: the {what} can be opened by other users of this computer (mode "
            f"{mode}); client data needs a private folder. Run: chmod 700 '{folder}', or "
            "set TOOLKIT_DATA_DIR to a new folder (the toolkit creates it privately)."
        )


def _make_private_folder(folder: Path, what: str = "data folder") -> None:
    """Create the folder readable by its owner alone, or check the one that is there."""
    try:
        missing = not folder.exists() and not folder.is_symlink()
    except OSError as exc:  # a name too long for the file system, a loop of links, ...
        raise StoreError(f"{str(folder)[:120]}: the {what} cannot be used ({exc.strerror}); "
                         "set TOOLKIT_DATA_DIR to a folder of your own.") from None
    if missing:
        try:
            folder.mkdir(parents=True, mode=0o700)
        except FileExistsError:
            pass  # made by another process in the meantime: checked below
        except NotADirectoryError:
            raise StoreError(f"{folder}: the {what} cannot be made here: part of the path is "
                             "a file, not a folder.") from None
        except PermissionError:
            raise StoreError(f"{folder}: the {what} cannot be made here (no permission); set "
                             "TOOLKIT_DATA_DIR to a folder of your own.") from None
        except OSError as exc:
            raise StoreError(f"{folder}: the {what} cannot be made ({exc.strerror}).") from None
    _owned_private_folder(folder, what)


def _private_file(path: Path) -> None:
    """A store file others can read is refused, not silently tightened."""
    if not path.exists():
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise StoreError(
            f"{path}: the session store can be read by other users of this computer (mode "
            f"{oct(mode)[2:]}); it was left as it is. Run: chmod 600 '{path}'."
        )


OPTIONS = {"shuffle_items": bool}


def _check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in options.items():
        if name not in OPTIONS:
            raise AnswerError(f"session option '{name}' is unknown (known: "
                              f"{', '.join(OPTIONS)})")
        if not isinstance(value, OPTIONS[name]):
            raise AnswerError(f"session option '{name}': expected yes or no, got {value!r}")
        out[name] = value
    return out


class SQLiteStore(SessionStore):
    """A session store in one SQLite database.

    ``db`` is a file path, an open ``sqlite3.Connection`` (left open on
    ``close``) or ``":memory:"`` (for tests and throw-away sessions).
    ``content`` is the set of worksheets answers are validated against.
    """

    def __init__(
        self,
        db: str | os.PathLike[str] | sqlite3.Connection = ":memory:",
        *,
        content: Content | None = None,
    ) -> None:
        self.content = content if content is not None else load_content()
        self._contents: dict[tuple, Content] = {}
        self._lock = threading.RLock()
        self._owns_connection = not isinstance(db, sqlite3.Connection)
        self.path: Path | None = None
        setup_lock: int | None = None  # held while this process checks and sets up the file
        fresh = False  # a new or empty file, set up from nothing
        if isinstance(db, sqlite3.Connection):
            self.name = "session store"
            conn = db
        elif str(db) == ":memory:":
            self.name = "session store (in memory)"
            conn = sqlite3.connect(":memory:", check_same_thread=False)
        else:
            self.path = Path(db).expanduser()
            self.name = str(self.path)
            setup_lock = _exclusive(self.path.with_name(f"{self.path.name}.setup"))
            try:
                _read_header(self.path)
                _private_file(self.path)
                fresh = not self.path.exists() or self.path.stat().st_size == 0
                if not self.path.exists():
                    try:
                        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
                    except OSError as exc:
                        raise StoreError(f"{self.path}: the session store cannot be created "
                                         f"({exc.strerror}).") from None
                try:
                    conn = sqlite3.connect(self.path, check_same_thread=False)
                except sqlite3.Error as exc:
                    raise _translate(exc, self.name) from None
            except BaseException:
                # refused before opening: let go of set-up, so fixing the file and opening
                # again in this process does not wait on a lock it holds itself
                _release(setup_lock)
                raise
        try:
            self._conn = conn
            self._identity = self._file_identity()
            if conn.isolation_level is not None:
                conn.isolation_level = None  # transactions are explicit
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if self.path is not None:
                # WAL is chosen before a new store is set up, so no set-up ever commits
                # without it; an existing file is never changed before its checks have
                # passed (an upgrade switches it, after its check).
                if fresh:
                    conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")
            self._migrate()
        except sqlite3.Error as exc:
            if self._owns_connection:
                conn.close()
            raise _translate(exc, self.name) from None
        except BaseException:
            if self._owns_connection:
                conn.close()
            raise
        finally:
            _release(setup_lock)

    # --- plumbing -------------------------------------------------------------

    def _file_identity(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_dev, info.st_ino)

    def _check_still_there(self) -> None:
        """Refuse to write when the file was deleted or replaced underneath: SQLite would
        carry on writing into the unlinked file and every answer would vanish."""
        if self.path is None:
            return
        if self._file_identity() != self._identity:
            raise StoreGoneError(
                f"{self.path}: the session store was deleted or replaced while it was open "
                "here, so this was NOT saved. Open the session again (re-run the notebook) "
                "to keep working."
            )

    def close(self) -> None:
        with self._lock:
            if self._owns_connection:
                self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._check_still_there()
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        if not migrations.pending(self._conn):
            return
        with self._transaction() as conn:
            # Another process may have set the store up while this one waited.
            steps = migrations.pending(conn)
            if not steps:
                return
            had_data = bool(migrations.applied(conn))
            if had_data and self.path is not None:
                check = " ".join(str(conn.execute("PRAGMA quick_check").fetchone()[0]).split())
                if check != "ok":
                    raise StoreDamagedError(
                        f"{self.path}: the session store is damaged ({check}). It was left "
                        "untouched; restore it from a backup or an exported JSON file."
                    )
                self._backup(self.path.with_name(f"{self.path.name}.before-{steps[0].name}"))
            migrations.run(conn, steps, _now)
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")

    def _backup(self, target: Path) -> None:
        """Copy the store as it is now, read through a second connection: this one
        holds the write lock, which keeps the copy consistent and other writers out."""
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        source = sqlite3.connect(f"file:{quote(str(self.path))}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
            source.close()

    @property
    @_guarded
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    @_guarded
    def applied_migrations(self) -> list[str]:
        return migrations.applied(self._conn)

    @_guarded
    def check(self) -> str:
        """Read every page of the file: "ok", or what is damaged. Slow on big stores."""
        try:
            rows = [" ".join(str(r[0]).split())
                    for r in self._conn.execute("PRAGMA integrity_check")]
        except sqlite3.OperationalError:
            raise  # busy, full, unreadable: said as what it is, never as damage
        except sqlite3.DatabaseError as exc:  # damage bad enough to stop the check itself
            return " ".join(str(exc).split())
        return "ok" if rows == ["ok"] else "; ".join(rows[:5])  # one line, for one sentence

    # --- couples ---------------------------------------------------------------

    @_guarded
    def create_couple(self, partner_a: str, partner_b: str, *, couple_id: str | None = None,
                      notes: str = "") -> Couple:
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
            conn.execute("INSERT INTO couples VALUES (?,?,?,?,?)", (cid, a, b, notes, created))
        return Couple(cid, a, b, notes, created)

    @_guarded
    def couples(self) -> list[Couple]:
        rows = self._conn.execute(
            "SELECT id, partner_a, partner_b, notes, created_at FROM couples ORDER BY id")
        return [Couple(*row) for row in rows]

    @_guarded
    def session_counts(self) -> dict[str, tuple[int, str]]:
        rows = self._conn.execute(
            "SELECT c.id, count(s.id), coalesce(max(s.date), '') FROM couples c "
            "LEFT JOIN sessions s ON s.couple_id = c.id GROUP BY c.id ORDER BY c.id")
        return {cid: (n, last) for cid, n, last in rows}

    @_guarded
    def couple(self, couple_id: str) -> Couple:
        row = self._conn.execute(
            "SELECT id, partner_a, partner_b, notes, created_at FROM couples WHERE id=?",
            (couple_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no couple with the id '{couple_id}' "
                             "(see the list of couples: python -m toolkit list)")
        return Couple(*row)

    @_guarded
    def update_couple(self, couple_id: str, *, partner_a: str | None = None,
                      partner_b: str | None = None, notes: str | None = None) -> Couple:
        current = self.couple(couple_id)
        a, b, n = current.partner_a, current.partner_b, current.notes
        if partner_a is not None:
            a = clean_name(partner_a, "partner A's name")
        if partner_b is not None:
            b = clean_name(partner_b, "partner B's name")
        if notes is not None:
            n = clean_text(notes, "couple notes")
        with self._transaction() as conn:
            conn.execute("UPDATE couples SET partner_a=?, partner_b=?, notes=? WHERE id=?",
                         (a, b, n, couple_id))
        return Couple(couple_id, a, b, n, current.created_at)

    @_guarded
    def delete_couple(self, couple_id: str) -> None:
        """Remove a couple and every trace of their answers from the file.

        Freed pages are zeroed (secure_delete) and the log is emptied, so names
        and notes cannot be recovered from its bytes.
        """
        self.couple(couple_id)
        with self._transaction() as conn:
            conn.execute("DELETE FROM couples WHERE id=?", (couple_id,))
        self._scrub()

    def _scrub(self) -> None:
        """Leave no trace of deleted data in the files. secure_delete has zeroed the freed
        pages in the log; copying the log into the store and truncating it leaves them
        nowhere else. (No VACUUM: rewriting the whole file would make deleting one couple
        cost as much as the whole store, and scrub nothing more.)"""
        if self.path is None:
            return
        busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            raise StoreError(
                f"{self.path}: the data was deleted, but another open notebook or program "
                "still holds the file; close it and run the deletion again to scrub the log"
            )

    # --- sessions ------------------------------------------------------------------

    _SESSION_COLUMNS = "id, couple_id, number, date, facilitator, created_at, worksheets, options"

    def _info(self, row: tuple) -> SessionInfo:
        *head, worksheets, options = row
        try:
            versions, opts = json.loads(worksheets), json.loads(options)
            if not isinstance(versions, dict) or not isinstance(opts, dict):
                raise ValueError("not an object")
        except (TypeError, ValueError):
            raise StoreDamagedError(
                f"{self.name}: the details of a stored session are damaged and cannot be "
                "read. Restore the store from a backup or an exported JSON file."
            ) from None
        return SessionInfo(*head, worksheets=versions, options=opts)

    def content_of(self, info: SessionInfo) -> Content:
        """The worksheets a session was answered with (``content`` when they match)."""
        if not info.worksheets or self.content.matches(info.worksheets):
            return self.content
        key = tuple(sorted(info.worksheets.items()))
        if key not in self._contents:
            try:
                self._contents[key] = content_for(info.worksheets, self.content.folder)
            except ContentError as exc:
                raise StoreError(f"session {info.number} of '{info.couple_id}': {exc}") from None
        return self._contents[key]

    @_guarded
    def add_session(
        self,
        couple_id: str,
        *,
        answers: Mapping[AnswerKey, Any],
        plan_rows: Mapping[str, Sequence[int]],
        date: str | dt.date | None = None,
        facilitator: str = "",
        row_origins: Mapping[tuple[str, int], tuple[int, int]] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> SessionInfo:
        self.couple(couple_id)
        opts = _check_options(options or {})
        versions = self.content.versions
        day = validate_date(date or dt.date.today(), "session date", allow_empty=False)
        who = clean_text(facilitator, "facilitator name", limit=200).strip()
        origins = dict(row_origins or {})
        tables = {s.id for s in self.content.boundaries.sections if s.kind == "table"}
        for section, rows in plan_rows.items():
            if section not in tables:
                raise AnswerError(f"boundaries / {section}: not a plan table")
            if any(isinstance(r, bool) or not isinstance(r, int) or r < 1 for r in rows):
                raise AnswerError(f"boundaries / {section}: rows are whole numbers from 1")
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
                "INSERT INTO sessions (couple_id, number, date, facilitator, created_at, "
                "worksheets, options) VALUES (?,?,?,?,?,?,?)",
                (couple_id, number, day, who, created, json.dumps(versions), json.dumps(opts)),
            ).lastrowid
            conn.executemany(
                "INSERT INTO plan_rows (session_id, section, row, created_at, origin_session, "
                "origin_row) VALUES (?,?,?,?,?,?)",
                [(sid, section, row, created, *origins.get((section, row), (None, None)))
                 for section, rows in plan_rows.items() for row in rows],
            )
            conn.executemany(
                "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?)",
                [(sid, *key, json.dumps(value, ensure_ascii=False), created)
                 for key, value in checked.items() if value is not None],
            )
        return SessionInfo(sid, couple_id, number, day, who, created, versions, opts)

    @_guarded
    def sessions(self, couple_id: str) -> list[SessionInfo]:
        self.couple(couple_id)
        rows = self._conn.execute(
            f"SELECT {self._SESSION_COLUMNS} FROM sessions WHERE couple_id=? ORDER BY number",
            (couple_id,),
        )
        return [self._info(row) for row in rows]

    def _session_info(self, session_id: int) -> SessionInfo:
        row = self._conn.execute(
            f"SELECT {self._SESSION_COLUMNS} FROM sessions WHERE id=?", (session_id,)
        ).fetchone()
        if row is None:
            raise StoreError("this session is no longer in the store (it was deleted, "
                             "perhaps from another window); open the couple again")
        return self._info(row)

    @_guarded
    def update_session(self, session_id: int, *, date: str | dt.date | None = None,
                       facilitator: str | None = None,
                       options: Mapping[str, Any] | None = None) -> SessionInfo:
        info = self._session_info(session_id)
        day = info.date if date is None else validate_date(date, "session date",
                                                           allow_empty=False)
        who = (info.facilitator if facilitator is None
               else clean_text(facilitator, "facilitator name", limit=200).strip())
        opts = dict(info.options)
        if options is not None:
            opts.update(_check_options(options))
        with self._transaction() as conn:
            conn.execute("UPDATE sessions SET date=?, facilitator=?, options=? WHERE id=?",
                         (day, who, json.dumps(opts), session_id))
        return dataclasses.replace(info, date=day, facilitator=who, options=opts)

    @_guarded
    def delete_session(self, session_id: int) -> None:
        self._session_info(session_id)
        with self._transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id=?", (session_id,))
        self._scrub()

    @_guarded
    def load_session(self, session_id: int) -> SessionData:
        info = self._session_info(session_id)
        answers = {}
        for ws, p, item, row, fld, value in self._conn.execute(
            "SELECT worksheet, partner, item, row, field, value FROM answers "
            "WHERE session_id=? ORDER BY worksheet, partner, item, row, field",
            (session_id,),
        ):
            answers[AnswerKey(ws, p, item, row, fld)] = self._decode(value, ws, item, fld)
        plan: dict[str, list[int]] = {}
        origins: dict[tuple[str, int], tuple[int, int]] = {}
        for section, row, origin_session, origin_row in self._conn.execute(
            "SELECT section, row, origin_session, origin_row FROM plan_rows WHERE session_id=? "
            "ORDER BY section, row",
            (session_id,),
        ):
            plan.setdefault(section, []).append(row)
            if origin_session is not None:
                origins[(section, row)] = (origin_session, origin_row)
        return SessionData(
            info=info,
            couple=self.couple(info.couple_id),
            answers=answers,
            plan_rows={k: tuple(v) for k, v in plan.items()},
            row_origins=origins,
        )

    def _decode(self, value: str, *where: str) -> Any:
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            raise StoreDamagedError(
                f"{self.name}: a stored answer ({' / '.join(where)}) is damaged and cannot be "
                "read. Restore the store from a backup or an exported JSON file."
            ) from None

    # --- answers ----------------------------------------------------------------------

    @_guarded
    def set_answer(self, session_id: int, key: AnswerKey | tuple, value: Any) -> Any:
        key = AnswerKey(*key)
        value = validate_answer(self.content_of(self._session_info(session_id)), key, value)
        with self._transaction() as conn:
            if not conn.execute("SELECT 1 FROM sessions WHERE id=?", (session_id,)).fetchone():
                self._session_info(session_id)  # deleted meanwhile: raises with a sentence
            if key.worksheet == "boundaries" and key.row:
                exists = conn.execute(
                    "SELECT 1 FROM plan_rows WHERE session_id=? AND section=? AND row=?",
                    (session_id, key.item, key.row),
                ).fetchone()
                if not exists:
                    raise AnswerError(f"{key.describe()}: there is no such row in this session")
            if value is None:
                conn.execute(
                    "DELETE FROM answers WHERE session_id=? AND worksheet=? AND partner=? "
                    "AND item=? AND row=? AND field=?",
                    (session_id, *key),
                )
            else:
                conn.execute(
                    "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?) "
                    "ON CONFLICT DO UPDATE SET value=excluded.value, "
                    "updated_at=excluded.updated_at",
                    (session_id, *key, json.dumps(value, ensure_ascii=False), _now()),
                )
        return value

    @_guarded
    def add_plan_row(self, session_id: int, section: str) -> int:
        plan = self.content_of(self._session_info(session_id)).boundaries
        if section not in plan.ids or plan.section(section).kind != "table":
            tables = ", ".join(s.id for s in plan.sections if s.kind == "table")
            raise AnswerError(f"'{section}' is not a plan table (tables: {tables})")
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT coalesce(max(row), 0) + 1 FROM plan_rows WHERE session_id=? "
                "AND section=?",
                (session_id, section),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO plan_rows (session_id, section, row, created_at) VALUES (?,?,?,?)",
                (session_id, section, row, _now()),
            )
        return row

    @_guarded
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

    # --- whole couples ------------------------------------------------------------------

    @_guarded
    def couple_record(self, couple_id: str) -> CoupleRecord:
        couple = self.couple(couple_id)
        sessions = []
        for row in self._conn.execute(
            f"SELECT {self._SESSION_COLUMNS} FROM sessions WHERE couple_id=? ORDER BY number",
            (couple_id,)
        ).fetchall():
            info = self._info(row)
            sid, number, date, who, created = (info.id, info.number, info.date,
                                               info.facilitator, info.created_at)
            rows = tuple(
                PlanRowRecord(s, r, c, os_, or_)
                for s, r, c, os_, or_ in self._conn.execute(
                    "SELECT section, row, created_at, origin_session, origin_row FROM plan_rows "
                    "WHERE session_id=? ORDER BY section, row", (sid,))
            )
            answers = tuple(
                AnswerRecord(AnswerKey(w, p, i, r, f), self._decode(v, w, i, f), u)
                for w, p, i, r, f, v, u in self._conn.execute(
                    "SELECT worksheet, partner, item, row, field, value, updated_at FROM answers "
                    "WHERE session_id=? ORDER BY worksheet, partner, item, row, field", (sid,))
            )
            sessions.append(SessionRecord(number, date, who, created, rows, answers,
                                          dict(info.worksheets), dict(info.options)))
        return CoupleRecord(couple, tuple(sessions))

    @_guarded
    def insert_couple_record(self, record: CoupleRecord, couple_id: str) -> Couple:
        c = record.couple
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM couples WHERE id=?", (couple_id,)).fetchone():
                raise StoreError(
                    f"a couple with the id '{couple_id}' is already in the store; nothing was "
                    "imported. Import it under another id, or delete the existing one first."
                )
            conn.execute("INSERT INTO couples VALUES (?,?,?,?,?)",
                         (couple_id, c.partner_a, c.partner_b, c.notes, c.created_at))
            for s in record.sessions:
                sid = conn.execute(
                    "INSERT INTO sessions (couple_id, number, date, facilitator, created_at, "
                    "worksheets, options) VALUES (?,?,?,?,?,?,?)",
                    (couple_id, s.number, s.date, s.facilitator, s.created_at,
                     json.dumps(dict(s.worksheets or self.content.versions)),
                     json.dumps(dict(s.options))),
                ).lastrowid
                conn.executemany(
                    "INSERT INTO plan_rows (session_id, section, row, created_at, "
                    "origin_session, origin_row) VALUES (?,?,?,?,?,?)",
                    [(sid, r.section, r.row, r.created_at, r.origin_session, r.origin_row)
                     for r in s.plan_rows],
                )
                conn.executemany(
                    "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?)",
                    [(sid, *a.key, json.dumps(a.value, ensure_ascii=False), a.updated_at)
                     for a in s.answers],
                )
        return Couple(couple_id, c.partner_a, c.partner_b, c.notes, c.created_at)


class Store(SQLiteStore):
    """The session store in the data folder (``TOOLKIT_DATA_DIR`` or the user's data
    folder when ``data_dir`` is not given), with the couples' PDFs beside it."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *,
                 content: Content | None = None) -> None:
        self.data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
        _make_private_folder(self.data_dir)
        super().__init__(self.data_dir / DB_NAME, content=content)
        self._in_use = _hold_shared_lock(self.data_dir / f"{DB_NAME}.in-use")

    def reports_dir(self, couple_id: str, *, create: bool = True) -> Path:
        """Where a couple's PDFs are written: inside the private data folder, so
        deleting the couple deletes them too."""
        folder = self.data_dir / "reports" / slugify(couple_id)
        if create:
            _make_private_folder(folder.parent, "reports folder")
            _make_private_folder(folder, "reports folder")
        return folder

    def delete_couple(self, couple_id: str) -> None:
        super().delete_couple(couple_id)
        reports = self.reports_dir(couple_id, create=False)
        if reports.is_dir():
            shutil.rmtree(reports)

    def close(self) -> None:
        super().close()
        _release(getattr(self, "_in_use", None))
        self._in_use = None

    def in_use_elsewhere(self) -> bool:
        """Whether another notebook or program has this store open right now."""
        marker = self.data_dir / f"{DB_NAME}.in-use"
        busy = _others_hold(marker, self._in_use)
        self._in_use = _hold_shared_lock(marker)
        return busy

    def delete_everything(self) -> None:
        """Remove the whole store (every couple) from disk."""
        with self._lock:
            self.close()
            for suffix in ("", "-wal", "-shm"):
                side = self.data_dir / f"{DB_NAME}{suffix}"
                if side.exists():
                    side.unlink()
            for backup in self.data_dir.glob(f"{DB_NAME}.before-*"):
                backup.unlink()
            for name in (f"{DB_NAME}.in-use", f"{DB_NAME}.setup"):
                marker = self.data_dir / name
                if marker.exists():
                    marker.unlink()
            for folder in ("reports", "notebooks"):  # notebooks run here keep outputs
                path = self.data_dir / folder
                if path.is_dir():
                    shutil.rmtree(path)


# --- knowing whether another notebook or program has the store open ------------------------
#
# Each open Store holds a shared lock on a small marker file beside the store;
# "delete --all" asks for an exclusive one without waiting, which fails while any
# other process holds its shared lock. (Advisory locks on a separate file: SQLite's
# own locks on the store file must not be touched.)


def _open_marker(marker: Path) -> int | None:
    """The lock files hold no data; where they cannot be locked (no ``fcntl``) or made
    (a read-only folder), locking is skipped and the store's own checks still apply."""
    if fcntl is None:
        return None
    try:
        return os.open(marker, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None


def _hold_shared_lock(marker: Path) -> int | None:
    fd = _open_marker(marker)
    if fd is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _exclusive(marker: Path, wait: float = 30.0) -> int | None:
    """Hold an exclusive lock while this process checks, creates or upgrades the store,
    so two processes starting at once (two kernels, the app and the command line) take
    turns instead of racing; waits up to ``wait`` seconds."""
    fd = _open_marker(marker)
    if fd is None:
        return None
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise StoreBusyError(
                    f"{marker.parent}: another program has been setting up the session store "
                    f"for over {wait:.0f} seconds; nothing was changed. Try again in a moment."
                ) from None
            time.sleep(0.05)


def _release(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)  # closing drops the lock


def _others_hold(marker: Path, own: int | None) -> bool:
    _release(own)  # our own shared lock would block the test
    fd = _open_marker(marker)
    if fd is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
