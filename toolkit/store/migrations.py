"""Schema changes as named steps, each recorded in the file once it has run.

A store knows exactly which steps it has had (the ``schema_migrations``
table), so ``pending`` can say what an upgrade would do without writing a
byte, and a store that holds a step this version does not know was written by
a newer toolkit and is refused. ``PRAGMA user_version`` mirrors the number of
steps applied, so a glance at the header tells old from new.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MIGRATIONS", "Migration", "applied", "pending"]


@dataclass(frozen=True)
class Migration:
    name: str
    description: str
    apply: Callable[[sqlite3.Connection], None]


def _initial(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE couples (
            id TEXT PRIMARY KEY,
            partner_a TEXT NOT NULL,
            partner_b TEXT NOT NULL,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            couple_id TEXT NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            date TEXT NOT NULL,
            facilitator TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (couple_id, number)
        )""")
    conn.execute("""
        CREATE TABLE plan_rows (
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            section TEXT NOT NULL,
            row INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (session_id, section, row)
        )""")
    conn.execute("""
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
        )""")


def _carried_rows(conn: sqlite3.Connection) -> None:
    # Where a plan row carried into a follow-up session was first written.
    conn.execute("ALTER TABLE plan_rows ADD COLUMN origin_session INTEGER")
    conn.execute("ALTER TABLE plan_rows ADD COLUMN origin_row INTEGER")


def _content_versions(conn: sqlite3.Connection) -> None:
    # Sessions stored before this step were all answered with the first worksheets.
    conn.execute("ALTER TABLE sessions ADD COLUMN worksheets TEXT NOT NULL DEFAULT "
                 "'{\"spectrum\": 1, \"origins\": 1, \"boundaries\": 1}'")
    conn.execute("ALTER TABLE sessions ADD COLUMN options TEXT NOT NULL DEFAULT '{}'")


def _workshops(conn: sqlite3.Connection) -> None:
    # A workshop's couples are ordinary couples, tagged; tokens are kept as digests only,
    # so the file alone opens no one's pages.
    conn.execute("""
        CREATE TABLE workshops (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            date TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open',
            open_parts TEXT NOT NULL DEFAULT '["spectrum"]',
            created_at TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE workshop_couples (
            workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
            couple_id TEXT NOT NULL UNIQUE REFERENCES couples(id) ON DELETE CASCADE,
            joined_at TEXT NOT NULL,
            revealed_a INTEGER NOT NULL DEFAULT 0,
            revealed_b INTEGER NOT NULL DEFAULT 0,
            concern_at TEXT,
            confirmed_at TEXT,
            PRIMARY KEY (workshop_id, couple_id)
        )""")
    conn.execute("""
        CREATE TABLE workshop_tokens (
            digest TEXT PRIMARY KEY,
            workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
            couple_id TEXT REFERENCES couples(id) ON DELETE CASCADE,
            role TEXT NOT NULL
        )""")


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_initial", "couples, sessions, plan rows and answers", _initial),
    Migration("0002_carried_plan_rows", "plan rows remember the session they were carried "
              "from", _carried_rows),
    Migration("0003_session_worksheets", "sessions record the worksheet versions they were "
              "answered with, and their options", _content_versions),
    Migration("0004_workshops", "workshops, their couples and their private links",
              _workshops),
)

NAMES = tuple(m.name for m in MIGRATIONS)


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the steps this store has had, in order. Read-only.

    Stores from before steps were recorded hold only ``user_version``; their
    first steps are inferred from it.
    """
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
    ).fetchone()
    if has_table:
        return [name for (name,) in conn.execute(
            "SELECT name FROM schema_migrations ORDER BY rowid")]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return list(NAMES[:version])


def pending(conn: sqlite3.Connection) -> list[Migration]:
    """The steps an upgrade would run, in order. Read-only."""
    done = set(applied(conn))
    return [m for m in MIGRATIONS if m.name not in done]


def unknown(conn: sqlite3.Connection) -> list[str]:
    """Steps recorded in the store that this toolkit does not know (a newer toolkit)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    names = applied(conn)
    extra = [n for n in names if n not in NAMES]
    if not extra and version > len(MIGRATIONS):
        extra = [f"schema version {version}"]
    return extra


def run(conn: sqlite3.Connection, steps: list[Migration], stamp: Callable[[], str]) -> None:
    """Apply ``steps`` inside the caller's transaction and record each."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "name TEXT PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {name for (name,) in conn.execute("SELECT name FROM schema_migrations")}
    # A store from before steps were recorded: note the ones it already had.
    for name in applied_before_table(conn):
        if name not in done:
            step = next(m for m in MIGRATIONS if m.name == name)
            conn.execute("INSERT INTO schema_migrations VALUES (?,?,?)",
                         (name, step.description, "before recording"))
            done.add(name)
    for step in steps:
        if step.name in done:
            continue
        step.apply(conn)
        conn.execute("INSERT INTO schema_migrations VALUES (?,?,?)",
                     (step.name, step.description, stamp()))
        done.add(step.name)
    conn.execute(f"PRAGMA user_version={len(done)}")


def applied_before_table(conn: sqlite3.Connection) -> list[str]:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return list(NAMES[:version])
