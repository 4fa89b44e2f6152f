from __future__ import annotations

import copy
import hashlib
import io
import json
import sqlite3
import stat
from pathlib import Path

import pytest

from toolkit.files import FileWriteError
from toolkit.responses import AnswerError, AnswerKey
from toolkit.store import DB_NAME, SCHEMA_VERSION, Store, StoreError, default_data_dir
from toolkit.store.transfer import export_couple, export_csv, export_json, import_couple

HOSTILE = [
    "<script>alert('x')</script>",
    "<b>bold</b> & <font color=red>red</font> a<b and c>d",
    "Ωμέγα, Юлия, 🎉👩‍❤️‍👨 and 漢字",
    "שלום עולם, مرحبا بالعالم",
    "line one\nline two\n\ttabbed",
    "=HYPERLINK(\"http://example.invalid\")",
]


def spectrum_key(partner: str, item: str) -> AnswerKey:
    return AnswerKey("spectrum", partner, item, 0, "position")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- location and permissions ---------------------------------------------------


def test_default_location_is_outside_the_repo_and_overridable(monkeypatch, tmp_path):
    monkeypatch.delenv("TOOLKIT_DATA_DIR")
    default = default_data_dir()
    repo = Path(__file__).resolve().parent.parent
    assert repo not in default.parents and default != repo
    assert "couples-toolkit" in str(default)
    monkeypatch.setenv("TOOLKIT_DATA_DIR", str(tmp_path / "elsewhere"))
    assert default_data_dir() == tmp_path / "elsewhere"
    with Store(content=None) as s:
        assert s.path == tmp_path / "elsewhere" / DB_NAME
    with Store(tmp_path / "by-argument") as s:
        assert s.path.parent == tmp_path / "by-argument"


def test_private_permissions_and_wal(store, session):
    store.set_answer(session.id, spectrum_key("a", "decisions"), 1)
    assert stat.S_IMODE(store.data_dir.stat().st_mode) == 0o700
    for suffix in ("", "-wal", "-shm"):
        path = store.path.with_name(store.path.name + suffix)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, suffix
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == SCHEMA_VERSION


# --- answers ---------------------------------------------------------------------------


def test_each_answer_is_committed_at_once(store, session, data_dir):
    store.set_answer(session.id, spectrum_key("a", "decisions"), -2)
    # A second connection sees it while the first is still open: nothing is buffered.
    other = sqlite3.connect(data_dir / DB_NAME)
    row = other.execute("SELECT value FROM answers WHERE item='decisions'").fetchone()
    other.close()
    assert json.loads(row[0]) == -2


def test_reopening_restores_the_exact_state(data_dir, content, session, store):
    store.set_answer(session.id, spectrum_key("a", "asking_for_help"), 3)
    store.set_answer(session.id, spectrum_key("b", "asking_for_help"), -3)
    store.set_answer(session.id, spectrum_key("b", "decisions"), 0)
    store.set_answer(session.id, ("origins", "a", "past_hurts", 0, "resonance"), 2)
    for i, text in enumerate(HOSTILE):
        row = store.add_plan_row(session.id, "agreements")
        store.set_answer(session.id, ("boundaries", "couple", "agreements", row, "event"), text)
        assert row == i + 1
    store.set_answer(session.id, ("origins", "b", "past_hurts", 0, "notes"), HOSTILE[2])
    store.set_answer(session.id, ("boundaries", "couple", "review", 0, "date"), "2027-01-31")
    store.remove_plan_row(session.id, "agreements", 2)
    before = store.load_session(session.id)
    store.close()

    with Store(data_dir, content=content) as again:
        after = again.load_session(session.id)
    assert after == before
    assert after.spectrum("b") == {"asking_for_help": -3, "decisions": 0}
    assert after.origin("a", "past_hurts") == (2, "")
    assert after.origin("b", "past_hurts") == (None, HOSTILE[2])
    plan = after.plan("agreements")
    assert [r["row"] for r in plan] == [1, 3, 4, 5, 6]
    assert [r["event"] for r in plan] == [HOSTILE[0], *HOSTILE[2:]]
    assert after.plan_value("review") == "2027-01-31"


def test_clearing_an_answer_makes_it_unanswered_not_zero(store, session):
    store.set_answer(session.id, spectrum_key("a", "decisions"), 2)
    store.set_answer(session.id, spectrum_key("a", "decisions"), None)
    assert store.load_session(session.id).spectrum("a") == {}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (("spectrum", "a", "decisions", 0, "position"), 4, "out of range -3..3"),
        (("spectrum", "a", "decisions", 0, "position"), 1.5, "expected a whole number"),
        (("spectrum", "a", "decisions", 0, "position"), True, "expected a whole number"),
        (("spectrum", "c", "decisions", 0, "position"), 1, "unknown partner 'c'"),
        (("spectrum", "a", "flying", 0, "position"), 1, "unknown spectrum item 'flying'"),
        (("origins", "a", "past_hurts", 0, "resonance"), 7, "out of range 0..3"),
        (("origins", "a", "past_hurts", 0, "notes"), "x" * 200_001, "limit is 200,000"),
        (("origins", "a", "past_hurts", 0, "notes"), "a\x00b", "NUL"),
        (("boundaries", "a", "review", 0, "date"), "2027-01-01", "belongs to the couple"),
        (("boundaries", "couple", "review", 0, "date"), "31/01/2027", "YYYY-MM-DD"),
        (("boundaries", "couple", "rituals", 9, "ritual"), "walk", "no such row"),
        (("boundaries", "couple", "rituals", 1, "colour"), "red", "unknown column 'colour'"),
        (("quiz", "a", "x", 0, "y"), 1, "unknown worksheet 'quiz'"),
        (("boundaries", "couple", "small_risks", 1, "done"), "yes", "expected yes or no"),
    ],
)
def test_bad_answers_are_refused_with_where_and_what(store, session, key, value, message):
    store.add_plan_row(session.id, "rituals")
    store.add_plan_row(session.id, "small_risks")
    before = store.load_session(session.id)
    with pytest.raises(AnswerError, match=message) as info:
        store.set_answer(session.id, key, value)
    assert AnswerKey(*key).describe() in str(info.value)
    assert store.load_session(session.id) == before


def test_names_are_checked(store):
    with pytest.raises(AnswerError, match="partner A's name: a name is needed"):
        store.create_couple("  ", "Kevin")
    with pytest.raises(AnswerError, match="single line"):
        store.create_couple("Kim\nKevin", "Kevin")
    couple = store.create_couple("Юлия", "دانيال")
    assert couple.id == "юлия-دانيال"
    assert store.create_couple("Юлия", "دانيال").id == "юлия-دانيال-2"


# --- files the store must refuse, untouched -------------------------------------------


def _refuse(data_dir: Path, content, message: str) -> None:
    path = data_dir / DB_NAME
    before = digest(path)
    with pytest.raises(StoreError, match=message) as info:
        Store(data_dir, content=content)
    assert str(path) in str(info.value)
    assert "untouched" in str(info.value)
    assert digest(path) == before


def test_not_sqlite_is_refused_untouched(data_dir, content):
    data_dir.mkdir(mode=0o700)
    (data_dir / DB_NAME).write_text("these are my notes, not a database\n")
    _refuse(data_dir, content, "not an SQLite database")


def test_foreign_sqlite_is_refused_untouched(data_dir, content):
    data_dir.mkdir(mode=0o700)
    other = sqlite3.connect(data_dir / DB_NAME)
    other.execute("CREATE TABLE recipes (name TEXT)")
    other.commit()
    other.close()
    _refuse(data_dir, content, "belongs to another program")


def test_newer_schema_is_refused_untouched(data_dir, content):
    Store(data_dir, content=content).close()
    conn = sqlite3.connect(data_dir / DB_NAME)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    _refuse(data_dir, content, "newer version of the toolkit")


def test_corrupt_store_is_refused_untouched(data_dir, content, store, session):
    for i in range(300):
        store.set_answer(session.id, ("origins", "a", "past_hurts", 0, "notes"), f"note {i}" * 50)
    store.close()
    path = data_dir / DB_NAME
    raw = bytearray(path.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # smash the schema page after the header
    path.write_bytes(bytes(raw))
    _refuse(data_dir, content, "damaged")


def _legacy_store(data_dir: Path) -> Path:
    """A store as the first release wrote it: schema 1, no record of named steps."""
    from toolkit.store.migrations import MIGRATIONS

    data_dir.mkdir(mode=0o700)
    path = data_dir / DB_NAME
    conn = sqlite3.connect(path)
    MIGRATIONS[0].apply(conn)
    conn.execute("INSERT INTO couples VALUES ('ana-bo', 'Ana', 'Bo', '', '2026-01-01')")
    conn.execute("INSERT INTO sessions VALUES (1, 'ana-bo', 1, '2026-01-02', '', '2026-01-02')")
    conn.execute("INSERT INTO plan_rows VALUES (1, 'rituals', 1, '2026-01-02')")
    conn.execute("INSERT INTO answers VALUES (1, 'spectrum', 'a', 'decisions', 0, 'position', "
                 "'-2', '2026-01-02')")
    conn.execute("PRAGMA application_id=1129335892")
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    path.chmod(0o600)  # as the first release kept it
    return path


STEPS = ["0001_initial", "0002_carried_plan_rows", "0003_session_worksheets", "0004_workshops"]


def test_pending_steps_are_reported_without_writing(data_dir):
    from toolkit.store.migrations import pending

    path = _legacy_store(data_dir)
    before = digest(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert [m.name for m in pending(conn)] == STEPS[1:]
    conn.close()
    assert digest(path) == before


def test_older_schema_is_migrated_with_a_backup(data_dir, content):
    _legacy_store(data_dir)
    with Store(data_dir, content=content) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert s.applied_migrations() == STEPS
        data = s.load_session(1)
        assert data.spectrum("a") == {"decisions": -2}  # nothing lost on the way
        assert data.plan("rituals") == [{"row": 1}]
    backup = data_dir / f"{DB_NAME}.before-0002_carried_plan_rows"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    old = sqlite3.connect(backup)
    assert old.execute("SELECT partner_a FROM couples").fetchone() == ("Ana",)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert [r[1] for r in old.execute("PRAGMA table_info(plan_rows)")] == [
        "session_id", "section", "row", "created_at"]
    old.close()
    # opening again runs nothing and writes no second backup
    with Store(data_dir, content=content) as s:
        assert s.applied_migrations() == STEPS
    assert len(list(data_dir.glob(f"{DB_NAME}.before-*"))) == 1


def test_a_new_store_records_its_steps_and_needs_no_backup(data_dir, content):
    with Store(data_dir, content=content) as s:
        assert s.applied_migrations() == STEPS
        rows = s._conn.execute("SELECT name, applied_at FROM schema_migrations").fetchall()
        assert [r[0] for r in rows] == STEPS
    assert not list(data_dir.glob(f"{DB_NAME}.before-*"))


def test_a_store_with_an_unknown_step_is_refused_untouched(data_dir, content):
    Store(data_dir, content=content).close()
    conn = sqlite3.connect(data_dir / DB_NAME)
    conn.execute("INSERT INTO schema_migrations VALUES ('0999_future', 'x', 'now')")
    conn.commit()
    conn.close()
    _refuse(data_dir, content, "newer version of the toolkit")


# --- export and import ---------------------------------------------------------------


@pytest.fixture
def filled(store, session):
    store.update_couple(session.couple_id, notes=HOSTILE[1])
    store.set_answer(session.id, spectrum_key("a", "couple_bubble"), 3)
    store.set_answer(session.id, spectrum_key("b", "couple_bubble"), -2)
    store.set_answer(session.id, ("origins", "a", "cultural_messages", 0, "notes"), HOSTILE[3])
    row = store.add_plan_row(session.id, "small_risks")
    store.set_answer(session.id, ("boundaries", "couple", "small_risks", row, "by_when"),
                     "2026-12-01")
    store.set_answer(session.id, ("boundaries", "couple", "small_risks", row, "ask"), HOSTILE[5])
    store.add_plan_row(session.id, "rituals")  # an empty row survives too
    store.new_session(session.couple_id, date="2026-12-01", facilitator="Ana")
    return session.couple_id


def test_json_round_trip_is_exact(store, filled, tmp_path, content):
    path = export_json(store, filled, tmp_path / "out.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with Store(tmp_path / "other", content=content) as other:
        import_couple(other, path)
        assert export_couple(other, filled) == export_couple(store, filled)
        sessions = other.sessions(filled)
        assert [s.number for s in sessions] == [1, 2]
        data = other.load_session(sessions[0].id)
        assert data.couple.notes == HOSTILE[1]
        assert data.plan("rituals") == [{"row": 1}]


def test_export_never_overwrites(store, filled, tmp_path):
    target = tmp_path / "keep.json"
    target.write_text("precious")
    with pytest.raises(FileWriteError, match="already exists"):
        export_json(store, filled, target)
    assert target.read_text() == "precious"


def test_import_refuses_an_existing_couple_and_can_rename(store, filled):
    data = export_couple(store, filled)
    with pytest.raises(StoreError, match="already in the store; nothing was imported"):
        import_couple(store, data)
    copy_ = import_couple(store, data, couple_id="kim-kevin-copy")
    assert copy_.id == "kim-kevin-copy"
    assert len(store.sessions("kim-kevin-copy")) == 2


def _broken(data, path, value):
    target = data
    for part in path[:-1]:
        target = target[part]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("format",), "something-else", "not a couple export"),
        (("version",), 99, "newer toolkit"),
        (("version",), "1", "expected a whole number"),
        (("worksheets", "spectrum"), 7, "worksheet versions"),
        (("couple", "partner_a"), "", "a name is needed"),
        (("couple", "notes"), KeyError, "missing field 'notes'"),
        (("couple", "hobby"), "chess", "unknown field 'hobby'"),
        (("sessions", 0, "date"), "yesterday", "YYYY-MM-DD"),
        (("sessions", 0, "answers", 3, "value"), 9, "out of range -3..3"),
        (("sessions", 0, "answers", 0, "item"), "flying", "unknown"),
        (("sessions", 0, "answers", 0, "value"), None, "must have a value"),
        (("sessions", 0, "plan_rows", 0, "row"), 0, "whole number from 1 to 1,000,000, got 0"),
        (("sessions", 0, "plan_rows", 0, "row"), 2**63, "whole number from 1 to 1,000,000"),
        (("sessions", 1, "number"), 1, "appears twice"),
    ],
)
def test_import_validates_everything_and_writes_nothing(
    store, filled, content, tmp_path, path, value, message
):
    data = copy.deepcopy(export_couple(store, filled))
    _broken(data, path, value)
    data["couple"]["id"] = "fresh-id"
    with Store(tmp_path / "target", content=content) as target:
        before = target._conn.total_changes
        with pytest.raises(StoreError, match=message):
            import_couple(target, data)
        assert target._conn.total_changes == before  # not a single row written
        assert target.couples() == []


def test_import_of_broken_files(store, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "couples-toolkit/couple", ')
    with pytest.raises(StoreError, match=r"not valid JSON \(line 1"):
        import_couple(store, bad)
    bad.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(StoreError, match="not UTF-8"):
        import_couple(store, bad)
    with pytest.raises(StoreError, match="file not found"):
        import_couple(store, tmp_path / "missing.json")
    assert store.couples() == []


def test_csv_export_is_tidy_and_spreadsheet_safe(store, filled):
    import pandas as pd

    buffer = io.StringIO()
    export_csv(store, buffer)
    frame = pd.read_csv(io.StringIO(buffer.getvalue()), keep_default_na=False)
    assert list(frame.columns[:3]) == ["couple_id", "partner_a", "partner_b"]
    bubble = frame[(frame.item == "couple_bubble")].set_index("partner")
    assert bubble.loc["a", "value"] == "3" and bubble.loc["b", "partner_name"] == "Kevin"
    ask = frame[frame.field == "ask"].iloc[0]
    assert ask["value"] == "'" + HOSTILE[5]  # a formula is never run by a spreadsheet
    notes = frame[frame.field == "notes"].iloc[0]
    assert notes["value"] == HOSTILE[3]


# --- deletion ----------------------------------------------------------------------------


def test_delete_leaves_no_trace_in_the_file(store, data_dir, content):
    secret_name, secret_note = "Zebulonica", "confided-about-the-lighthouse"
    keep = store.create_couple("Ana", "Bo")
    couple = store.create_couple(secret_name, "Quillon", notes=secret_note)
    s = store.new_session(couple.id)
    for i in range(50):
        store.set_answer(s.id, ("origins", "a", "past_hurts", 0, "notes"), f"{secret_note} {i}")
    # a long note spills into overflow pages; a plan row lives in another table
    store.set_answer(s.id, ("origins", "b", "past_hurts", 0, "notes"), secret_note * 400)
    row = store.add_plan_row(s.id, "rituals")
    store.set_answer(s.id, ("boundaries", "couple", "rituals", row, "ritual"), secret_note)
    store.delete_couple(couple.id)

    blobs = b"".join(
        p.read_bytes() for p in data_dir.iterdir() if p.name.startswith(DB_NAME)
    )
    for secret in (secret_name, secret_note, "Quillon"):
        assert secret.encode() not in blobs
    assert [c.id for c in store.couples()] == [keep.id]
    with pytest.raises(StoreError, match="no couple"):
        store.couple(couple.id)


def test_delete_everything_removes_the_files(store, session, data_dir):
    store.set_answer(session.id, spectrum_key("a", "decisions"), 1)
    store.delete_everything()
    assert not any(p.name.startswith(DB_NAME) for p in data_dir.iterdir())


def test_widget_callbacks_on_another_thread_can_save(store, session):
    """ipykernel delivers widget messages on a thread other than the cell's."""
    import threading

    errors: list[BaseException] = []

    def write(partner: str) -> None:
        try:
            for value in (-3, -1, 2):
                store.set_answer(session.id, spectrum_key(partner, "decisions"), value)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    data = store.load_session(session.id)
    assert data.spectrum("a") == {"decisions": 2} and data.spectrum("b") == {"decisions": 2}
