"""Moving a couple in and out of a store, pinned field by field: the JSON export of a
known couple, every refusal of a bad import word for word (with nothing written), the
CSV table cell by cell, and the private files both are written to. Every expected value
is written out by hand."""

from __future__ import annotations

import copy
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_store import _broken
from toolkit.content import load_content
from toolkit.files import FileWriteError
from toolkit.responses import Couple
from toolkit.store import SQLiteStore, StoreError, StoreGoneError
from toolkit.store.transfer import (
    CSV_HEADER,
    EXPORT_FORMAT,
    EXPORT_VERSION,
    MAX_IMPORT_BYTES,
    csv_rows,
    export_couple,
    export_csv,
    export_json,
    import_couple,
    parse_export,
    read_export,
    record_to_dict,
    safe_cell,
    write_csv,
)

V2 = {"spectrum": 2, "origins": 2, "boundaries": 2, "safety": 1}
V1 = {"spectrum": 1, "origins": 1, "boundaries": 1}
IN_USE = "{'spectrum': 2, 'origins': 2, 'boundaries': 2, 'safety': 1}"
NOTHING = "; nothing was imported"


def answer(ws: str, partner: str, item: str, row: int, field: str, value, updated: str,
           **extra) -> dict:
    return {"worksheet": ws, "partner": partner, "item": item, "row": row, "field": field,
            "value": value, "updated_at": updated, **extra}


def base_export() -> dict:
    """A couple as a version-4 export, in exactly the order the store gives it back."""
    return {
        "format": "couples-toolkit/couple",
        "version": 4,
        "safety": "left out",
        "worksheets": dict(V2),
        "couple": {"id": "ana-bo", "partner_a": "Ana", "partner_b": "Bo",
                   "notes": "=met at the café", "created_at": "2026-01-01T10:00:00+00:00"},
        "sessions": [
            {"number": 1, "date": "2026-01-02", "facilitator": "Fay",
             "created_at": "2026-01-02T09:00:00+00:00", "worksheets": dict(V2),
             "options": {"shuffle_items": False},
             "plan_rows": [
                 {"section": "rituals", "row": 1, "created_at": "r1"},
                 {"section": "small_risks", "row": 2, "created_at": "r2"},
             ],
             "answers": [
                 answer("boundaries", "couple", "review", 0, "date", "2026-02-01", "t1"),
                 answer("boundaries", "couple", "rituals", 1, "ritual", "-walk", "t2"),
                 answer("boundaries", "couple", "small_risks", 2, "done", False, "t3"),
                 answer("boundaries", "couple", "small_risks", 2, "who", "a", "t4"),
                 answer("origins", "a", "past_hurts", 0, "notes", "Ana's note", "t5",
                        shared=True),
                 answer("origins", "a", "past_hurts", 0, "resonance", 2, "t6"),
                 answer("origins", "b", "past_hurts", 0, "notes", "Bo's note", "t7",
                        shared=False),
                 answer("spectrum", "a", "decisions", 0, "position", -3, "t8"),
                 answer("spectrum", "b", "decisions", 0, "position", 0, "t9"),
             ]},
            {"number": 2, "date": "2026-02-01", "facilitator": "",
             "created_at": "2026-02-01T09:00:00+00:00", "worksheets": dict(V1), "options": {},
             "plan_rows": [{"section": "rituals", "row": 1, "created_at": "r3",
                            "origin_session": 1, "origin_row": 1}],
             "answers": [answer("boundaries", "couple", "rituals", 1, "ritual", "walk", "u1")]},
        ],
    }


def with_safety() -> dict:
    data = base_export()
    data["safety"] = "included"
    answers = data["sessions"][0]["answers"]
    answers[7:7] = [answer("safety", "a", "fear", 0, "answer", "often", "s1"),
                    answer("safety", "b", "safe_today", 0, "answer", "yes", "s2")]
    return data


# --- JSON export ----------------------------------------------------------------------------


def test_constants_of_the_format():
    assert EXPORT_FORMAT == "couples-toolkit/couple"
    assert EXPORT_VERSION == 4
    assert MAX_IMPORT_BYTES == 67_108_864
    assert CSV_HEADER == ["couple_id", "partner_a", "partner_b", "session", "date", "worksheet",
                          "partner", "partner_name", "item", "row", "field", "value",
                          "updated_at"]


def test_an_imported_couple_exports_back_exactly(store):
    couple = import_couple(store, base_export())
    assert couple == Couple("ana-bo", "Ana", "Bo", "=met at the café",
                            "2026-01-01T10:00:00+00:00")
    assert export_couple(store, "ana-bo") == base_export()
    first, second = store.sessions("ana-bo")
    assert (first.number, first.date, first.facilitator) == (1, "2026-01-02", "Fay")
    assert first.options == {"shuffle_items": False} and second.options == {}
    assert first.worksheets == V2 and second.worksheets == V1
    assert first.id < second.id  # written in session order
    one = store.load_session(first.id)
    assert one.shared("a", "past_hurts") is True and one.shared("b", "past_hurts") is False
    assert one.origin("a", "past_hurts") == (2, "Ana's note")
    assert one.plan("small_risks") == [{"row": 2, "done": False, "who": "a"}]
    assert store.load_session(second.id).row_origins == {("rituals", 1): (1, 1)}


def test_the_safety_screen_is_exported_only_when_asked(store):
    import_couple(store, with_safety())
    assert export_couple(store, "ana-bo", include_safety=True) == with_safety()
    assert export_couple(store, "ana-bo") == base_export()
    assert store.load_session(store.session("ana-bo", 1).id).safety("a") == {"fear": "often"}


def test_export_json_writes_a_private_readable_file(store, tmp_path):
    import_couple(store, with_safety())
    target = tmp_path / "out" / "ana.json"
    assert export_json(store, "ana-bo", target) == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    raw = target.read_bytes()
    assert "café".encode() in raw and b"\\u00e9" not in raw  # readable, not escaped
    lines = raw.decode("utf-8").split("\n")
    assert lines[:3] == ["{", '  "format": "couples-toolkit/couple",', '  "version": 4,']
    assert lines[-2:] == ["}", ""]  # ends with one newline
    assert json.loads(raw) == base_export()
    full = export_json(store, "ana-bo", tmp_path / "full.json", include_safety=True)
    assert json.loads(full.read_text("utf-8")) == with_safety()


def test_export_json_never_replaces_a_file(store, tmp_path):
    import_couple(store, base_export())
    target = tmp_path / "keep.json"
    target.write_text("precious")
    with pytest.raises(FileWriteError, match=f"^{target}: already exists"):
        export_json(store, "ana-bo", target)
    assert target.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "keep.json"]


# --- reading an export file ---------------------------------------------------------------------


def test_read_export_returns_the_data(tmp_path):
    path = tmp_path / "e.json"
    path.write_text(json.dumps(base_export()), "utf-8")
    assert read_export(path) == base_export()
    assert read_export(str(path)) == base_export()


def test_read_export_refuses_what_is_not_a_file(tmp_path):
    with pytest.raises(StoreError) as info:
        read_export(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a folder, not an export file; nothing was imported"
    with pytest.raises(StoreError) as info:
        read_export("/dev/null")
    assert str(info.value) == ("/dev/null: is not a regular file (a device or pipe?); nothing "
                               "was imported")
    with pytest.raises(StoreError) as info:
        read_export(tmp_path / "missing.json")
    assert str(info.value) == f"{tmp_path / 'missing.json'}: file not found"


@pytest.mark.skipif(not Path("/proc/self/mem").is_file(), reason="needs Linux /proc")
def test_read_export_of_unreadable_files():
    with pytest.raises(StoreError) as info:
        read_export("/proc/self/mem")  # a regular file whose start cannot be read
    assert str(info.value) == "/proc/self/mem: cannot be read (Input/output error)"
    write_only = Path("/proc/sys/vm/compact_memory")  # mode 0200, even for root
    if write_only.is_file():
        with pytest.raises(StoreError) as info:
            read_export(write_only)
        assert str(info.value) == f"{write_only}: this file cannot be read (no permission)"


def test_read_export_size_limit_is_exact(tmp_path):
    path = tmp_path / "big.json"
    with path.open("wb") as fh:
        fh.truncate(64 * 1024 * 1024 + 1)  # sparse: one byte over 64 MB
    with pytest.raises(StoreError) as info:
        read_export(path)
    assert str(info.value) == (f"{path}: larger than 64 MB, far more than any couple's export; "
                               "nothing was imported")
    with path.open("wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # exactly 64 MB of zero bytes: read, then not JSON
    with pytest.raises(StoreError) as info:
        read_export(path)
    assert str(info.value) == f"{path}: not valid JSON (line 1, column 1: Expecting value)"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe{}", "not a toolkit export (not UTF-8 text)"),
        (b'{\n  "a": ,\n}', "not valid JSON (line 2, column 8: Expecting value)"),
        (b"[" * 60_000 + b"]" * 60_000,
         "nested far too deeply to be a toolkit export; nothing was imported"),
        (b"9" * 5000, "not a toolkit export (Exceeds the limit (4300 digits) for integer "
         "string conversion: value has 5000 digits; use ); nothing was imported"),
    ],
)
def test_read_export_of_broken_files(tmp_path, raw, message):
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    with pytest.raises(StoreError) as info:
        read_export(path)
    assert str(info.value) == f"{path}: {message}"


# --- importing ----------------------------------------------------------------------------------


def test_import_from_a_file_names_the_file_in_its_errors(store, tmp_path):
    path = tmp_path / "ana.json"
    path.write_text(json.dumps(base_export()), "utf-8")
    assert import_couple(store, path).id == "ana-bo"
    with pytest.raises(StoreError) as info:
        import_couple(store, path)
    assert str(info.value) == (
        f"{path}: a couple with the id 'ana-bo' is already in the store; nothing was "
        "imported. Import it under another id, or delete the existing one first.")
    with pytest.raises(StoreError) as info:
        import_couple(store, base_export())
    assert str(info.value).startswith("import: a couple with the id 'ana-bo' is already in")
    other = tmp_path / "other.json"
    other.write_text('{"format": "something else"}')
    with pytest.raises(StoreError) as info:
        import_couple(store, other)
    assert str(info.value) == f"{other}: not a couple export from this toolkit{NOTHING}"
    assert [c.id for c in store.couples()] == ["ana-bo"]


def test_import_under_a_new_id(store):
    import_couple(store, base_export())
    copy_ = import_couple(store, base_export(), couple_id="Ana Bo Copy")
    assert copy_ == Couple("ana-bo-copy", "Ana", "Bo", "=met at the café",
                           "2026-01-01T10:00:00+00:00")
    expected = base_export()
    expected["couple"]["id"] = "ana-bo-copy"
    assert export_couple(store, "ana-bo-copy") == expected
    assert [c.id for c in store.couples()] == ["ana-bo", "ana-bo-copy"]


def test_other_store_errors_are_not_reworded(store):
    store.path.unlink()  # the store deleted underneath: the import must say so, as it is
    with pytest.raises(StoreGoneError) as info:
        import_couple(store, base_export())
    assert str(info.value).startswith(f"{store.path}: the session store was deleted")


def test_older_versions_are_read(store):
    data = base_export()
    data["version"] = 1
    del data["safety"]
    for s in data["sessions"]:
        del s["worksheets"], s["options"]
    del data["sessions"][1]["plan_rows"][0]["origin_session"]
    del data["sessions"][1]["plan_rows"][0]["origin_row"]
    for a in data["sessions"][0]["answers"]:
        a.pop("shared", None)
    import_couple(store, data)
    first, second = store.sessions("ana-bo")
    assert first.worksheets == V2 and second.worksheets == V2  # the file's own
    assert first.options == {}
    assert store.load_session(second.id).row_origins == {}
    assert store.load_session(first.id).shared("a", "past_hurts") is False

    data["version"] = 2  # version 2 adds where a plan row was carried from
    data["couple"]["id"] = "v-two"
    data["sessions"][1]["plan_rows"][0].update(origin_session=1, origin_row=1)
    import_couple(store, data)
    assert store.load_session(store.session("v-two", 2).id).row_origins == {
        ("rituals", 1): (1, 1)}

    data["version"] = 3  # version 3 adds each session's worksheets and options
    data["couple"]["id"] = "v-three"
    data["sessions"][0].update(worksheets=dict(V1), options={"shuffle_items": True})
    import_couple(store, data)
    assert store.session("v-three", 1).worksheets == V1
    assert store.session("v-three", 1).options == {"shuffle_items": True}


def test_each_session_is_checked_against_its_own_worksheets(store):
    data = base_export()
    data["worksheets"] = dict(V1)  # the file's default: first worksheets
    del data["sessions"][1]["worksheets"]  # session 2 answered with the file's default
    data["sessions"][0]["answers"].append(
        answer("spectrum", "b", "showing_up", 0, "position", 1, "t10"))  # only in version 2
    data["sessions"][0]["plan_rows"].append({"section": "repair", "row": 1, "created_at": "r4"})
    import_couple(store, copy.deepcopy(data))
    assert store.session("ana-bo", 2).worksheets == V1
    assert store.load_session(store.session("ana-bo", 1).id).spectrum("b") == {
        "decisions": 0, "showing_up": 1}

    data["couple"]["id"] = "again"
    data["sessions"][1]["answers"].append(
        answer("spectrum", "b", "showing_up", 0, "position", 1, "u2"))
    with pytest.raises(StoreError) as info:
        import_couple(store, copy.deepcopy(data))
    assert str(info.value) == ("import: spectrum / b / showing_up / position: unknown spectrum "
                               f"item 'showing_up'{NOTHING}")
    data["sessions"][1]["answers"].pop()
    data["sessions"][1]["plan_rows"].append({"section": "repair", "row": 1, "created_at": "r"})
    with pytest.raises(StoreError) as info:
        import_couple(store, data)
    assert str(info.value) == ("import: sessions[2].plan_rows[2].section: unknown plan table "
                               f"'repair'{NOTHING}")
    assert [c.id for c in store.couples()] == ["ana-bo"]


def test_sessions_are_written_in_order_of_their_number(store):
    data = base_export()
    data["sessions"].reverse()
    record = parse_export(data, store.content, "import")
    assert [s.number for s in record.sessions] == [1, 2]
    import_couple(store, data)
    first, second = store.sessions("ana-bo")
    assert first.id < second.id


def test_the_limits_themselves_are_accepted(store):
    data = base_export()
    data["sessions"][1]["number"] = 1_000_000
    data["sessions"][1]["plan_rows"][0].update(row=1_000_000, origin_session=1_000_000,
                                               origin_row=1_000_000)
    data["sessions"][1]["answers"][0]["row"] = 1_000_000
    data["sessions"][0]["facilitator"] = "F" * 200
    data["couple"]["created_at"] = "c" * 201_000
    import_couple(store, data)
    assert [s.number for s in store.sessions("ana-bo")] == [1, 1_000_000]
    assert store.couple("ana-bo").created_at == "c" * 201_000
    assert store.session("ana-bo", 1).facilitator == "F" * 200
    last = store.load_session(store.session("ana-bo", 1_000_000).id)
    assert last.plan("rituals") == [{"row": 1_000_000, "from_session": 1_000_000,
                                     "ritual": "walk"}]


def _set(path: tuple, value):
    def change(data):
        _broken(data, path, value)
        return data
    return change


S1 = ("sessions", 0)
S2 = ("sessions", 1)
A1 = (*S1, "answers")
R1 = (*S1, "plan_rows")


def _both(*changes):
    def change(data):
        for c in changes:
            data = c(data)
        return data
    return change


def _append(path: tuple, item):
    def change(data):
        target = data
        for part in path:
            target = target[part]
        target.append(item)
        return data
    return change


REFUSED = [
    (lambda d: {"sessions": []}, "import: not a couple export from this toolkit; nothing was "
     "imported"),
    (_set(("format",), "couples-toolkit/other"),
     "import: not a couple export from this toolkit; nothing was imported"),
    (_set(("sessions",), KeyError), "file: missing field 'sessions'"),
    (_both(_set(("sessions",), KeyError), _set(("couple",), KeyError)),
     "file: missing field 'couple'"),
    (_both(_set(("zeta",), 1), _set(("alpha",), 1)), "file: unknown field 'alpha'"),
    (_set(("version",), True), "version: expected a whole number, got True"),
    (_set(("version",), "4"), "version: expected a whole number, got '4'"),
    (_set(("version",), 5),
     "version: written by a newer toolkit (format 5; this one reads up to 4)"),
    (_set(("worksheets",), {}), "worksheets: expected worksheet names with their version "
     "numbers"),
    (_set(("worksheets",), [["spectrum", 2]]), "worksheets: expected worksheet names with "
     "their version numbers"),
    (_set(("worksheets",), {"spectrum": True}), "worksheets: expected worksheet names with "
     "their version numbers"),
    (_set(("worksheets",), {"spectrum": "2"}), "worksheets: expected worksheet names with "
     "their version numbers"),
    (_set(("worksheets",), {2: 2}), "worksheets: expected worksheet names with their "
     "version numbers"),
    (_set(("worksheets",), {"spectrum": 7, "origins": 2, "boundaries": 2, "safety": 1,
                            "extra": 1}),
     "worksheets: made with worksheet versions {'spectrum': 7, 'origins': 2, 'boundaries': 2, "
     f"'safety': 1, 'extra': 1}}, which are not available here (in use: {IN_USE})"),
    (_set(("worksheets",), {f"w{i}": i for i in range(20)}),
     "worksheets: made with worksheet versions {'w0': 0, 'w1': 1, 'w2': 2, 'w3': 3, 'w4': 4, "
     "'w5': 5, 'w6': 6, 'w7': 7, 'w8': 8, 'w9': 9, 'w10': 10, 'w11': 11, 'w12..., which are "
     f"not available here (in use: {IN_USE})"),
    (_set(("couple",), "ana-bo"), "couple: expected an object"),
    (_set(("couple", "notes"), KeyError), "couple: missing field 'notes'"),
    (_set(("couple", "k" * 58), 1), "couple: unknown field '" + "k" * 58 + "'"),
    (_set(("couple", "k" * 59), 1), "couple: unknown field '" + "k" * 56 + "..."),
    (_set(("couple", "id"), "Ana Bo"), "couple.id: 'Ana Bo' is not a valid couple id"),
    (_set(("couple", "id"), 5), "couple.id: expected text, got int"),
    (_set(("couple", "partner_a"), ""), "couple.partner_a: a name is needed (a pseudonym is "
     "fine)"),
    (_set(("couple", "partner_b"), " "), "couple.partner_b: a name is needed (a pseudonym is "
     "fine)"),
    (_set(("couple", "notes"), 5), "couple.notes: expected text, got int"),
    (_set(("couple", "created_at"), None), "couple.created_at: expected text, got NoneType"),
    (_set(("couple", "created_at"), "c" * 201_001),
     "couple.created_at: text of 201,001 characters is longer than any answer"),
    (_set(("couple", "created_at"), "x\ud800"),
     "couple.created_at: contains a broken character (an unpaired surrogate)"),
    (_set(("sessions",), {}), "sessions: expected a list"),
    (_set(S1, 5), "sessions[1]: expected an object"),
    (_set((*S2, "answers"), KeyError), "sessions[2]: missing field 'answers'"),
    (_set((*S1, "worksheets"), {"spectrum": 9}),
     "sessions[1].worksheets: made with worksheet versions {'spectrum': 9}, which are not "
     f"available here (in use: {IN_USE})"),
    (_set((*S1, "options"), {"shuffle_items": "yes"}),
     'sessions[1].options: expected {"shuffle_items": true or false}'),
    (_set((*S1, "options"), {"colour": True}),
     'sessions[1].options: expected {"shuffle_items": true or false}'),
    (_set((*S1, "options"), [["shuffle_items", True]]),
     'sessions[1].options: expected {"shuffle_items": true or false}'),
    (_set((*S1, "number"), 0),
     "sessions[1].number: expected a whole number from 1 to 1,000,000, got 0"),
    (_set((*S1, "number"), 1_000_001),
     "sessions[1].number: expected a whole number from 1 to 1,000,000, got 1000001"),
    (_set((*S1, "number"), True),
     "sessions[1].number: expected a whole number from 1 to 1,000,000, got True"),
    (_set((*S1, "number"), "1"),
     "sessions[1].number: expected a whole number from 1 to 1,000,000, got 'a number'"),
    (_set((*S1, "number"), -999_999_999_999),
     "sessions[1].number: expected a whole number from 1 to 1,000,000, got -999999999999"),
    (_set((*S1, "number"), -10**12),
     "sessions[1].number: expected a whole number from 1 to 1,000,000, got 'a number'"),
    (_set((*S2, "number"), 1), "sessions[2].number: session 1 appears twice"),
    (_set((*S1, "date"), ""), "sessions[1].date: '' is not a date in the form YYYY-MM-DD"),
    (_set((*S1, "facilitator"), "F" * 201),
     "sessions[1].facilitator: text is 201 characters long; the limit is 200"),
    (_set((*S1, "created_at"), 3), "sessions[1].created_at: expected text, got int"),
    (_set((*S1, "plan_rows"), {}), "sessions[1]: plan_rows and answers must be lists"),
    (_set((*S1, "answers"), "none"), "sessions[1]: plan_rows and answers must be lists"),
    (_set((*R1, 0), []), "sessions[1].plan_rows[1]: expected an object"),
    (_set((*R1, 1, "section"), "review"),
     "sessions[1].plan_rows[2].section: unknown plan table 'review'"),
    (_set((*R1, 1, "section"), "garden"),
     "sessions[1].plan_rows[2].section: unknown plan table 'garden'"),
    (_set((*R1, 1, "section"), 7), "sessions[1].plan_rows[2].section: expected text, got int"),
    (_append(R1, {"section": "rituals", "row": 1, "created_at": "r"}),
     "sessions[1].plan_rows[3]: row 1 of 'rituals' appears twice"),
    (_set((*R1, 0, "row"), 0),
     "sessions[1].plan_rows[1].row: expected a whole number from 1 to 1,000,000, got 0"),
    (_set((*R1, 0, "created_at"), 1), "sessions[1].plan_rows[1].created_at: expected text, "
     "got int"),
    (_set((*S2, "plan_rows", 0, "origin_row"), KeyError),
     "sessions[2].plan_rows[1].origin_row: expected a whole number from 1 to 1,000,000, got "
     "'a number'"),
    (_set((*S2, "plan_rows", 0, "origin_session"), KeyError),
     "sessions[2].plan_rows[1].origin_session: expected a whole number from 1 to 1,000,000, "
     "got 'a number'"),
    (_set((*S2, "plan_rows", 0, "origin_session"), 0),
     "sessions[2].plan_rows[1].origin_session: expected a whole number from 1 to 1,000,000, "
     "got 0"),
    (_set((*S2, "plan_rows", 0, "origin_row"), 0),
     "sessions[2].plan_rows[1].origin_row: expected a whole number from 1 to 1,000,000, got 0"),
    (_set((*A1, 0, "value"), KeyError), "sessions[1].answers[1]: missing field 'value'"),
    (_set((*A1, 0, "colour"), "red"), "sessions[1].answers[1]: unknown field 'colour'"),
    (_set((*A1, 0, "worksheet"), 5), "sessions[1].answers[1]: expected text, got int"),
    (_set((*A1, 0, "partner"), None), "sessions[1].answers[1]: expected text, got NoneType"),
    (_set((*A1, 0, "item"), 1.5), "sessions[1].answers[1]: expected text, got float"),
    (_set((*A1, 0, "field"), []), "sessions[1].answers[1]: expected text, got list"),
    (_set((*A1, 0, "row"), -1),
     "sessions[1].answers[1].row: expected a whole number from 0 to 1,000,000, got -1"),
    (_set((*A1, 0, "updated_at"), 5), "sessions[1].answers[1].updated_at: expected text, got "
     "int"),
    (_append(A1, answer("spectrum", "a", "decisions", 0, "position", 1, "x")),
     "sessions[1].answers[10]: spectrum / a / decisions / position appears twice"),
    (_set((*A1, 7, "value"), None), "sessions[1].answers[8].value: an answer must have a value"),
    (_set((*A1, 0, "value"), " 2026-02-01"),
     "sessions[1].answers[1].value: ' 2026-02-01' is not in its stored form"),
    (_set((*A1, 1, "row"), 3), "sessions[1].answers[2]: boundaries / couple / rituals / row 3 "
     "/ ritual refers to a plan row that does not exist"),
    (_set((*A1, 4, "shared"), "yes"),
     "sessions[1].answers[5].shared: only an origins note can be shared, with true or false"),
    (_set((*A1, 5, "shared"), True),
     "sessions[1].answers[6].shared: only an origins note can be shared, with true or false"),
    (_set((*A1, 7, "shared"), False),
     "sessions[1].answers[8].shared: only an origins note can be shared, with true or false"),
    (_both(_set(("version",), 1), _set(("safety",), KeyError)),
     "sessions[1]: unknown field 'options'"),
    (_both(_set(("version",), 2), _set((*S1, "worksheets"), KeyError)),
     "sessions[1]: unknown field 'options'"),
    (_both(_set(("version",), 1), _set((*S1, "worksheets"), KeyError),
           _set((*S1, "options"), KeyError), _set((*S2, "worksheets"), KeyError),
           _set((*S2, "options"), KeyError)),
     "sessions[1].answers[5]: unknown field 'shared'"),
    (_both(_set(("version",), 3), _set((*A1, 4, "shared"), KeyError)),
     "sessions[1].answers[7]: unknown field 'shared'"),
]


@pytest.mark.parametrize(("change", "message"), REFUSED,
                         ids=[str(i) for i in range(len(REFUSED))])
def test_a_bad_import_is_refused_in_one_sentence_and_writes_nothing(store, change, message):
    data = change(base_export())
    before = store._conn.total_changes
    with pytest.raises(StoreError) as info:
        import_couple(store, data)
    expected = message if message.startswith("import: ") else f"import: {message}{NOTHING}"
    assert str(info.value) == expected
    assert store._conn.total_changes == before
    assert store.couples() == []


def test_a_list_is_not_an_export(content):
    with pytest.raises(StoreError) as info:
        parse_export([base_export()], content, "list.json")
    assert str(info.value) == "list.json: not a couple export from this toolkit; nothing was " \
        "imported"


def test_version_one_with_a_carried_row_is_refused(store):
    data = base_export()
    data["version"] = 1
    for s in data["sessions"]:
        del s["worksheets"], s["options"]
    for a in data["sessions"][0]["answers"]:
        a.pop("shared", None)
    with pytest.raises(StoreError) as info:
        import_couple(store, data)
    assert str(info.value) == f"import: sessions[2].plan_rows[1]: unknown field 'origin_row'" \
        f"{NOTHING}"
    assert store.couples() == []


# --- CSV ----------------------------------------------------------------------------------------

HEADER = ("couple_id,partner_a,partner_b,session,date,worksheet,partner,partner_name,item,row,"
          "field,value,updated_at")
ANA = [
    "ana-bo,Ana,Bo,1,2026-01-02,boundaries,couple,,review,0,date,2026-02-01,t1",
    "ana-bo,Ana,Bo,1,2026-01-02,boundaries,couple,,rituals,1,ritual,'-walk,t2",
    "ana-bo,Ana,Bo,1,2026-01-02,boundaries,couple,,small_risks,2,done,false,t3",
    "ana-bo,Ana,Bo,1,2026-01-02,boundaries,couple,,small_risks,2,who,a,t4",
    "ana-bo,Ana,Bo,1,2026-01-02,origins,a,Ana,past_hurts,0,notes,Ana's note,t5",
    "ana-bo,Ana,Bo,1,2026-01-02,origins,a,Ana,past_hurts,0,resonance,2,t6",
    "ana-bo,Ana,Bo,1,2026-01-02,origins,a,Ana,past_hurts,0,shared,true,t5",
    "ana-bo,Ana,Bo,1,2026-01-02,origins,b,Bo,past_hurts,0,notes,Bo's note,t7",
    "ana-bo,Ana,Bo,1,2026-01-02,spectrum,a,Ana,decisions,0,position,-3,t8",
    "ana-bo,Ana,Bo,1,2026-01-02,spectrum,b,Bo,decisions,0,position,0,t9",
    "ana-bo,Ana,Bo,2,2026-02-01,boundaries,couple,,rituals,1,ritual,walk,u1",
]
SAFETY = [
    "ana-bo,Ana,Bo,1,2026-01-02,safety,a,Ana,fear,0,answer,often,s1",
    "ana-bo,Ana,Bo,1,2026-01-02,safety,b,Bo,safe_today,0,answer,yes,s2",
]
ZED = ["zed-yan,'@Zed,'+Yan,1,2026-03-03,spectrum,b,'+Yan,decisions,0,position,1,v1"]


def zed_export() -> dict:
    return {
        "format": "couples-toolkit/couple", "version": 4, "worksheets": dict(V2),
        "couple": {"id": "zed-yan", "partner_a": "@Zed", "partner_b": "+Yan", "notes": "",
                   "created_at": "c"},
        "sessions": [{"number": 1, "date": "2026-03-03", "facilitator": "", "created_at": "c",
                      "plan_rows": [],
                      "answers": [answer("spectrum", "b", "decisions", 0, "position", 1,
                                         "v1")]}],
    }


def table(*lines: str) -> str:
    return "".join(f"{line}\r\n" for line in (HEADER, *lines))


@pytest.fixture
def two_couples(store):
    import_couple(store, zed_export())
    import_couple(store, with_safety())
    return store


def test_csv_of_every_couple_cell_by_cell(two_couples):
    buffer = io.StringIO()
    export_csv(two_couples, buffer)
    assert buffer.getvalue() == table(*ANA, *ZED)


def test_csv_of_one_couple_and_with_the_safety_screen(two_couples):
    buffer = io.StringIO()
    export_csv(two_couples, buffer, "zed-yan")
    assert buffer.getvalue() == table(*ZED)
    buffer = io.StringIO()
    export_csv(two_couples, buffer, "ana-bo", include_safety=True)
    assert buffer.getvalue() == table(*ANA[:8], *SAFETY, *ANA[8:])
    with pytest.raises(StoreError, match="no couple with the id 'nobody'"):
        export_csv(two_couples, io.StringIO(), "nobody")


def test_csv_file_is_private_and_exact(two_couples, tmp_path):
    target = tmp_path / "all.csv"
    export_csv(two_couples, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes() == table(*ANA, *ZED).encode("utf-8")
    one = tmp_path / "one.csv"
    export_csv(two_couples, str(one), "ana-bo", include_safety=True)
    assert one.read_bytes() == table(*ANA[:8], *SAFETY, *ANA[8:]).encode("utf-8")
    with pytest.raises(FileWriteError, match="already exists"):
        export_csv(two_couples, one, "zed-yan")
    assert one.read_bytes() == table(*ANA[:8], *SAFETY, *ANA[8:]).encode("utf-8")
    assert sorted(os.listdir(tmp_path)) == ["all.csv", "data", "one.csv"]


def test_csv_keeps_unicode_and_quotes_what_needs_quoting(store):
    data = zed_export()
    data["couple"].update(partner_a="Юлия", partner_b="Bo, Jr")
    data["sessions"][0]["answers"] = [
        answer("origins", "a", "past_hurts", 0, "notes", 'a "quote"\nsecond line', "w")]
    import_couple(store, data)
    buffer = io.StringIO()
    export_csv(store, buffer)
    assert buffer.getvalue() == table(
        'zed-yan,Юлия,"Bo, Jr",1,2026-03-03,origins,a,Юлия,past_hurts,0,notes,'
        '"a ""quote""\nsecond line",w')


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n", "|", "%"])
def test_every_formula_start_gets_an_apostrophe(store, start):
    couple = store.create_couple("Ana", "Bo")
    info = store.new_session(couple.id, date="2026-01-02")
    row = store.add_plan_row(info.id, "agreements")
    store.set_answer(info.id, ("boundaries", "couple", "agreements", row, "event"),
                     f"{start}cmd")
    buffer = io.StringIO()
    export_csv(store, buffer)
    import csv

    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert [r[11] for r in rows[1:]] == [f"'{start}cmd"]
    assert safe_cell(f"{start}x") == f"'{start}x"


def test_ordinary_cells_are_left_alone():
    for value in ("", "a=b", "walk", "'quoted", " =x", 5, -3, 0, None):
        assert safe_cell(value) == value


def test_a_note_shared_then_unshared_exports_as_private(store):
    couple = store.create_couple("Ana", "Bo")
    info = store.new_session(couple.id, date="2026-01-02")
    store.set_answer(info.id, ("origins", "a", "past_hurts", 0, "notes"), "mine")
    store.set_answer(info.id, ("origins", "a", "past_hurts", 0, "shared"), True)
    store.set_answer(info.id, ("origins", "a", "past_hurts", 0, "shared"), False)
    store.set_answer(info.id, ("origins", "b", "past_hurts", 0, "notes"), "theirs")
    store.set_answer(info.id, ("origins", "b", "past_hurts", 0, "shared"), True)
    answers = export_couple(store, couple.id)["sessions"][0]["answers"]
    assert [(a["partner"], a["value"], a["shared"]) for a in answers] == [
        ("a", "mine", False), ("b", "theirs", True)]


def test_record_to_dict_leaves_the_screen_out_by_default(store):
    import_couple(store, with_safety())
    assert record_to_dict(store.couple_record("ana-bo"), store.content) == base_export()


def test_the_table_helpers_leave_the_screen_out_by_default(two_couples):
    rows = list(csv_rows(two_couples, "ana-bo"))
    assert [r[5] for r in rows].count("safety") == 0 and len(rows) == len(ANA)
    buffer = io.StringIO()
    write_csv(two_couples, buffer, "ana-bo")
    assert buffer.getvalue() == table(*ANA)


def test_an_export_made_with_ones_own_worksheets_imports(worksheet_copy, tmp_path):
    spectrum = worksheet_copy / "spectrum.yaml"
    spectrum.write_text(spectrum.read_text("utf-8").replace("\nversion: 2\n", "\nversion: 3\n"),
                        "utf-8")
    own = load_content(worksheet_copy)
    assert own.versions == {"spectrum": 3, "origins": 2, "boundaries": 2, "safety": 1}
    data = base_export()
    data["worksheets"] = dict(own.versions)
    for s in data["sessions"]:
        del s["worksheets"]
    with SQLiteStore(content=own) as store:
        import_couple(store, data)
        assert [s.worksheets for s in store.sessions("ana-bo")] == [own.versions] * 2


READ_UNDER_A_MEMORY_LIMIT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
from toolkit.store import StoreError
from toolkit.store.transfer import read_export
try:
    read_export(sys.argv[1])
except StoreError as exc:
    print(exc)
"""


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.truncate(8 * 1024**3)  # sparse: costs no disk, but 8 GB if read whole
    proc = subprocess.run([sys.executable, "-c", READ_UNDER_A_MEMORY_LIMIT, str(huge)],
                          capture_output=True, text=True, timeout=120, cwd=os.getcwd())
    assert proc.stderr == "" and proc.returncode == 0
    assert proc.stdout == (f"{huge}: larger than 64 MB, far more than any couple's export; "
                           "nothing was imported\n")
