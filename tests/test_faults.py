"""An unlucky facilitator's laptop: locks, concurrent first opens, a store deleted
underneath, full disks and file-size limits, odd folders, damaged files,
pathological imports, worksheets and forms, odd output paths and broken pipes.

Every case asserts the same promise: the failure is survived or reported in one
sentence (never a traceback), no acknowledged answer is lost, an unsaved value
stays visible with a way to retry, and no file the toolkit did not write changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from toolkit.content import ContentError, load_content
from toolkit.demo import seed_demos
from toolkit.files import FileWriteError, write_private
from toolkit.responses import AnswerError
from toolkit.session import SessionModel
from toolkit.store import DB_NAME, Store, StoreError, StoreGoneError
from toolkit.store import sqlite as sqlite_store
from toolkit.store.migrations import MIGRATIONS
from toolkit.store.transfer import export_couple, read_export


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str, env: dict | None = None, limit_bytes: int | None = None,
        stdin: str | None = None) -> tuple[int, str, str]:
    """The command line as a whole process, optionally under a file-size limit."""

    def limit() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    proc = subprocess.run(
        [sys.executable, "-m", "toolkit", *args], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, preexec_fn=limit,
        input=stdin, timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


def one_sentence(err: str, *expected: str) -> str:
    """The promise for every failure: one line on stderr, no traceback."""
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    for words in expected:
        assert words in lines[0], (words, lines[0])
    return lines[0]


@pytest.fixture
def demo(data_dir, content):
    with Store(data_dir, content=content) as store:
        seed_demos(store)
    return data_dir


# --- locks ---------------------------------------------------------------------------------


HOLD_LOCK = (
    "import sqlite3, sys, time\n"
    "conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n"
    "conn.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def lock_holder(demo):
    """Another process holding the store's write lock (a long import or delete)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(demo / DB_NAME)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield proc
    proc.kill()
    proc.wait()


def test_a_save_during_a_long_lock_stays_on_screen_and_can_be_retried(demo, content,
                                                                      lock_holder, monkeypatch):
    from toolkit.ui.spectrum import SpectrumView

    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 300)
    store = Store(demo, content=content)
    model = SessionModel.open(store, "demo-kim-kevin")
    view = SpectrumView(model, "a")
    item = view.items[0]
    before = model.data.spectrum("a").get(item.item.id)
    item.slider.value = 3 if before != 3 else -3
    wanted = item.slider.value
    assert item.slider.value == wanted  # what the partner chose is still on screen
    assert "Not saved yet" in item.answer.value
    assert "another program is using the session store" in item.status.value
    assert item.status.retry_button.layout.display == ""
    assert model.data.spectrum("a").get(item.item.id) == before  # nothing half-saved
    lock_holder.kill()
    lock_holder.wait()
    item.status.retry_button.click()
    assert item.status.value == "" and item.status.retry_button.layout.display == "none"
    assert store.load_session(model.session_id).spectrum("a")[item.item.id] == wanted
    store.close()


def test_a_note_typed_during_a_lock_is_kept_and_saved_on_retry(demo, content, lock_holder,
                                                               monkeypatch):
    from toolkit.ui.origins import OriginsView

    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 200)
    store = Store(demo, content=content)
    model = SessionModel.open(store, "demo-alison-brett")
    section = OriginsView(model, "a").sections[0]
    section.notes.value = "typed while the store was busy"
    assert section.notes.value == "typed while the store was busy"
    assert "Not saved yet" in section.status.value
    lock_holder.kill()
    lock_holder.wait()
    section.status.retry_button.click()
    assert store.load_session(model.session_id).origin("a", section.section.id)[1] == \
        "typed while the store was busy"
    store.close()


def test_the_command_line_under_a_lock_says_so_in_one_line(demo, lock_holder, tmp_path):
    export = tmp_path / "kk.json"
    code, _, err = cli("--data-dir", str(demo), "export", "demo-kim-kevin", "-o", str(export))
    assert code == 0  # reading needs no write lock: the export still works
    code, _, err = cli("--data-dir", str(demo), "import", str(export), "--as", "copy",
                       env={"TOOLKIT_BUSY_TIMEOUT_MS": "300"})
    assert code == 1
    one_sentence(err, "another program is using the session store", "nothing was saved")


# --- two processes opening a new store at once ---------------------------------------------


def test_concurrent_first_opens_never_fail(tmp_path):
    failures = []
    for attempt in range(8):
        folder = tmp_path / f"new-{attempt}"
        env = {**os.environ, "PYTHONPATH": str(REPO), "TOOLKIT_DATA_DIR": str(folder)}
        procs = [subprocess.Popen([sys.executable, "-m", "toolkit", "list"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(5)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            if proc.returncode != 0:
                failures.append(err)
        with Store(folder) as store:
            assert store.applied_migrations() == [m.name for m in MIGRATIONS]
            assert store.applied_migrations()[:3] == [
                "0001_initial", "0002_carried_plan_rows", "0003_session_worksheets"]
    assert failures == []


# --- a store deleted while a kernel has it open ----------------------------------------------


def test_delete_all_while_in_use_is_refused_then_forced_saves_are_refused_loudly(demo, content):
    store = Store(demo, content=content)  # a kernel with the session open
    model = SessionModel.open(store, "demo-kim-kevin")
    code, _, err = cli("--data-dir", str(demo), "delete", "--all", "--yes")
    assert code == 1
    one_sentence(err, "open in another notebook or program", "Nothing was deleted")
    assert (demo / DB_NAME).exists()
    code, out, err = cli("--data-dir", str(demo), "delete", "--all", "--yes", "--force")
    assert code == 0 and "deleted every couple" in out and "warning" in err
    error, keep = model.attempt(("spectrum", "a", "asking_for_help", 0, "position"), 1)
    assert keep and "deleted or replaced while it was open here, so this was NOT saved" in error
    with pytest.raises(StoreGoneError):
        store.add_plan_row(model.session_id, "rituals")
    store.close()
    with Store(demo, content=content) as fresh:
        assert fresh.couples() == []  # the refused saves did not bring anything back


def test_a_store_replaced_underneath_refuses_writes(demo, content, tmp_path):
    store = Store(demo, content=content)
    model = SessionModel.open(store, "demo-kim-kevin")
    path = demo / DB_NAME
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # a backup restored while the notebook was open
    with pytest.raises(StoreGoneError, match="NOT saved"):
        model.set(("spectrum", "a", "asking_for_help", 0, "position"), 1)
    store.close()


# --- full disks and file-size limits ----------------------------------------------------------


def test_a_save_under_a_file_size_limit_is_reported_not_lost(demo, data_dir):
    note = "x" * 150_000  # the log must grow past the limit below to hold it
    script = (
        "import sys; from toolkit.store import Store, StoreError\n"
        "from toolkit.session import SessionModel\n"
        "store = Store(sys.argv[1]); m = SessionModel.open(store, 'demo-kim-kevin')\n"
        "note = 'x' * int(sys.argv[2])\n"
        "error, keep = m.attempt(('origins', 'a', 'past_hurts', 0, 'notes'), note)\n"
        "print(keep); print(error)\n"
    )
    before = digest(demo / DB_NAME)

    def limit() -> None:  # reading the store needs no file to grow; saving the note does
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    proc = subprocess.run([sys.executable, "-c", script, str(demo), str(len(note))],
                          capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
                          preexec_fn=limit, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    keep, message = proc.stdout.splitlines()[:2]
    assert keep == "True"  # the note stays on screen, with a way to try again
    assert "nothing was saved" in message and "full" in message and "limit" in message
    assert "damaged" not in message
    with Store(data_dir) as store:  # the store is intact and still opens
        assert store.check() == "ok"
        model = SessionModel.open(store, "demo-kim-kevin")
        assert model.data.origin("a", "past_hurts")[1] != note
    assert before  # the main file may have been checkpointed; its integrity is what counts


def test_an_export_under_a_file_size_limit_leaves_nothing_behind(demo, tmp_path):
    target = tmp_path / "all.csv"
    code, _, err = cli("--data-dir", str(demo), "export", "--csv", "-o", str(target),
                       limit_bytes=40_000)  # room to read the store, not to write the CSV
    assert code == 1
    one_sentence(err, str(target), "larger than this system allows")
    assert not target.exists() and not list(tmp_path.glob(".all.csv*"))  # no 0-byte leftovers
    code, _, _ = cli("--data-dir", str(demo), "export", "--csv", "-o", str(target))
    assert code == 0 and target.stat().st_size > 40_000  # the retry is not refused


def test_a_healthy_store_under_a_file_size_limit_is_not_called_damaged(demo):
    before = digest(demo / DB_NAME)
    code, out, err = cli("--data-dir", str(demo), "list", limit_bytes=8192)
    if code != 0:
        line = one_sentence(err)
        assert "damaged" not in line and "backup" not in line, line
    else:
        assert "demo-kim-kevin" in out
    assert digest(demo / DB_NAME) == before


def test_messages_tell_a_full_disk_from_damage():
    full = sqlite_store._translate(sqlite3.OperationalError("database or disk is full"), "s")
    damaged = sqlite_store._translate(
        sqlite3.DatabaseError("database disk image is malformed"), "s")
    assert "disk is full" in str(full) and "damaged" not in str(full)
    assert "damaged" in str(damaged) and "restore it" in str(damaged)


# --- odd data folders -------------------------------------------------------------------------


def perms(path: Path) -> tuple[int, int]:
    info = path.stat()
    return stat.S_IMODE(info.st_mode), info.st_uid


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o755, 0o750])
def test_a_shared_folder_is_refused_and_never_chmodded(tmp_path, mode):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(mode)
    code, _, err = cli("--data-dir", str(folder), "list")
    assert code == 1
    one_sentence(err, "can be opened by other users", "chmod 700")
    assert perms(folder)[0] == mode  # left exactly as it was
    assert list(folder.iterdir()) == []


def test_the_data_folder_as_tmp_is_refused(tmp_path):
    before = perms(Path("/tmp"))
    code, _, err = cli("list", env={"TOOLKIT_DATA_DIR": "/tmp"})
    assert code == 1
    one_sentence(err, "/tmp", "other users")
    assert perms(Path("/tmp")) == before and not Path("/tmp", DB_NAME).exists()


def test_odd_folders_each_get_one_sentence(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    cases = {
        str(a_file): "is a file, not a folder",
        str(a_file / "inside"): "part of the path is a file",
        "/proc/no-such-place/data": "cannot be made",
    }
    for folder, words in cases.items():
        code, _, err = cli("--data-dir", folder, "list")
        assert code == 1, folder
        one_sentence(err, words)
    assert a_file.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs to hand a folder to another user")
def test_a_folder_of_another_user_is_refused_untouched(tmp_path):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    code, _, err = cli("--data-dir", str(folder), "list")
    assert code == 1
    one_sentence(err, "belongs to another user")
    assert perms(folder) == (0o700, 65534)


@pytest.mark.parametrize("mode", [0o400, 0o644, 0o604])
def test_store_files_with_other_permissions_are_never_chmodded(demo, mode):
    path = demo / DB_NAME
    path.chmod(mode)
    before = digest(path)
    code, _, err = cli("--data-dir", str(demo), "show", "demo-kim-kevin")
    if mode & 0o077:
        assert code == 1
        one_sentence(err, "can be read by other users", "chmod 600")
    else:
        assert code == 0  # reading works; a save would say the store is read-only
        code, _, err = cli("--data-dir", str(demo), "session", "new", "demo-kim-kevin")
        assert code == 1 or os.geteuid() == 0  # root may write a 0400 file
    assert stat.S_IMODE(path.stat().st_mode) == mode
    if mode & 0o077:
        assert digest(path) == before


# --- damage that passes the open check --------------------------------------------------------


def damage_cases(demo: Path, tmp_path: Path) -> dict[str, Path]:
    cases = {}
    path = demo / DB_NAME
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    good = path.read_bytes()

    def variant(name: str, data: bytes | None = None, sql: str | None = None) -> Path:
        folder = tmp_path / name
        folder.mkdir(mode=0o700)
        target = folder / DB_NAME
        target.write_bytes(good if data is None else data)
        target.chmod(0o600)
        if sql:
            conn = sqlite3.connect(target)
            conn.execute(sql)
            conn.commit()
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
        return folder

    cases["truncated by one byte"] = variant("truncated", good[:-1])
    cases["a table dropped"] = variant("dropped", sql="DROP TABLE plan_rows")
    cases["invalid JSON in a stored value"] = variant(
        "badjson", sql="UPDATE answers SET value = '{not json' WHERE rowid = 1")
    crafted = tmp_path / "crafted"
    crafted.mkdir(mode=0o700)
    conn = sqlite3.connect(crafted / DB_NAME)
    conn.execute("PRAGMA application_id=1129335892")
    conn.execute("PRAGMA user_version=3")
    conn.execute("CREATE TABLE unrelated (x)")
    conn.commit()
    conn.close()
    (crafted / DB_NAME).chmod(0o600)
    cases["right header, no tables"] = crafted
    return cases


def test_damage_is_reported_on_every_read_path_and_nothing_is_written(demo, tmp_path):
    for name, folder in damage_cases(demo, tmp_path).items():
        path = folder / DB_NAME
        before = digest(path)
        for args in (["show", "demo-kim-kevin"], ["export", "--csv", "-o", "-"],
                     ["export", "demo-kim-kevin", "-o", "-"], ["list"],
                     ["report", "demo-kim-kevin", "-o", str(folder / "r.pdf")],
                     ["progress", "demo-kim-kevin"]):
            code, _, err = cli("--data-dir", str(folder), *args)
            if code == 0:  # the damage is somewhere this command does not read
                continue
            line = one_sentence(err)
            assert "damaged" in line and "restore" in line.lower(), (name, args, line)
        assert digest(path) == before, name
        side = [p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-shm"))]
        assert not (folder / f"{DB_NAME}-wal").exists() or \
            (folder / f"{DB_NAME}-wal").stat().st_size == 0, (name, side)


def test_the_crafted_file_keeps_its_header(demo, tmp_path):
    folder = damage_cases(demo, tmp_path)["right header, no tables"]
    before = (folder / DB_NAME).read_bytes()[:100]
    code, _, err = cli("--data-dir", str(folder), "list")
    assert code == 1
    one_sentence(err, "tables", "missing", "untouched")
    assert (folder / DB_NAME).read_bytes()[:100] == before


# --- pathological import files ---------------------------------------------------------------


def export_text(demo: Path) -> str:
    with Store(demo) as store:
        return json.dumps(export_couple(store, "demo-alison-brett"))


def test_pathological_imports_get_one_sentence_quickly(demo, tmp_path):
    good = export_text(demo)
    cases = {
        "surrogate.json": (good.replace('"Alison"', '"Ali\\ud800son"', 1),
                           "broken character"),
        "big-int.json": (good.replace('"number": 1', '"number": 9223372036854775808', 1),
                         "whole number from 1 to 1,000,000"),
        "digits.json": (good.replace('"number": 1', '"number": ' + "9" * 5000, 1),
                        "not a toolkit export"),
        "deep.json": ("[" * 60_000 + "]" * 60_000, "nested far too deeply"),
        "row.json": (good.replace('"row": 1', '"row": 18446744073709551616', 1),
                     "whole number"),
    }
    before = digest(demo / DB_NAME)
    for name, (text, words) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        start = time.monotonic()
        code, _, err = cli("--data-dir", str(demo), "import", str(path), "--as", "x")
        assert code == 1, name
        one_sentence(err, words)
        assert len(err) < 400, name  # short, whatever the file held
        assert time.monotonic() - start < 20, name
    for path, words in ((tmp_path, "is a folder"), (Path("/dev/zero"), "not a regular file")):
        code, _, err = cli("--data-dir", str(demo), "import", str(path))
        assert code == 1
        one_sentence(err, words)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    start = time.monotonic()
    code, _, err = cli("--data-dir", str(demo), "import", str(huge))
    assert code == 1 and time.monotonic() - start < 20
    one_sentence(err, "larger than 64 MB")
    with Store(demo) as store:
        assert {c.id for c in store.couples()} == {"demo-alison-brett", "demo-kim-kevin",
                                                   "demo-leon-nadia", "demo-priya-tom"}
    assert before  # nothing was added: the couples are the same four


def test_unpaired_surrogates_are_refused_through_the_api_and_widgets(store, session):
    with pytest.raises(AnswerError, match="broken character"):
        store.create_couple("Ana\udc00", "Bo")
    with pytest.raises(AnswerError, match="broken character"):
        store.set_answer(session.id, ("origins", "a", "past_hurts", 0, "notes"), "x\ud83d")
    from toolkit.ui.origins import OriginsView

    section = OriginsView(SessionModel(store, session.id), "a").sections[0]
    section.notes.value = "half an emoji \ud83d"
    assert "broken character" in section.status.value
    assert store.load_session(session.id).origin("a", section.section.id)[1] == ""


def test_read_export_of_a_directory_and_missing_file():
    with pytest.raises(StoreError, match="is a folder"):
        read_export(REPO)
    with pytest.raises(StoreError, match="file not found"):
        read_export(REPO / "no-such-export.json")


# --- output paths -------------------------------------------------------------------------------


def test_output_paths_that_cannot_be_written(demo, tmp_path):
    existing = tmp_path / "existing.txt"
    existing.write_text("keep")
    cases = {
        str(existing / "x.json"): "part of the path is a file",
        str(tmp_path / ("n" * 300 + ".json")): "file name is too long",
        "/proc/x.json": "cannot be written",
        str(existing): "already exists",
    }
    for target, words in cases.items():
        code, _, err = cli("--data-dir", str(demo), "export", "demo-kim-kevin", "-o", target)
        assert code == 1, target
        one_sentence(err, words)
    assert existing.read_text() == "keep"
    with pytest.raises(FileWriteError, match="part of the path is a file"):
        write_private(b"x", existing / "y.pdf")


def test_a_broken_pipe_ends_quietly(demo):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        f"'{sys.executable}' -m toolkit --data-dir '{demo}' export --csv -o - | head -1",
        shell=True, capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.stdout.startswith("couple_id,partner_a")
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert proc.stderr.strip() == ""


# --- CSV -----------------------------------------------------------------------------------------


def test_every_text_column_of_the_csv_is_formula_safe(store, tmp_path):
    import csv
    import io

    from toolkit.store.transfer import export_csv

    couple = store.create_couple("=HYPERLINK(1)", "+2+3", notes="@SUM(A1)")
    info = store.new_session(couple.id)
    store.set_answer(info.id, ("origins", "a", "past_hurts", 0, "notes"), "-1+1")
    row = store.add_plan_row(info.id, "rituals")
    store.set_answer(info.id, ("boundaries", "couple", "rituals", row, "ritual"), "\tcmd")
    store.set_answer(info.id, ("boundaries", "couple", "rituals", row, "how_often"), "\rx")
    buffer = io.StringIO()
    export_csv(store, buffer)
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    for cells in rows[1:]:
        for cell in cells:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cells
    names = {cells[1] for cells in rows[1:]} | {cells[2] for cells in rows[1:]}
    assert "'=HYPERLINK(1)" in names and "'+2+3" in names


# --- worksheets ----------------------------------------------------------------------------------


def test_pathological_worksheets(worksheet_copy):
    spectrum = worksheet_copy / "spectrum.yaml"
    original = spectrum.read_text()
    bomb = 'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    assert len(bomb) < 10_000
    cases = {
        "an alias bomb": (original.replace("title: Independence spectrum",
                                           "title: *x\n" + bomb, 1), "aliases"),
        "deep nesting": ("a: " + "[" * 50_000 + "]" * 50_000, "nested far too deeply"),
    }
    for name, (text, words) in cases.items():
        spectrum.write_text(text)
        start = time.monotonic()
        with pytest.raises(ContentError) as info:
            load_content(worksheet_copy)
        assert time.monotonic() - start < 5, name
        assert words in str(info.value) and len(str(info.value)) < 400, name
    spectrum.unlink()
    spectrum.mkdir()
    with pytest.raises(ContentError, match="is a folder, not a worksheet file"):
        load_content(worksheet_copy)
    code, _, err = cli("--worksheets", str(worksheet_copy), "blank", "-o", "/tmp/unused.pdf")
    assert code == 1
    one_sentence(err, "is a folder")
    assert yaml  # the loader in use is the toolkit's own, without aliases


# --- filled PDF forms ----------------------------------------------------------------------------


def test_pathological_forms(store, content, tmp_path):
    from pypdf import PdfReader, PdfWriter

    from toolkit.forms import FormError, import_form, read_form
    from toolkit.report import blank_worksheets

    blank = tmp_path / "form.pdf"
    blank.write_bytes(blank_worksheets(content, fillable=True))
    writer = PdfWriter(clone_from=PdfReader(blank))
    writer.encrypt(user_password="pw", algorithm="AES-256")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(FormError, match="password-protected"):
        read_form(content, locked)
    writer = PdfWriter(clone_from=PdfReader(blank))
    writer.update_page_form_field_values(
        None, {"origins.a.past_hurts.resonance": "²"}, auto_regenerate=False)
    odd = tmp_path / "odd.pdf"
    with odd.open("wb") as fh:
        writer.write(fh)
    couple = store.create_couple("Ana", "Bo")
    with pytest.raises(FormError, match="unknown value"):
        import_form(store, odd, couple.id)
    assert store.sessions(couple.id) == []
    for bad in (tmp_path, Path("/dev/zero")):
        with pytest.raises(FormError, match="not a PDF file"):
            read_form(content, bad)


# --- the last line of defence ---------------------------------------------------------------------


def test_an_unexpected_error_is_one_sentence(demo, monkeypatch, capsys):
    from toolkit import __main__ as cli_module

    def boom(args):  # noqa: ANN001, ARG001
        raise RuntimeError("surprise")

    monkeypatch.setattr(cli_module, "cmd_list", boom)
    monkeypatch.delenv("TOOLKIT_DEBUG", raising=False)
    parser_default = cli_module.build_parser
    monkeypatch.setattr(cli_module, "build_parser", lambda: _with(parser_default(), boom))
    assert cli_module.main(["--data-dir", str(demo), "list"]) == cli_module.EXIT_BUG
    one_sentence(capsys.readouterr().err, "something unexpected went wrong", "surprise")
    assert signal  # the signal module is used by the kill tests in test_crash


def _with(parser, func):  # noqa: ANN001, ANN202
    sub = next(a for a in parser._actions if a.dest == "command")
    sub.choices["list"].set_defaults(func=func)
    return parser


def test_a_refused_store_can_be_opened_once_fixed_without_waiting(demo, monkeypatch):
    """Refused before opening (here: readable by others) must not keep the set-up lock:
    after the chmod the facilitator is told to run, the next open works at once."""
    path = demo / DB_NAME
    path.chmod(0o640)
    # no waiting at all: a set-up lock still held would refuse the second open at once
    monkeypatch.setattr(sqlite_store, "_exclusive",
                        lambda marker, wait=0.0, real=sqlite_store._exclusive: real(marker, wait))
    with pytest.raises(StoreError, match="chmod 600"):
        Store(demo)
    path.chmod(0o600)
    with Store(demo) as store:
        assert store.couple("demo-kim-kevin").partner_a == "Kim"


def test_a_data_folder_name_too_long_for_the_disk_gets_a_sentence(tmp_path):
    code, _, err = cli("--data-dir", str(tmp_path / ("x" * 300)), "list")
    assert code == 1
    one_sentence(err, "cannot be used", "File name too long")


def test_damage_found_before_an_upgrade_is_reported_on_one_line(tmp_path, monkeypatch):
    legacy = REPO / "tests" / "fixtures" / "release-0.1.0"
    store_file = next(legacy.rglob(DB_NAME))
    folder = tmp_path / "old"
    folder.mkdir(mode=0o700)
    (folder / DB_NAME).write_bytes(store_file.read_bytes())
    (folder / DB_NAME).chmod(0o600)
    real_connect = sqlite3.connect

    class Reports:
        """SQLite's own check answering, as it can, with a report over several lines."""

        def __init__(self, conn):
            self.conn = conn

        def execute(self, sql, *args):
            if sql.startswith("PRAGMA quick_check"):
                return real_connect(":memory:").execute(
                    "SELECT 'Tree 2 page 3 cell 0: invalid page number 99' || char(10) || "
                    "'Tree 2 page 3: btreeInitPage() returns error code 11'")
            return self.conn.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.conn, name)

    before = (folder / DB_NAME).read_bytes()
    store = object.__new__(Store)
    conn = real_connect(folder / DB_NAME, isolation_level=None)
    store._conn = Reports(conn)
    store.path = folder / DB_NAME
    store._identity = None
    store._lock = __import__("threading").RLock()
    monkeypatch.setattr(Store, "_check_still_there", lambda self: None)
    with pytest.raises(StoreError) as refused:
        sqlite_store.SQLiteStore._migrate(store)
    conn.close()
    message = str(refused.value)
    assert "\n" not in message and "invalid page number 99 Tree 2 page 3" in message
    assert (folder / DB_NAME).read_bytes() == before
