from __future__ import annotations

import json
import subprocess
import sys

import pytest

from toolkit.__main__ import build_parser, main
from toolkit.store import Store


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def demo(capsys, data_dir):
    assert run(capsys, "--data-dir", str(data_dir), "demo")[0] == 0
    return ["--data-dir", str(data_dir)]


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {"where", "demo", "list", "show", "export", "import", "delete",
                                "report", "blank", "import-form", "sessions", "progress",
                                "session", "handout", "homework", "notebooks", "workshop",
                                "check"}
    for name, p in sub.choices.items():
        assert p.format_help().startswith("usage: python -m toolkit " + name)


def test_where_prints_the_data_dir(capsys, data_dir):
    assert run(capsys, "where") == (0, f"{data_dir}\n", "")


def test_demo_is_idempotent_and_list_shows_both(capsys, demo):
    assert "already in the store" in run(capsys, *demo, "demo")[1]
    code, out, _ = run(capsys, *demo, "list")
    assert code == 0
    assert "demo-kim-kevin" in out and "Kim & Kevin" in out
    assert "demo-alison-brett" in out and "(2 sessions, last 2026-12-15)" in out
    assert "demo-priya-tom" in out and "demo-leon-nadia" in out


def test_show_prints_scores_and_prompts(capsys, demo, content):
    code, out, _ = run(capsys, *demo, "show", "demo-kim-kevin", "--session", "1")
    assert code == 0
    titles = [i.title for i in content.spectrum.items]
    rows = {t: line.split() for line in out.splitlines() for t in titles
            if line.strip().startswith(t)}
    assert rows["Time apart and time together"][-3:] == ["3", "-1", "4"]  # -1 is no pole
    assert rows["Sense of self"][-5:] == ["3", "2", "1", "both", "right"]
    assert "Kim leans toward hyper-independence: tends to carry things alone" in out
    assert "Kevin leans toward hyper-independence" in out
    assert "largest gaps, to talk about:\n- Time apart and time together (gap 4)" in out
    assert "where you both lean the same way (Living side by side)" in out
    assert "- When my partner is upset (both toward hyper-independence): You both tend" in out


def test_export_import_delete_cycle(capsys, demo, tmp_path):
    target = tmp_path / "kk.json"
    assert run(capsys, *demo, "export", "demo-kim-kevin", "-o", str(target))[0] == 0
    data = json.loads(target.read_text())
    assert data["couple"]["partner_a"] == "Kim"
    code, _, err = run(capsys, *demo, "export", "demo-kim-kevin", "-o", str(target))
    assert code == 1 and "already exists" in err
    code, _, err = run(capsys, *demo, "import", str(target))
    assert code == 1 and "already in the store" in err
    assert run(capsys, *demo, "import", str(target), "--as", "kk-copy")[0] == 0
    code, _, err = run(capsys, *demo, "delete", "kk-copy")
    assert code == 1 and "--yes" in err  # stdin is not a terminal in tests
    assert run(capsys, *demo, "delete", "kk-copy", "--yes") == (0, "deleted kk-copy\n", "")
    assert "kk-copy" not in run(capsys, *demo, "list")[1]


def test_csv_to_stdout(capsys, demo):
    code, out, _ = run(capsys, *demo, "export", "--csv", "-o", "-")
    assert code == 0
    assert out.splitlines()[0].startswith("couple_id,partner_a,partner_b,session")
    assert sum(1 for line in out.splitlines() if ",spectrum," in line) == 4 * 2 * 26


def test_delete_all(capsys, demo, data_dir):
    assert run(capsys, *demo, "notebooks")[0] == 0
    assert run(capsys, *demo, "delete", "--all", "--yes")[0] == 0
    assert not (data_dir / "sessions.sqlite3").exists()
    assert not (data_dir / "notebooks").exists()  # run copies may hold client outputs


def test_lab_runs_private_copies_of_the_notebooks_never_the_repository(capsys, demo, data_dir,
                                                                        tmp_path):
    import os
    import shutil

    from toolkit.workspace import NOTEBOOKS, notebook_copies

    before = {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}
    code, out, _ = run(capsys, *demo, "notebooks")
    copies = data_dir / "notebooks"
    assert code == 0 and out.strip() == str(copies)
    assert {p.name for p in copies.glob("*.ipynb")} == set(before)
    assert oct(copies.stat().st_mode)[-3:] == "700"
    for p in copies.glob("*.ipynb"):
        assert oct(p.stat().st_mode)[-3:] == "600"
        assert p.read_bytes() == before[p.name]

    # a copy that was run (saved with outputs) is kept; an update to the toolkit's own wins
    source = tmp_path / "source"
    shutil.copytree(NOTEBOOKS, source)
    ran = copies / "01_couple_session.ipynb"
    ran.write_text('{"run": "with outputs"}')
    notebook_copies(data_dir, source)
    assert ran.read_text() == '{"run": "with outputs"}'
    updated = source / "01_couple_session.ipynb"
    os.utime(updated, (ran.stat().st_mtime + 10,) * 2)
    notebook_copies(data_dir, source)
    assert ran.read_bytes() == updated.read_bytes()
    assert {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")} == before


def test_make_lab_opens_the_copies():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "toolkit notebooks" in recipe and "notebooks/00_start_here" not in recipe


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nobody"], "no couple with the id 'nobody'"),
        (["show", "demo-kim-kevin", "--session", "9"], "has no session 9"),
        (["import", "missing.json"], "missing.json: file not found"),
        (["export"], "name the couple to export"),
        (["delete"], "name one couple"),
    ],
)
def test_user_mistakes_are_one_line_errors(capsys, demo, args, message):
    code, out, err = run(capsys, *demo, *args)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_broken_store_reported_without_traceback(data_dir, tmp_path):
    data_dir.mkdir(mode=0o700)
    (data_dir / "sessions.sqlite3").write_text("not a database")
    proc = subprocess.run(
        [sys.executable, "-m", "toolkit", "--data-dir", str(data_dir), "list"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 1
    assert "not an SQLite database" in proc.stderr and "Traceback" not in proc.stderr
    assert (data_dir / "sessions.sqlite3").read_text() == "not a database"


def test_demo_couples_tell_four_different_stories(data_dir, content):
    from toolkit.demo import seed_demos
    from toolkit.session import SessionModel

    with Store(data_dir, content=content) as store:
        assert sorted(seed_demos(store)) == ["demo-alison-brett", "demo-kim-kevin",
                                             "demo-leon-nadia", "demo-priya-tom"]
        assert seed_demos(store) == []
        scores = {c: SessionModel.open(store, f"demo-{c}", 1).scores
                  for c in ("kim-kevin", "alison-brett", "priya-tom", "leon-nadia")}
        plan = SessionModel.open(store, "demo-kim-kevin", 1).data.plan("agreements")

    def readings(name):
        return dict(zip(scores[name].summary["partner"], scores[name].summary["reading"],
                        strict=True))

    def couple(name):
        return scores[name].couple.iloc[0]

    # 004's "you do your thing and I'll do mine": both lean the same way
    assert readings("kim-kevin") == {"a": "right", "b": "right"}
    assert couple("kim-kevin")["shared_pattern"] == "right"
    assert couple("kim-kevin")["shared_right_count"] == 5
    assert "Kevin doesn't leave Kim alone with his dad" in plan[1]["strategy"]
    # 004's team: close to the middle, small differences
    assert readings("alison-brett") == {"a": "balanced", "b": "balanced"}
    assert couple("alison-brett")["mean_gap"] < 1 and couple("alison-brett")["largest_gap"] == 2
    # pursue and withdraw: opposite ends
    assert readings("priya-tom") == {"a": "right", "b": "left"}
    assert couple("priya-tom")["opposite_pole_count"] == 6
    # 003's mixed pattern: strong at both ends with no overall lean
    assert readings("leon-nadia") == {"a": "mixed", "b": "balanced"}


def test_check_reads_the_whole_store_and_import_refuses_a_damaged_one(capsys, data_dir,
                                                                      tmp_path):
    import sqlite3

    from toolkit.store import DB_NAME, Store

    d = ["--data-dir", str(data_dir)]
    assert run(capsys, *d, "demo")[0] == 0
    with Store(data_dir) as store:
        for n in range(60):  # enough rows for the answers to span many pages
            couple = store.create_couple(f"Partner{n}A", f"Partner{n}B")
            info = store.new_session(couple.id)
            store.set_answer(info.id, ("origins", "a", "past_hurts", 0, "notes"), "x" * 300)
    code, out, err = run(capsys, *d, "check")
    assert code == 0 and out.startswith("the session store is whole:")
    exported = tmp_path / "kim.json"
    assert run(capsys, *d, "export", "demo-kim-kevin", "-o", str(exported))[0] == 0
    path = data_dir / DB_NAME
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    raw = bytearray(path.read_bytes())
    middle = (pages // 2) * page
    raw[middle + 8: middle + 200] = b"\xff" * 192  # one page in the middle, scrambled
    path.write_bytes(bytes(raw))
    before = path.read_bytes()
    code, out, err = run(capsys, *d, "check")
    assert code == 1 and "the session store is damaged" in err and "Traceback" not in err
    code, out, err = run(capsys, *d, "import", str(exported), "--as", "kim-again")
    assert code == 1 and "nothing was imported" in err
    assert path.read_bytes() == before  # refused untouched


def test_every_exported_pdf_can_carry_a_password(capsys, data_dir, tmp_path, monkeypatch):
    from pypdf import PdfReader

    d = ["--data-dir", str(data_dir)]
    assert run(capsys, *d, "demo")[0] == 0
    monkeypatch.setenv("TOOLKIT_PDF_PASSWORD", "s3cret words")
    made = {
        "handout": ["handout"],
        "homework": ["homework", "demo-kim-kevin"],
        "blank": ["blank", "--fillable", "--couple", "demo-kim-kevin"],
    }
    for name, args in made.items():
        out = tmp_path / f"{name}.pdf"
        code, _, err = run(capsys, *d, *args, "--password", "-o", str(out))
        assert code == 0, err
        reader = PdfReader(out)
        assert reader.is_encrypted, name
        assert reader.decrypt("wrong") == 0
        reader = PdfReader(out)
        assert reader.decrypt("s3cret words") != 0 and len(reader.pages) >= 1, name
