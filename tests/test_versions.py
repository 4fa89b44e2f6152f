"""Sessions answered with the first worksheets keep their own wording after the
worksheets change: a store and exports written by release 0.1.0 (committed in
tests/fixtures/release-0.1.0) still open, show and print, and nothing is lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.test_report import pdftotext
from toolkit.__main__ import main
from toolkit.report import session_report
from toolkit.responses import AnswerError
from toolkit.session import SessionModel, start_follow_up
from toolkit.store import DB_NAME, Store
from toolkit.store.transfer import export_couple, import_couple

FIXTURES = Path(__file__).parent / "fixtures" / "release-0.1.0"
V1 = {"spectrum": 1, "origins": 1, "boundaries": 1}
V2 = {"spectrum": 2, "origins": 2, "boundaries": 2, "safety": 1}
NOA = "noa-b-b-sami-שלום"


@pytest.fixture
def old_store(data_dir):
    data_dir.mkdir(mode=0o700)
    shutil.copy(FIXTURES / DB_NAME, data_dir / DB_NAME)
    (data_dir / DB_NAME).chmod(0o600)  # a checkout does not keep the store's private mode
    return data_dir


def test_an_old_store_opens_and_keeps_every_answer(old_store, content):
    raw = json.loads((FIXTURES / "noa-sami.json").read_text())
    with Store(old_store, content=content) as store:
        assert {c.id for c in store.couples()} == {"demo-alison-brett", "demo-kim-kevin", NOA}
        info = store.session(NOA)
        assert info.worksheets == V1
        data = store.load_session(info.id)
        old_answers = {(a["worksheet"], a["partner"], a["item"], a["row"], a["field"]):
                       a["value"] for a in raw["sessions"][0]["answers"]}
        assert {tuple(k): v for k, v in data.answers.items()} == old_answers
        model = SessionModel(store, info.id)
        assert model.content.spectrum.version == 1
        assert model.content.spectrum.left_label == "Toward dependence"
        assert model.data.origin("a", "cultural_messages")[1].startswith("Family before self")


def test_an_old_session_shows_with_its_own_wording(old_store, capsys):
    assert main(["--data-dir", str(old_store), "show", "demo-kim-kevin"]) == 0
    out = capsys.readouterr().out
    assert "The couple bubble in public and under stress" in out  # the v1 title
    assert "Kevin leans toward dependence" in out  # v1 words, today's rules
    assert "Being all in" not in out  # an item only the new worksheets ask
    assert main(["--data-dir", str(old_store), "show", NOA]) == 0
    out = capsys.readouterr().out
    assert "Noa <b>&</b>" in out and "2/11 answered" in out  # counted on the v1 items


def test_an_old_session_prints_with_its_own_wording(old_store, tmp_path):
    out = tmp_path / "old.pdf"
    # the note was written before notes could be shared: private, so in Noa's own copy
    assert main(["--data-dir", str(old_store), "report", NOA, "--for", "a", "-o", str(out)]) == 0
    text = " ".join(pdftotext(out).split())
    assert "from leaning toward dependence (-3)" in text
    assert "Family before self, we were told. <script>x</script>" in text
    assert "The couple bubble in public and under stress" in text
    assert "Being all in" not in text


def test_an_old_session_still_takes_answers_it_was_asked(old_store, content):
    with Store(old_store, content=content) as store:
        model = SessionModel.open(store, NOA)
        model.set(("spectrum", "b", "expressing_needs", 0, "position"), 1)
        with pytest.raises(AnswerError, match="unknown spectrum item 'showing_up'"):
            model.set(("spectrum", "b", "showing_up", 0, "position"), 1)  # not asked then


def test_a_follow_up_of_an_old_session_uses_the_new_worksheets(old_store, content):
    with Store(old_store, content=content) as store:
        info = start_follow_up(store, NOA, date="2026-12-01")
        assert info.worksheets == V2
        data = store.load_session(info.id)
        assert data.plan("small_risks") == [{"row": 1, "from_session": 1,
                                             "ask": "Ask for a lift", "done": True}]
        model = SessionModel(store, info.id)
        assert model.content.spectrum.version == 2
        model.set(("spectrum", "a", "showing_up", 0, "position"), 2)
        frame, summary = model.progress()  # across versions: by item id, never 0
        assert list(summary["session"]) == [1, 2]
        couple_bubble = frame[(frame.item_id == "couple_bubble") & (frame.partner == "a")]
        first, second = couple_bubble["position"].tolist()
        assert first == 3 and pd.isna(second)  # not answered yet this time, not 0


@pytest.mark.parametrize("name", ["demo-kim-kevin.json", "noa-sami.json"])
def test_old_exports_import_and_show_with_their_own_wording(name, data_dir, content, tmp_path):
    with Store(data_dir, content=content) as store:
        couple = import_couple(store, FIXTURES / name)
        sessions = store.sessions(couple.id)
        assert all(s.worksheets == V1 for s in sessions)
        model = SessionModel(store, sessions[0].id)
        pdf = tmp_path / "r.pdf"
        pdf.write_bytes(session_report(model.content, model.data, model.scores))
        assert "leaning toward dependence" in " ".join(pdftotext(pdf).split())
        again = export_couple(store, couple.id)  # re-exported with the versions recorded
        assert again["sessions"][0]["worksheets"] == V1
    with Store(tmp_path / "other", content=content) as other:
        import_couple(other, again)
        assert export_couple(other, couple.id)["sessions"] == again["sessions"]


def test_an_export_of_unknown_worksheets_is_refused_and_nothing_written(data_dir, content):
    data = json.loads((FIXTURES / "noa-sami.json").read_text())
    data["worksheets"] = {"spectrum": 9, "origins": 1, "boundaries": 1}
    with Store(data_dir, content=content) as store:
        from toolkit.store import StoreError

        with pytest.raises(StoreError, match="not available here"):
            import_couple(store, data)
        assert store.couples() == []
