"""The session store pinned word by word and value by value: what is saved reads back
exactly, each refusal is one sentence naming the file or field, nothing is written or
changed on a refusal, the files stay private, deleted data is scrubbed, and old stores
are upgraded step by step. Every expected value is written out by hand."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import stat
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from toolkit.responses import AnswerError, Couple, SessionInfo
from toolkit.store import (
    DB_NAME,
    SCHEMA_VERSION,
    SQLiteStore,
    Store,
    StoreBusyError,
    StoreDamagedError,
    StoreError,
    StoreFullError,
    StoreGoneError,
    default_data_dir,
    migrations,
)
from toolkit.store import sqlite as sq
from toolkit.store.base import CoupleRecord, PlanRowRecord, SessionRecord

V1 = {"spectrum": 1, "origins": 1, "boundaries": 1}
V2 = {"spectrum": 2, "origins": 2, "boundaries": 2, "safety": 1}
STEPS = ["0001_initial", "0002_carried_plan_rows", "0003_session_worksheets", "0004_workshops"]
DESCRIPTIONS = [
    "couples, sessions, plan rows and answers",
    "plan rows remember the session they were carried from",
    "sessions record the worksheet versions they were answered with, and their options",
    "workshops, their couples and their private links",
]
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
TABLES = "pursuits, rituals, small_risks, agreements, need_sentences, expectations, repair"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def legacy(data_dir: Path, steps: int = 1) -> Path:
    """A store as an older release wrote it: ``steps`` schema steps, none recorded."""
    data_dir.mkdir(mode=0o700, exist_ok=True)
    path = data_dir / DB_NAME
    conn = sqlite3.connect(path)
    for m in migrations.MIGRATIONS[:steps]:
        m.apply(conn)
    conn.execute("INSERT INTO couples VALUES ('ana-bo', 'Ana', 'Bo', 'n', '2026-01-01')")
    conn.execute("INSERT INTO sessions (id, couple_id, number, date, facilitator, created_at) "
                 "VALUES (1, 'ana-bo', 1, '2026-01-02', 'Fay', '2026-01-02')")
    conn.execute("INSERT INTO plan_rows (session_id, section, row, created_at) "
                 "VALUES (1, 'rituals', 1, '2026-01-02')")
    conn.execute("INSERT INTO answers VALUES (1, 'spectrum', 'a', 'decisions', 0, 'position', "
                 "'-2', '2026-01-02')")
    conn.execute(f"PRAGMA application_id={sq.APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version={steps}")
    conn.commit()
    conn.close()
    path.chmod(0o600)
    return path


def raw(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def refused(data_dir: Path, content, message: str, cls=StoreError) -> None:
    """Opening is refused with exactly ``message``, and the file is left as it was."""
    path = data_dir / DB_NAME
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(cls) as info:
        Store(data_dir, content=content)
    assert str(info.value) == message
    if before is not None:
        assert path.read_bytes() == before


# --- where the store lives -----------------------------------------------------------------


def test_constants():
    assert DB_NAME == "sessions.sqlite3"
    assert sq.DATA_ENV == "TOOLKIT_DATA_DIR"
    assert sq.APPLICATION_ID == 1129335892
    assert SCHEMA_VERSION == 4
    assert sq.SQLITE_HEADER == b"SQLite format 3\x00"
    assert sorted(sq.EXPECTED_TABLES) == ["answers", "couples", "plan_rows", "sessions"]


def test_default_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TOOLKIT_DATA_DIR", "~/private")
    assert default_data_dir() == tmp_path / "home" / "private"
    monkeypatch.setenv("TOOLKIT_DATA_DIR", "")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "couples-toolkit"
    monkeypatch.setenv("TOOLKIT_DATA_DIR", str(tmp_path / "env"))
    with Store(content=None) as s:
        assert s.data_dir == tmp_path / "env" and s.path == tmp_path / "env" / DB_NAME
    with Store("~/by-arg", content=None) as s:
        assert s.data_dir == tmp_path / "home" / "by-arg"
        assert mode(s.data_dir) == 0o700


def test_a_new_store_is_private_and_set_up(data_dir, content):
    with Store(data_dir / "deep" / "er", content=content) as s:
        assert mode(data_dir / "deep" / "er") == 0o700  # the folder the store is in
        assert mode(s.path) == 0o600
        assert s.name == str(s.path)
        pragma = {p: s._conn.execute(f"PRAGMA {p}").fetchone()[0] for p in (
            "journal_mode", "synchronous", "foreign_keys", "secure_delete", "busy_timeout",
            "application_id", "user_version")}
        assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                          "secure_delete": 1, "busy_timeout": 10000,
                          "application_id": 1129335892, "user_version": 4}
        assert s._conn.isolation_level is None
        assert s.schema_version == 4 and s.applied_migrations() == STEPS
        assert s.check() == "ok"
        rows = s._conn.execute("SELECT name, description, applied_at FROM schema_migrations "
                               "ORDER BY rowid").fetchall()
        assert [r[:2] for r in rows] == list(zip(STEPS, DESCRIPTIONS, strict=True))
        assert all(STAMP.match(r[2]) for r in rows)
        assert [r[1] for r in s._conn.execute("PRAGMA table_info(schema_migrations)")] == [
            "name", "description", "applied_at"]
        marker = s.path.with_name(f"{DB_NAME}.setup")
        assert mode(marker) == 0o600
    assert not list((data_dir / "deep" / "er").glob("*.before-*"))


def test_an_empty_file_is_set_up(data_dir, content):
    data_dir.mkdir(mode=0o700)
    path = data_dir / DB_NAME
    path.touch(mode=0o600)
    with Store(data_dir, content=content) as s:
        assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.applied_migrations() == STEPS
        assert s.create_couple("Ana", "Bo").id == "ana-bo"


def test_an_empty_sqlite_database_is_set_up(data_dir, content):
    data_dir.mkdir(mode=0o700)
    raw(data_dir / DB_NAME, "PRAGMA page_size=4096", "VACUUM")
    (data_dir / DB_NAME).chmod(0o600)
    assert (data_dir / DB_NAME).stat().st_size > 0
    with Store(data_dir, content=content) as s:
        assert s.applied_migrations() == STEPS
        assert s._conn.execute("PRAGMA application_id").fetchone()[0] == 1129335892


def test_in_memory_and_given_connections(content):
    with SQLiteStore(content=content) as s:
        assert s.name == "session store (in memory)" and s.path is None
        couple = s.create_couple("Ana", "Bo")
        s.delete_couple(couple.id)  # nothing to scrub in memory
        assert s.couples() == []
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    assert conn.isolation_level == ""
    with SQLiteStore(conn, content=content) as s:
        assert s.name == "session store"
        assert conn.isolation_level is None
        s.create_couple("Ana", "Bo")
    assert conn.execute("SELECT id FROM couples").fetchall() == [("ana-bo",)]  # left open
    conn.close()


def test_a_store_in_memory_writes_no_file_and_serves_any_thread(content, tmp_path,
                                                                monkeypatch):
    """The app saves from a timer thread; a throw-away store must take those saves too,
    and leave nothing on the disk."""
    import threading

    monkeypatch.chdir(tmp_path)
    with SQLiteStore(content=content) as s:
        results: list = []
        worker = threading.Thread(target=lambda: results.append(s.create_couple("Ana", "Bo")))
        worker.start()
        worker.join()
        assert [c.id for c in results] == ["ana-bo"]
        assert [c.id for c in s.couples()] == ["ana-bo"]
    assert list(tmp_path.iterdir()) == []


def test_a_store_file_that_cannot_be_made_is_named(tmp_path, content):
    path = tmp_path / "link.sqlite3"
    path.symlink_to(tmp_path / "nowhere" / "sessions.sqlite3")
    with pytest.raises(StoreError) as info:
        SQLiteStore(path, content=content)
    assert str(info.value) == (f"{path}: the session store cannot be created (No such file or "
                               "directory).")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize(("error", "cls", "says"), [
    ("unable to open database file", StoreError, "the session store could not be read"),
    ("database is locked", StoreBusyError, "another program is using the session store"),
])
def test_sqlite_refusing_to_open_the_file_is_said_in_words(data_dir, content, monkeypatch,
                                                          error, cls, says):
    Store(data_dir, content=content).close()
    path = data_dir / DB_NAME
    real = sq.sqlite3.connect

    def failing(target, *args, **kwargs):
        if target == path:  # the store's own connection, after its header was read
            raise sqlite3.OperationalError(error)
        return real(target, *args, **kwargs)

    monkeypatch.setattr(sq.sqlite3, "connect", failing)
    with pytest.raises(cls) as info:
        Store(data_dir, content=content)
    assert str(info.value).startswith(f"{path}: {says}")
    assert "damaged" not in str(info.value)


def test_a_closed_store_closes_its_connection(store):
    with store as same:
        assert same is store
    with pytest.raises(sqlite3.ProgrammingError):
        store._conn.execute("SELECT 1")


# --- files the store refuses, untouched ---------------------------------------------------------


def test_a_folder_where_the_file_should_be(data_dir, content):
    (data_dir / DB_NAME).mkdir(parents=True)
    data_dir.chmod(0o700)
    refused(data_dir, content,
            f"{data_dir / DB_NAME}: expected a session store file, found a folder or device")


def test_not_a_database(data_dir, content):
    data_dir.mkdir(mode=0o700)
    (data_dir / DB_NAME).write_text("SQLite format 2 and some notes")
    refused(data_dir, content,
            f"{data_dir / DB_NAME}: not a session store (this file is not an SQLite database)."
            " It was left untouched; move it away or point TOOLKIT_DATA_DIR elsewhere.")


# One refusal per test: a refused open keeps its setup lock until it is collected.


@pytest.mark.parametrize("pragma", ["PRAGMA user_version=1", "PRAGMA application_id=7"])
def test_another_programs_database(data_dir, content, pragma):
    data_dir.mkdir(mode=0o700)
    raw(data_dir / DB_NAME, pragma)  # no tables, but a version or another program's id
    refused(data_dir, content,
            f"{data_dir / DB_NAME}: this SQLite database belongs to another program, not the "
            "toolkit. It was left untouched.")


def test_missing_tables_are_damage(data_dir, content):
    data_dir.mkdir(mode=0o700)
    raw(data_dir / DB_NAME, "CREATE TABLE couples (id TEXT)",
        f"PRAGMA application_id={sq.APPLICATION_ID}", "PRAGMA user_version=2")
    (data_dir / DB_NAME).chmod(0o600)
    refused(data_dir, content,
            f"{data_dir / DB_NAME}: the session store is damaged (its tables answers, "
            "plan_rows, sessions are missing). It was left untouched; restore it from a backup "
            "or an exported JSON file.", StoreDamagedError)


def test_a_newer_schema_version(data_dir, content):
    Store(data_dir, content=content).close()
    path = data_dir / DB_NAME
    raw(path, "PRAGMA user_version=5")
    refused(data_dir, content,
            f"{path}: written by a newer version of the toolkit (schema version 5; this "
            "version knows 4 schema steps). Update the toolkit; the file was left untouched.")


def test_unknown_steps(data_dir, content):
    Store(data_dir, content=content).close()
    path = data_dir / DB_NAME
    raw(path, "INSERT INTO schema_migrations VALUES ('0005_a', 'x', 'now')",
        "INSERT INTO schema_migrations VALUES ('0006_b', 'y', 'now')")
    refused(data_dir, content,
            f"{path}: written by a newer version of the toolkit (0005_a, 0006_b; this "
            "version knows 4 schema steps). Update the toolkit; the file was left untouched.")


def test_a_store_others_can_read_is_refused(data_dir, content):
    Store(data_dir, content=content).close()
    path = data_dir / DB_NAME
    path.chmod(0o640)
    refused(data_dir, content,
            f"{path}: the session store can be read by other users of this computer (mode "
            f"640); it was left as it is. Run: chmod 600 '{path}'.")
    assert mode(path) == 0o640


def test_odd_data_folders(tmp_path, content):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o750)
    shared.chmod(0o750)
    with pytest.raises(StoreError) as info:
        Store(shared, content=content)
    assert str(info.value) == (
        f"{shared}: the data folder can be opened by other users of this computer (mode 750); "
        f"client data needs a private folder. Run: chmod 700 '{shared}', or set "
        "TOOLKIT_DATA_DIR to a new folder (the toolkit creates it privately).")
    assert mode(shared) == 0o750 and list(shared.iterdir()) == []
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for folder, message in [
        (a_file, f"{a_file}: the data folder is a file, not a folder; move the file away or "
                 "point TOOLKIT_DATA_DIR at a folder."),
        (a_file / "in", f"{a_file / 'in'}: the data folder cannot be made here: part of the "
                        "path is a file, not a folder."),
        (Path("/proc/no-such-place/data"), "/proc/no-such-place/data: the data folder cannot "
                                           "be made (No such file or directory)."),
    ]:
        with pytest.raises(StoreError) as info:
            Store(folder, content=content)
        assert str(info.value) == message
    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(StoreError) as info:
        Store(dangling, content=content)
    assert str(info.value) == (f"{dangling}: the data folder cannot be reached (No such file or "
                               "directory); point TOOLKIT_DATA_DIR at a folder of your own.")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs to hand a folder to another user")
def test_a_folder_of_another_user(tmp_path, content):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    with pytest.raises(StoreError) as info:
        Store(folder, content=content)
    assert str(info.value) == (f"{folder}: the data folder belongs to another user; client data "
                               "must live in a folder of your own (set TOOLKIT_DATA_DIR).")


def test_sqlite_errors_in_words():
    cases = [
        (sqlite3.OperationalError("database is locked"), StoreBusyError,
         "s: another program is using the session store and did not let go in 10 seconds; "
         "nothing was saved. Try again in a moment, or close the other notebook or command."),
        (sqlite3.OperationalError("database table is busy"), StoreBusyError, None),
        (sqlite3.OperationalError("database or disk is full"), StoreFullError,
         "s: the disk is full (or a file-size limit was reached); nothing was saved. Free some "
         "space and try again; the store itself is intact."),
        (sqlite3.DataError("string or blob too big"), StoreFullError, None),
        (sqlite3.OperationalError("attempt to write a readonly database"), StoreError,
         "s: the session store cannot be written to (read-only); nothing was saved. Check the "
         "folder's permissions."),
        (sqlite3.OperationalError("attempt to write a read-only database"), StoreError, None),
        (sqlite3.OperationalError("disk I/O error"), StoreError,
         "s: the session store could not be read or written just now (the disk may be full, a "
         "file-size limit reached, or the disk failing); nothing was saved and the store was "
         "left as it is. Free some space or check the disk, then try again."),
        (sqlite3.OperationalError("unable to open database file"), StoreError, None),
        (sqlite3.DatabaseError("database disk image is malformed"), StoreDamagedError,
         "s: the session store is damaged (database disk image is malformed). It was left as "
         "it is; restore it from a backup or an exported JSON file."),
        (sqlite3.DatabaseError("readonly"), StoreDamagedError, None),  # not an operation
        (sqlite3.DatabaseError("disk I/O error"), StoreDamagedError, None),
    ]
    for exc, cls, message in cases:
        out = sq._translate(exc, "s")
        assert type(out) is cls, exc
        if message is not None:
            assert str(out) == message


def test_a_store_replaced_underneath_refuses_to_save(store):
    couple = store.create_couple("Ana", "Bo")
    info = store.new_session(couple.id, date="2026-01-02")
    replacement = store.path.with_name("other")
    replacement.write_bytes(store.path.read_bytes())
    os.replace(replacement, store.path)
    with pytest.raises(StoreGoneError) as info_:
        store.set_answer(info.id, ("spectrum", "a", "decisions", 0, "position"), 1)
    assert str(info_.value) == (
        f"{store.path}: the session store was deleted or replaced while it was open here, so "
        "this was NOT saved. Open the session again (re-run the notebook) to keep working.")


# --- upgrading an old store -----------------------------------------------------------------------


def test_a_first_release_store_is_upgraded_step_by_step(data_dir, content):
    path = legacy(data_dir, 1)
    before = path.read_bytes()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert migrations.applied(conn) == STEPS[:1]
    assert [m.name for m in migrations.pending(conn)] == STEPS[1:]
    assert migrations.unknown(conn) == []
    conn.close()
    assert path.read_bytes() == before
    with Store(data_dir, content=content) as s:
        rows = s._conn.execute("SELECT name, description, applied_at FROM schema_migrations "
                               "ORDER BY rowid").fetchall()
        assert rows[0] == ("0001_initial", DESCRIPTIONS[0], "before recording")
        assert [r[:2] for r in rows[1:]] == list(zip(STEPS[1:], DESCRIPTIONS[1:], strict=True))
        assert all(STAMP.match(r[2]) for r in rows[1:])
        assert s.schema_version == 4
        assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s._conn.execute("PRAGMA application_id").fetchone()[0] == 1129335892
        info = s.session("ana-bo")
        assert info == SessionInfo(1, "ana-bo", 1, "2026-01-02", "Fay", "2026-01-02", V1, {})
        data = s.load_session(1)
        assert data.spectrum("a") == {"decisions": -2} and data.plan("rituals") == [{"row": 1}]
        assert data.row_origins == {}
        columns = {t: [r[1] for r in s._conn.execute(f"PRAGMA table_info({t})")]
                   for t in ("plan_rows", "sessions")}
        assert columns == {
            "plan_rows": ["session_id", "section", "row", "created_at", "origin_session",
                          "origin_row"],
            "sessions": ["id", "couple_id", "number", "date", "facilitator", "created_at",
                         "worksheets", "options"]}
    backup = data_dir / f"{DB_NAME}.before-0002_carried_plan_rows"
    assert mode(backup) == 0o600
    assert backup.read_bytes() == before or _same_rows(backup, before)
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    old.close()
    assert not Path(f"{backup}-wal").exists()


def _same_rows(backup: Path, before: bytes) -> bool:
    conn = sqlite3.connect(backup)
    rows = conn.execute("SELECT * FROM answers").fetchall()
    conn.close()
    return rows == [(1, "spectrum", "a", "decisions", 0, "position", "-2", "2026-01-02")]


def test_a_second_release_store_records_both_old_steps(data_dir, content):
    legacy(data_dir, 2)
    with Store(data_dir, content=content) as s:
        rows = s._conn.execute("SELECT name, applied_at FROM schema_migrations "
                               "ORDER BY rowid").fetchall()
        assert [r[0] for r in rows] == STEPS
        assert [r[1] for r in rows[:2]] == ["before recording", "before recording"]
        assert all(STAMP.match(r[1]) for r in rows[2:])
        assert s.session("ana-bo").worksheets == V1
        assert s.schema_version == 4
    assert [p.name for p in data_dir.glob("*.before-*")] == [
        f"{DB_NAME}.before-0003_session_worksheets"]


def test_migration_helpers_on_recorded_and_partly_recorded_stores(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    assert migrations.applied(conn) == [] and migrations.pending(conn) == list(
        migrations.MIGRATIONS)
    conn.execute("BEGIN")
    migrations.run(conn, list(migrations.MIGRATIONS[:2]), lambda: "then")
    conn.execute("COMMIT")
    assert migrations.applied(conn) == STEPS[:2]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert [m.name for m in migrations.pending(conn)] == STEPS[2:]
    migrations.run(conn, list(migrations.MIGRATIONS), lambda: "later")  # runs only the rest
    assert conn.execute("SELECT name, applied_at FROM schema_migrations ORDER BY rowid"
                        ).fetchall() == [(STEPS[0], "then"), (STEPS[1], "then"),
                                         (STEPS[2], "later"), (STEPS[3], "later")]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    assert migrations.unknown(conn) == []
    conn.execute("PRAGMA user_version=6")
    assert migrations.unknown(conn) == ["schema version 6"]
    conn.execute("INSERT INTO schema_migrations VALUES ('0009_x', 'd', 'now')")
    assert migrations.unknown(conn) == ["0009_x"]
    assert migrations.applied_before_table(conn) == STEPS  # user_version beyond the steps
    conn.close()


def test_a_damaged_old_store_is_not_upgraded(data_dir, content):
    path = legacy(data_dir, 1)
    conn = sqlite3.connect(path)
    for i in range(400):
        conn.execute("INSERT INTO answers VALUES (1, 'origins', 'a', ?, 0, 'notes', ?, 'x')",
                     (f"item{i}", json.dumps("note " * 40)))
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    # smash a leaf page in the middle of the answers table (the header and schema survive)
    middle = (len(data) // page // 2) * page
    data[middle + 8: middle + page] = b"\x07" * (page - 8)
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(StoreDamagedError) as info:
        Store(data_dir, content=content)
    assert str(info.value).startswith(f"{path}: the session store is damaged (")
    assert str(info.value).endswith("). It was left untouched; restore it from a backup or an "
                                    "exported JSON file.")
    assert path.read_bytes() == before
    assert not list(data_dir.glob("*.before-*"))


# --- couples ------------------------------------------------------------------------------


def test_couples_are_created_named_and_numbered(store):
    kim = store.create_couple("  Kim ", "Kevin", notes="  keep spaces  ")
    assert (kim.id, kim.partner_a, kim.partner_b, kim.notes) == (
        "kim-kevin", "Kim", "Kevin", "  keep spaces  ")
    assert STAMP.match(kim.created_at)
    assert store.couple("kim-kevin") == kim
    assert store.create_couple("Kim", "Kevin").id == "kim-kevin-2"
    assert store.create_couple("Kim", "Kevin").id == "kim-kevin-3"
    mine = store.create_couple("A", "B", couple_id="Our Own ID")
    assert mine.id == "our-own-id"
    with pytest.raises(StoreError) as info:
        store.create_couple("C", "D", couple_id="our own id")
    assert str(info.value) == "a couple with the id 'our-own-id' already exists"
    assert [c.id for c in store.couples()] == ["kim-kevin", "kim-kevin-2", "kim-kevin-3",
                                               "our-own-id"]
    with pytest.raises(AnswerError) as info:
        store.create_couple("Kim", "")
    assert str(info.value) == "partner B's name: a name is needed (a pseudonym is fine)"
    with pytest.raises(AnswerError, match="^couple notes: expected text, got int$"):
        store.create_couple("Kim", "Kevin", notes=5)
    assert len(store.couples()) == 4


def test_a_missing_couple_is_named(store):
    message = "no couple with the id 'ghost' (see the list of couples: python -m toolkit list)"
    for call in (lambda: store.couple("ghost"), lambda: store.sessions("ghost"),
                 lambda: store.update_couple("ghost", notes="x"),
                 lambda: store.delete_couple("ghost"),
                 lambda: store.add_session("ghost", answers={}, plan_rows={}),
                 lambda: store.couple_record("ghost")):
        with pytest.raises(StoreError) as info:
            call()
        assert str(info.value) == message


def test_update_couple_changes_only_what_is_given(store):
    c = store.create_couple("Ana", "Bo", notes="first")
    assert store.update_couple(c.id, partner_a=" Ann ") == Couple(c.id, "Ann", "Bo", "first",
                                                                  c.created_at)
    assert store.update_couple(c.id, partner_b="Bob") == Couple(c.id, "Ann", "Bob", "first",
                                                                c.created_at)
    assert store.update_couple(c.id, notes="") == Couple(c.id, "Ann", "Bob", "", c.created_at)
    assert store.update_couple(c.id) == Couple(c.id, "Ann", "Bob", "", c.created_at)
    assert store.couple(c.id) == Couple(c.id, "Ann", "Bob", "", c.created_at)
    with pytest.raises(AnswerError) as info:
        store.update_couple(c.id, partner_a="two\nlines")
    assert str(info.value) == ("partner A's name: a name must be a single line without control "
                               "characters")
    with pytest.raises(AnswerError, match="^partner B's name: a name is needed"):
        store.update_couple(c.id, partner_b="")
    with pytest.raises(AnswerError, match="^couple notes: contains a NUL"):
        store.update_couple(c.id, notes="\x00")
    assert store.couple(c.id) == Couple(c.id, "Ann", "Bob", "", c.created_at)


def test_session_counts(store):
    ana = store.create_couple("Ana", "Bo")
    kim = store.create_couple("Kim", "Kevin")
    store.new_session(ana.id, date="2026-05-01")
    store.new_session(ana.id, date="2026-01-01")  # later number, earlier date
    assert store.session_counts() == {"ana-bo": (2, "2026-05-01"), "kim-kevin": (0, "")}
    assert kim.id in store.session_counts()


# --- sessions -------------------------------------------------------------------------------------


def test_sessions_by_number(store):
    c = store.create_couple("Ana", "Bo")
    with pytest.raises(StoreError) as info:
        store.session(c.id)
    assert str(info.value) == "couple 'ana-bo' has no sessions yet"
    one = store.new_session(c.id, date="2026-01-02", facilitator="  Fay  ")
    two = store.new_session(c.id, date=dt.date(2026, 2, 3))
    assert (one.number, one.date, one.facilitator, one.worksheets, one.options) == (
        1, "2026-01-02", "Fay", V2, {})
    assert (two.number, two.date, two.facilitator) == (2, "2026-02-03", "")
    assert store.session(c.id) == two and store.session(c.id, 1) == one
    assert store.sessions(c.id) == [one, two]
    with pytest.raises(StoreError) as info:
        store.session(c.id, 3)
    assert str(info.value) == "couple 'ana-bo' has no session 3 (sessions: 1, 2)"
    today = store.new_session(c.id)
    assert today.date == dt.date.today().isoformat() and STAMP.match(today.created_at)


def test_add_session_writes_everything_at_once(store):
    c = store.create_couple("Ana", "Bo")
    store.new_session(c.id, date="2026-01-02")
    info = store.add_session(
        c.id,
        answers={("spectrum", "a", "decisions", 0, "position"): 3,
                 ("spectrum", "b", "decisions", 0, "position"): None,
                 ("boundaries", "couple", "rituals", 2, "ritual"): "walk",
                 ("boundaries", "couple", "review", 0, "date"): " 2026-03-01 "},
        plan_rows={"rituals": [1, 2], "repair": [4]},
        date="2026-02-02", facilitator=" Fay ",
        row_origins={("rituals", 2): (1, 5)}, options={"shuffle_items": False})
    assert (info.number, info.date, info.facilitator, info.options) == (
        2, "2026-02-02", "Fay", {"shuffle_items": False})
    assert store.session(c.id, 2) == info
    data = store.load_session(info.id)
    assert data.answers == {("boundaries", "couple", "review", 0, "date"): "2026-03-01",
                            ("boundaries", "couple", "rituals", 2, "ritual"): "walk",
                            ("spectrum", "a", "decisions", 0, "position"): 3}
    assert data.plan_rows == {"repair": (4,), "rituals": (1, 2)}
    assert data.row_origins == {("rituals", 2): (1, 5)}
    record = store.couple_record(c.id).sessions[1]
    assert [(r.section, r.row, r.origin_session, r.origin_row) for r in record.plan_rows] == [
        ("repair", 4, None, None), ("rituals", 1, None, None), ("rituals", 2, 1, 5)]
    assert {r.created_at for r in record.plan_rows} == {info.created_at}
    assert {a.updated_at for a in record.answers} == {info.created_at}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"plan_rows": {"review": [1]}}, "boundaries / review: not a plan table"),
        ({"plan_rows": {"rituals": [0]}}, "boundaries / rituals: rows are whole numbers from 1"),
        ({"plan_rows": {"rituals": [True]}},
         "boundaries / rituals: rows are whole numbers from 1"),
        ({"plan_rows": {"rituals": ["1"]}},
         "boundaries / rituals: rows are whole numbers from 1"),
        ({"answers": {("boundaries", "couple", "rituals", 3, "ritual"): "x"},
          "plan_rows": {"rituals": [1, 2]}},
         "boundaries / couple / rituals / row 3 / ritual: refers to a plan row that does not "
         "exist"),
        ({"answers": {("boundaries", "couple", "rituals", 1, "ritual"): "x"}},
         "boundaries / couple / rituals / row 1 / ritual: refers to a plan row that does not "
         "exist"),
        ({"answers": {("spectrum", "a", "decisions", 0, "position"): 4}},
         "spectrum / a / decisions / position: 4 is out of range -3..3"),
        ({"options": {"colour": True}}, "session option 'colour' is unknown (known: "
         "shuffle_items)"),
        ({"options": {"shuffle_items": "yes"}},
         "session option 'shuffle_items': expected yes or no, got 'yes'"),
        ({"date": "2026-13-01"}, "session date: '2026-13-01' is not a date in the form "
         "YYYY-MM-DD"),
        ({"facilitator": "F" * 201}, "facilitator name: text is 201 characters long; the limit "
         "is 200"),
    ],
)
def test_add_session_refuses_and_writes_nothing(store, kwargs, message):
    c = store.create_couple("Ana", "Bo")
    before = store._conn.total_changes
    args = {"answers": {}, "plan_rows": {}, **kwargs}
    with pytest.raises(AnswerError) as info:
        store.add_session(c.id, **args)
    assert str(info.value) == message
    assert store._conn.total_changes == before and store.sessions(c.id) == []


def test_update_session(store):
    c = store.create_couple("Ana", "Bo")
    info = store.new_session(c.id, date="2026-01-02", facilitator="Fay")
    moved = store.update_session(info.id, date="2026-01-09")
    assert (moved.date, moved.facilitator, moved.options) == ("2026-01-09", "Fay", {})
    renamed = store.update_session(info.id, facilitator="  Gil ")
    assert (renamed.date, renamed.facilitator) == ("2026-01-09", "Gil")
    opts = store.update_session(info.id, options={"shuffle_items": False})
    assert opts.options == {"shuffle_items": False}
    assert store.update_session(info.id).options == {"shuffle_items": False}
    assert store.session(c.id) == SessionInfo(info.id, c.id, 1, "2026-01-09", "Gil",
                                              info.created_at, V2, {"shuffle_items": False})
    for kwargs, message in [
        ({"date": ""}, "session date: '' is not a date in the form YYYY-MM-DD"),
        ({"facilitator": 3}, "facilitator name: expected text, got int"),
        ({"options": {"x": 1}}, "session option 'x' is unknown (known: shuffle_items)"),
    ]:
        with pytest.raises(AnswerError) as err:
            store.update_session(info.id, **kwargs)
        assert str(err.value) == message
    assert store.session(c.id).date == "2026-01-09"


def test_a_deleted_session_is_named(store):
    c = store.create_couple("Ana", "Bo")
    one = store.new_session(c.id, date="2026-01-02")
    two = store.new_session(c.id, date="2026-01-03")
    store.set_answer(one.id, ("spectrum", "a", "decisions", 0, "position"), 2)
    store.delete_session(one.id)
    assert store.sessions(c.id) == [two]
    message = ("this session is no longer in the store (it was deleted, perhaps from another "
               "window); open the couple again")
    for call in (lambda: store.load_session(one.id), lambda: store.delete_session(one.id),
                 lambda: store.update_session(one.id, date="2026-01-05"),
                 lambda: store.set_answer(one.id, ("spectrum", "a", "decisions", 0,
                                                   "position"), 1),
                 lambda: store.add_plan_row(one.id, "rituals")):
        with pytest.raises(StoreError) as info:
            call()
        assert str(info.value) == message
    assert store._conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 0


def test_damaged_session_details_and_answers(store):
    c = store.create_couple("Ana", "Bo")
    info = store.new_session(c.id, date="2026-01-02")
    store.set_answer(info.id, ("spectrum", "a", "decisions", 0, "position"), 2)
    details = (f"{store.path}: the details of a stored session are damaged and cannot be read. "
               "Restore the store from a backup or an exported JSON file.")
    for column, value in (("worksheets", "[]"), ("options", "[1]"), ("options", "{")):
        store._conn.execute(f"UPDATE sessions SET {column}=?", (value,))
        with pytest.raises(StoreDamagedError) as err:
            store.sessions(c.id)
        assert str(err.value) == details
        store._conn.execute("UPDATE sessions SET worksheets=?, options='{}'",
                            (json.dumps(V2),))
    store._conn.execute("UPDATE answers SET value='{broken'")
    for call in (lambda: store.load_session(info.id), lambda: store.couple_record(c.id)):
        with pytest.raises(StoreDamagedError) as err:
            call()
        assert str(err.value) == (
            f"{store.path}: a stored answer (spectrum / decisions / position) is damaged and "
            "cannot be read. Restore the store from a backup or an exported JSON file.")


# --- answers and plan rows ---------------------------------------------------------------------


def test_answers_are_saved_updated_and_cleared(store):
    c = store.create_couple("Ana", "Bo")
    info = store.new_session(c.id, date="2026-01-02")
    key = ("spectrum", "a", "decisions", 0, "position")
    assert store.set_answer(info.id, key, -3) == -3
    first = store.couple_record(c.id).sessions[0].answers[0].updated_at
    time.sleep(0.002)
    assert store.set_answer(info.id, key, 1) == 1
    second = store.couple_record(c.id).sessions[0].answers[0]
    assert second.value == 1 and second.updated_at > first and STAMP.match(second.updated_at)
    assert store.set_answer(info.id, ("boundaries", "couple", "review", 0, "date"),
                            dt.date(2026, 3, 1)) == "2026-03-01"
    assert store.set_answer(info.id, ("origins", "b", "past_hurts", 0, "notes"), "Юлия 🎉") \
        == "Юлия 🎉"
    stored = store._conn.execute("SELECT value FROM answers WHERE field='notes'").fetchone()[0]
    assert stored == '"Юлия 🎉"'  # kept as typed, not escaped
    assert store.set_answer(info.id, key, None) is None
    assert store.load_session(info.id).answers == {
        ("boundaries", "couple", "review", 0, "date"): "2026-03-01",
        ("origins", "b", "past_hurts", 0, "notes"): "Юлия 🎉"}
    store.set_answer(info.id, key, None)  # clearing twice is fine
    assert len(store.load_session(info.id).answers) == 2


def test_a_bad_answer_leaves_the_store_usable(store):
    c = store.create_couple("Ana", "Bo")
    info = store.new_session(c.id, date="2026-01-02")
    with pytest.raises(AnswerError) as err:
        store.set_answer(info.id, ("boundaries", "couple", "rituals", 1, "ritual"), "walk")
    assert str(err.value) == ("boundaries / couple / rituals / row 1 / ritual: there is no such "
                              "row in this session")
    assert not store._conn.in_transaction
    store.set_answer(info.id, ("spectrum", "a", "decisions", 0, "position"), 2)
    assert store.load_session(info.id).spectrum("a") == {"decisions": 2}


def test_plan_rows_are_numbered_and_removed_with_their_answers(store):
    c = store.create_couple("Ana", "Bo")
    info = store.new_session(c.id, date="2026-01-02")
    assert [store.add_plan_row(info.id, "rituals") for _ in range(3)] == [1, 2, 3]
    assert store.add_plan_row(info.id, "repair") == 1
    for row in (1, 2, 3):
        store.set_answer(info.id, ("boundaries", "couple", "rituals", row, "ritual"), f"r{row}")
    store.set_answer(info.id, ("boundaries", "couple", "repair", 1, "moment"), "m1")
    store.remove_plan_row(info.id, "rituals", 2)
    assert store.load_session(info.id).plan("rituals") == [{"row": 1, "ritual": "r1"},
                                                           {"row": 3, "ritual": "r3"}]
    assert store.add_plan_row(info.id, "rituals") == 4  # numbers are never reused
    store.remove_plan_row(info.id, "rituals", 1)
    data = store.load_session(info.id)
    assert data.plan("rituals") == [{"row": 3, "ritual": "r3"}, {"row": 4}]
    assert data.plan("repair") == [{"row": 1, "moment": "m1"}]
    with pytest.raises(AnswerError) as err:
        store.remove_plan_row(info.id, "rituals", 2)
    assert str(err.value) == "boundaries / rituals: there is no row 2 to remove"
    with pytest.raises(AnswerError) as err:
        store.add_plan_row(info.id, "review")
    assert str(err.value) == f"'review' is not a plan table (tables: {TABLES})"
    with pytest.raises(AnswerError) as err:
        store.add_plan_row(info.id, "garden")
    assert str(err.value) == f"'garden' is not a plan table (tables: {TABLES})"


def test_a_session_keeps_the_worksheets_it_was_answered_with(store):
    record = CoupleRecord(Couple("old", "Ana", "Bo", "", "c"), (
        SessionRecord(1, "2026-01-02", "", "c", (PlanRowRecord("rituals", 1, "c"),), (),
                      dict(V1), {}),
        SessionRecord(2, "2026-01-03", "", "c", (), (), {}, {}),
    ))
    assert store.insert_couple_record(record, "old") == Couple("old", "Ana", "Bo", "", "c")
    old, new = store.sessions("old")
    assert old.worksheets == V1 and new.worksheets == V2  # none given: the ones in use
    assert store.content_of(new) is store.content
    first = store.content_of(old)
    assert first.versions["spectrum"] == 1 and store.content_of(old) is first
    assert "showing_up" not in first.spectrum.ids
    with pytest.raises(AnswerError, match="unknown spectrum item 'showing_up'"):
        store.set_answer(old.id, ("spectrum", "a", "showing_up", 0, "position"), 1)
    store.set_answer(new.id, ("spectrum", "a", "showing_up", 0, "position"), 1)
    with pytest.raises(AnswerError) as err:
        store.add_plan_row(old.id, "repair")
    assert str(err.value) == ("'repair' is not a plan table (tables: pursuits, rituals, "
                              "small_risks, agreements, need_sentences)")
    assert store.add_plan_row(old.id, "rituals") == 2
    with pytest.raises(StoreError) as err:
        store.insert_couple_record(record, "old")
    assert str(err.value) == ("a couple with the id 'old' is already in the store; nothing was "
                              "imported. Import it under another id, or delete the existing one "
                              "first.")
    gone = SessionInfo(9, "old", 7, "2026-01-01", worksheets={"spectrum": 99})
    with pytest.raises(StoreError, match="^session 7 of 'old': "):
        store.content_of(gone)
    assert store.content_of(SessionInfo(9, "old", 7, "2026-01-01")) is store.content


# --- deleting ------------------------------------------------------------------------------------


def test_deleting_a_couple_scrubs_everything(store, data_dir):
    keep = store.create_couple("Ana", "Bo")
    gone = store.create_couple("Quillonia", "Zebediah", notes="lighthouse-secret")
    info = store.new_session(gone.id, date="2026-01-02")
    store.set_answer(info.id, ("origins", "a", "past_hurts", 0, "notes"), "harbour-secret")
    row = store.add_plan_row(info.id, "rituals")
    store.set_answer(info.id, ("boundaries", "couple", "rituals", row, "ritual"), "tide-secret")
    reports = store.reports_dir(gone.id)
    assert reports == data_dir / "reports" / "quillonia-zebediah"
    assert mode(reports) == 0o700 and mode(reports.parent) == 0o700
    (reports / "r.pdf").write_bytes(b"%PDF")
    store.delete_couple(gone.id)
    assert not reports.exists() and (data_dir / "reports").is_dir()
    blob = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith(DB_NAME))
    for secret in (b"Quillonia", b"lighthouse-secret", b"harbour-secret", b"tide-secret"):
        assert secret not in blob
    assert store.couples() == [keep]
    for table in ("sessions", "answers", "plan_rows"):
        assert store._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    assert Path(f"{store.path}-wal").stat().st_size == 0  # the log was emptied


def test_reports_dir_is_made_only_when_asked(store, data_dir):
    folder = store.reports_dir("Ana Bo", create=False)
    assert folder == data_dir / "reports" / "ana-bo" and not folder.parent.exists()
    store.delete_couple(store.create_couple("Ana", "Bo").id)  # no reports: nothing to remove
    assert not (data_dir / "reports").exists()  # and no folder made on the way


def test_a_shared_reports_folder_is_refused(store, data_dir):
    reports = data_dir / "reports"
    reports.mkdir(mode=0o755)
    reports.chmod(0o755)
    with pytest.raises(StoreError) as info:
        store.reports_dir("ana-bo")
    assert str(info.value).startswith(f"{reports}: the reports folder can be opened by other "
                                      "users of this computer (mode 755);")
    reports.chmod(0o700)
    (reports / "ana-bo").mkdir(mode=0o750)
    (reports / "ana-bo").chmod(0o750)
    with pytest.raises(StoreError) as info:
        store.reports_dir("ana-bo")
    assert str(info.value).startswith(f"{reports / 'ana-bo'}: the reports folder can be opened "
                                      "by other users of this computer (mode 750);")


def test_deleting_a_session_scrubs_it(store, data_dir):
    c = store.create_couple("Ana", "Bo")
    one = store.new_session(c.id, date="2026-01-02")
    store.set_answer(one.id, ("origins", "a", "past_hurts", 0, "notes"), "marmalade-secret")
    store.delete_session(one.id)
    blob = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith(DB_NAME))
    assert b"marmalade-secret" not in blob


def test_delete_everything_removes_only_the_stores_files(store, data_dir):
    c = store.create_couple("Ana", "Bo")
    store.reports_dir(c.id)
    (data_dir / "notebooks").mkdir()
    (data_dir / f"{DB_NAME}.before-0002_x").write_text("old")
    (data_dir / "mine.txt").write_text("keep")
    store.delete_everything()
    assert sorted(p.name for p in data_dir.iterdir()) == ["mine.txt"]


def test_knowing_whether_another_store_is_open(data_dir, content):
    with Store(data_dir, content=content) as first:
        assert first.in_use_elsewhere() is False
        second = Store(data_dir, content=content)
        assert first.in_use_elsewhere() is True and second.in_use_elsewhere() is True
        second.close()
        assert first.in_use_elsewhere() is False
        assert first.in_use_elsewhere() is False  # asking keeps its own lock


def test_setting_up_waits_for_another_process_then_gives_up(tmp_path, monkeypatch):
    """Another process setting up the store is waited for, in short naps, for half a
    minute by default; then the wait ends in a sentence. A clock stands in for the wait."""
    marker = tmp_path / "m.setup"
    held = sq._exclusive(marker)
    assert held is not None and mode(marker) == 0o600
    now = [100.0]
    naps: list[float] = []

    def clock() -> float:
        now[0] += 10.0
        return now[0]

    opened: list[int] = []

    def recording(path: Path) -> int | None:
        opened.append(real_open(path))
        return opened[-1]

    real_open = sq._open_marker
    with monkeypatch.context() as patched:  # the store module's clock only
        patched.setattr(sq, "time", SimpleNamespace(monotonic=clock, sleep=naps.append))
        patched.setattr(sq, "_open_marker", recording)
        with pytest.raises(StoreBusyError) as info:
            sq._exclusive(marker)
    # deadline 110 + 30 = 140: tried at 120, 130 and 140 (napping after each), refused at 150
    assert naps == [0.05, 0.05, 0.05]
    assert str(info.value) == (f"{tmp_path}: another program has been setting up the session "
                               "store for over 30 seconds; nothing was changed. Try again in a "
                               "moment.")
    with pytest.raises(OSError):  # the refused try closed the file it opened
        os.fstat(opened[0])
    sq._release(held)
    again = sq._exclusive(marker, wait=0)
    assert again is not None
    sq._release(again)
    sq._release(None)
    sq._release(2**20)  # a descriptor that is no longer valid is not an error


def test_the_in_use_marker_is_private(store, data_dir):
    assert mode(data_dir / f"{DB_NAME}.in-use") == 0o600


def test_a_file_with_the_right_header_but_no_database_is_damage(data_dir, content):
    data_dir.mkdir(mode=0o700)
    (data_dir / DB_NAME).write_bytes(b"SQLite format 3\x00" + b"\x01" * 200)
    (data_dir / DB_NAME).chmod(0o600)
    refused(data_dir, content,
            f"{data_dir / DB_NAME}: the session store is damaged (cannot be read: file is not a "
            "database). It was left untouched; restore it from a backup or an exported JSON "
            "file.", StoreDamagedError)


def test_check_reports_the_first_five_problems(data_dir, content):
    with Store(data_dir, content=content) as s:
        info = s.new_session(s.create_couple("Ana", "Bo").id, date="2026-01-02")
        for n in range(300):
            s.set_answer(info.id, ("origins", "a", "past_hurts", 0, "notes"), f"note {n} " * 50)
            s.set_answer(info.id, ("spectrum", "a", ("decisions", "compromise")[n % 2], 0,
                                   "position"), n % 3)
    path = data_dir / DB_NAME
    data = bytearray(path.read_bytes())
    page = 4096
    for number in range(2, len(data) // page, 2):  # every other page after the schema
        data[number * page + 8:(number + 1) * page] = b"\x07" * (page - 8)
    path.write_bytes(bytes(data))
    with Store(data_dir, content=content) as s:  # opening reads only the header and schema
        report = s.check()
    assert report.startswith("*** in database main *** ")  # one line, for one sentence
    assert "\n" not in report
    assert len(report.split("; ")) == 5


def test_a_deletion_another_reader_blocks_says_so(store):
    gone = store.create_couple("Ana", "Bo")
    keep = store.create_couple("Kim", "Kevin")
    reader = sqlite3.connect(store.path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM couples").fetchone()  # holds a snapshot of the log
    store._conn.execute("PRAGMA busy_timeout=50")  # do not wait the usual ten seconds
    try:
        with pytest.raises(StoreError) as info:
            store.delete_couple(gone.id)
    finally:
        reader.close()
    assert str(info.value) == (
        f"{store.path}: the data was deleted, but another open notebook or program still holds "
        "the file; close it and run the deletion again to scrub the log")
    assert store.couples() == [keep]


def test_a_couple_record_holds_everything_and_inserts_back(store):
    c = store.create_couple("Ana", "Bo", notes="n")
    one = store.new_session(c.id, date="2026-01-02", facilitator="Fay")
    store.update_session(one.id, options={"shuffle_items": False})
    row = store.add_plan_row(one.id, "rituals")
    store.set_answer(one.id, ("boundaries", "couple", "rituals", row, "ritual"), "walk")
    store.set_answer(one.id, ("spectrum", "b", "decisions", 0, "position"), -1)
    store.set_answer(one.id, ("origins", "a", "past_hurts", 0, "notes"), "x")
    two = store.add_session(c.id, answers={}, plan_rows={"rituals": [1]},
                            row_origins={("rituals", 1): (1, 1)}, date="2026-02-02")
    record = store.couple_record(c.id)
    assert record.couple == store.couple(c.id)
    s1, s2 = record.sessions
    assert (s1.number, s1.date, s1.facilitator, s1.created_at, s1.worksheets, s1.options) == (
        1, "2026-01-02", "Fay", one.created_at, V2, {"shuffle_items": False})
    assert [(a.key, a.value) for a in s1.answers] == [
        (("boundaries", "couple", "rituals", 1, "ritual"), "walk"),
        (("origins", "a", "past_hurts", 0, "notes"), "x"),
        (("spectrum", "b", "decisions", 0, "position"), -1)]
    assert all(STAMP.match(a.updated_at) for a in s1.answers)
    assert [(r.section, r.row, r.origin_session, r.origin_row) for r in s1.plan_rows] == [
        ("rituals", 1, None, None)]
    assert (s2.number, s2.created_at, s2.answers) == (2, two.created_at, ())
    assert s2.plan_rows == (PlanRowRecord("rituals", 1, two.created_at, 1, 1),)
    copy_ = store.insert_couple_record(record, "copy")
    assert copy_ == Couple("copy", "Ana", "Bo", "n", c.created_at)
    again = store.couple_record("copy")
    assert again.couple == copy_ and again.sessions == record.sessions


def test_delete_everything_removes_the_log_another_reader_keeps(store, data_dir):
    store.create_couple("Ana", "Bo")
    reader = sqlite3.connect(store.path)
    reader.execute("SELECT count(*) FROM couples").fetchone()
    try:
        store.delete_everything()
        assert sorted(p.name for p in data_dir.iterdir()) == []
    finally:
        reader.close()


def test_a_marker_that_cannot_be_made_means_no_one_holds_it(tmp_path):
    (tmp_path / "file").write_text("x")
    assert sq._others_hold(tmp_path / "file" / "marker", None) is False


def test_a_session_of_ones_own_archived_worksheets(worksheet_copy, data_dir):
    from toolkit.content import load_content

    archived = worksheet_copy / "archive" / "v5"
    archived.mkdir(parents=True)
    for name in ("origins.yaml", "boundaries.yaml"):
        (archived / name).write_text((worksheet_copy / name).read_text("utf-8"), "utf-8")
    (archived / "spectrum.yaml").write_text(
        (worksheet_copy / "spectrum.yaml").read_text("utf-8").replace(
            "\nversion: 2\n", "\nversion: 5\n"), "utf-8")
    own = {"spectrum": 5, "origins": 2, "boundaries": 2}
    with Store(data_dir, content=load_content(worksheet_copy)) as s:
        record = CoupleRecord(Couple("own", "Ana", "Bo", "", "c"), (
            SessionRecord(1, "2026-01-02", "", "c", (), (), own, {}),))
        s.insert_couple_record(record, "own")
        info = s.session("own")
        assert s.content_of(info).versions == {**own, "safety": 1}
        s.set_answer(info.id, ("spectrum", "a", "showing_up", 0, "position"), 2)
        assert s.load_session(info.id).spectrum("a") == {"showing_up": 2}


def test_a_store_opens_while_another_program_checks_for_users(data_dir, content):
    import fcntl

    data_dir.mkdir(mode=0o700)
    fd = os.open(data_dir / f"{DB_NAME}.in-use", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # e.g. "delete --all" asking whether anyone has it open
    try:
        with Store(data_dir, content=content) as s:
            assert s.create_couple("Ana", "Bo").id == "ana-bo"
    finally:
        os.close(fd)


def test_another_programs_step_table_is_not_read_as_ours(data_dir, content):
    data_dir.mkdir(mode=0o700)
    raw(data_dir / DB_NAME, "CREATE TABLE schema_migrations (step TEXT)")
    refused(data_dir, content,
            f"{data_dir / DB_NAME}: this SQLite database belongs to another program, not the "
            "toolkit. It was left untouched.")


def test_a_broken_step_table_is_damage(data_dir, content):
    data_dir.mkdir(mode=0o700)
    raw(data_dir / DB_NAME, "CREATE TABLE schema_migrations (step TEXT)",
        f"PRAGMA application_id={sq.APPLICATION_ID}")
    (data_dir / DB_NAME).chmod(0o600)
    refused(data_dir, content,
            f"{data_dir / DB_NAME}: the session store is damaged (cannot be read: no such "
            "column: name). It was left untouched; restore it from a backup or an exported "
            "JSON file.", StoreDamagedError)


@pytest.mark.parametrize(("error", "says"), [
    ("database is locked", "did not let go"),
    ("database is busy", "did not let go"),
    ("database or disk is full", "disk is full"),
    ("disk I/O error", "could not be read or written just now"),
    ("unable to open database file", None),
    ("file is not a database", "damaged"),
])
def test_a_passing_trouble_reading_the_header_is_not_called_damage(data_dir, content,
                                                                   monkeypatch, error, says):
    """Reading a store's header can fail for a moment (another program's lock, a full disk):
    that is said as what it is, never as damage that needs a backup."""
    Store(data_dir, content=content).close()
    path = data_dir / DB_NAME
    before = path.read_bytes()
    real = sq.sqlite3.connect

    def failing(target, *args, **kwargs):
        if str(target).startswith("file:"):  # the header's read-only look
            raise sqlite3.OperationalError(error)
        return real(target, *args, **kwargs)

    monkeypatch.setattr(sq.sqlite3, "connect", failing)
    with pytest.raises(StoreError) as refused:
        sq._read_header(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ")
    if says == "damaged":
        assert "damaged" in message
    else:
        assert "damaged" not in message and "backup" not in message
        if says:
            assert says in message
    assert path.read_bytes() == before


def test_a_store_the_user_may_not_read_says_so(data_dir, content, monkeypatch):
    Store(data_dir, content=content).close()
    path = data_dir / DB_NAME
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)  # root reads every file, so chmod cannot
    with pytest.raises(StoreError) as refused:
        sq._read_header(path)
    assert str(refused.value) == (
        f"{path}: this file cannot be read by you; it was left as it is. Check who owns "
        "it, or point TOOLKIT_DATA_DIR elsewhere.")


def test_a_store_whose_first_set_up_never_finished_is_set_up(data_dir, content):
    """The toolkit's mark with no schema step yet: a first set-up that stopped before its
    tables were made. That is a store to finish setting up, not damage."""
    data_dir.mkdir(mode=0o700)
    raw(data_dir / DB_NAME, f"PRAGMA application_id={sq.APPLICATION_ID}", "PRAGMA user_version=0")
    (data_dir / DB_NAME).chmod(0o600)
    with Store(data_dir, content=content) as s:
        assert s.applied_migrations() == STEPS
        assert s.create_couple("Ana", "Bo").id == "ana-bo"


def test_a_first_release_store_missing_a_table_is_damage(data_dir, content):
    path = legacy(data_dir, 1)
    raw(path, "DROP TABLE answers")
    refused(data_dir, content,
            f"{path}: the session store is damaged (its tables answers are missing). It was "
            "left untouched; restore it from a backup or an exported JSON file.",
            StoreDamagedError)
    assert not list(data_dir.glob("*.before-*"))


def test_a_data_folder_name_too_long_is_named_by_its_start(tmp_path, content):
    folder = tmp_path / ("x" * 300)
    with pytest.raises(StoreError) as info:
        Store(folder, content=content)
    assert str(info.value) == (f"{str(folder)[:120]}: the data folder cannot be used (File name "
                               "too long); set TOOLKIT_DATA_DIR to a folder of your own.")


@pytest.mark.parametrize("where", ["file", "memory"])
def test_sqlite_failing_while_setting_up_is_said_in_words(data_dir, content, monkeypatch,
                                                          where):
    def full(conn):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sq.migrations, "pending", full)
    with pytest.raises(StoreFullError) as info:
        if where == "file":
            Store(data_dir, content=content)
        else:
            SQLiteStore(content=content)
    name = str(data_dir / DB_NAME) if where == "file" else "session store (in memory)"
    assert str(info.value) == (f"{name}: the disk is full (or a file-size limit was reached); "
                               "nothing was saved. Free some space and try again; the store "
                               "itself is intact.")
    if where == "file":  # set-up was let go of: the next open does not wait for it
        held = sq._exclusive(data_dir / f"{DB_NAME}.setup", wait=0)
        assert held is not None
        sq._release(held)


def test_a_data_folder_that_may_not_be_made_says_so(tmp_path, content, monkeypatch):
    folder = tmp_path / "locked" / "data"
    real_mkdir = Path.mkdir

    def refuse(self, *args, **kwargs):
        if self == folder:  # root may make any folder, so the refusal is staged
            raise PermissionError(13, "Permission denied")
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(StoreError) as info:
        Store(folder, content=content)
    assert str(info.value) == (f"{folder}: the data folder cannot be made here (no permission); "
                               "set TOOLKIT_DATA_DIR to a folder of your own.")



@pytest.mark.parametrize("start", ["no file", "an empty file"])
def test_a_new_store_is_set_up_in_wal_mode(data_dir, content, monkeypatch, start):
    """WAL is chosen before the first table is written: a set-up cut short after its
    commit still leaves a store that others can read while it is written."""
    if start == "an empty file":
        data_dir.mkdir(mode=0o700)
        (data_dir / DB_NAME).touch(mode=0o600)
    modes = []
    real_run = migrations.run

    def run(conn, steps, now):
        modes.append(conn.execute("PRAGMA journal_mode").fetchone()[0])
        return real_run(conn, steps, now)

    monkeypatch.setattr(sq.migrations, "run", run)
    Store(data_dir, content=content).close()
    assert modes == ["wal"]



@pytest.mark.parametrize(("error", "result"), [
    (sqlite3.DatabaseError("database disk image\nis malformed"),
     "database disk image is malformed"),
    (sqlite3.OperationalError("database is locked"), StoreBusyError),
])
def test_damage_that_stops_the_check_itself_is_its_answer(store, error, result):
    """The whole-file check answers with what is damaged even when the damage stops SQLite
    from finishing it; a busy store is still said to be busy, not damaged."""
    real = store._conn

    class Stopped:
        def execute(self, sql, *args):
            raise error

    store._conn = Stopped()
    try:
        if isinstance(result, str):
            assert store.check() == result
        else:
            with pytest.raises(result):
                store.check()
    finally:
        store._conn = real
