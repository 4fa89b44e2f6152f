"""Couples who come back: a follow-up carries the plan forward, sessions can be
corrected and deleted, and progress over sessions is charted and reported."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_report import pdftotext, report_of
from toolkit.__main__ import main
from toolkit.demo import seed_demos
from toolkit.responses import AnswerKey
from toolkit.session import SessionModel, start_follow_up
from toolkit.store import DB_NAME, Store
from toolkit.ui import SessionApp
from toolkit.ui.progress import ProgressView


def spectrum(partner: str, item: str) -> AnswerKey:
    return AnswerKey("spectrum", partner, item, 0, "position")


def cell(section: str, row: int, field: str) -> AnswerKey:
    return AnswerKey("boundaries", "couple", section, row, field)


@pytest.fixture
def first(store):
    """A first session with answers, a plan and a small risk already tried."""
    couple = store.create_couple("Ana", "Bo", notes="Met at a pottery class")
    info = store.new_session(couple.id, date="2026-10-05", facilitator="Dr Kay")
    m = SessionModel(store, info.id)
    m.set(spectrum("a", "asking_for_help"), 3)
    m.set(spectrum("b", "asking_for_help"), -2)
    m.set(("origins", "a", "past_hurts", 0, "notes"), "private words")
    r1 = m.add_plan_row("small_risks")
    m.set(cell("small_risks", r1, "who"), "a")
    m.set(cell("small_risks", r1, "ask"), "Ask Bo to proofread my letter")
    m.set(cell("small_risks", r1, "done"), True)
    m.set(cell("small_risks", r1, "how_it_went"), "Fine, quicker than alone")
    m.add_plan_row("rituals")
    m.remove_plan_row("rituals", 1)
    r2 = m.add_plan_row("rituals")
    m.set(cell("rituals", r2, "ritual"), "Walk after dinner")
    m.set(("boundaries", "couple", "review", 0, "date"), "2026-11-01")
    return m


def test_a_follow_up_carries_the_plan_facilitator_and_notes_forward(store, first):
    info = start_follow_up(store, first.couple_id, date="2026-11-02")
    assert (info.number, info.date, info.facilitator) == (2, "2026-11-02", "Dr Kay")
    data = store.load_session(info.id)
    risks = data.plan("small_risks")
    assert risks == [{"row": 1, "from_session": 1, "who": "a",
                      "ask": "Ask Bo to proofread my letter", "done": True,
                      "how_it_went": "Fine, quicker than alone"}]
    assert data.plan("rituals") == [{"row": 1, "from_session": 1, "ritual": "Walk after dinner"}]
    assert data.couple.notes == "Met at a pottery class"
    # the spectrum, origins and review date start empty: nobody anchors on last time
    assert data.spectrum("a") == {} and data.spectrum("b") == {}
    assert data.origin("a", "past_hurts") == (None, "")
    assert data.plan_value("review") is None
    # the carried fields are open for review
    m = SessionModel(store, info.id)
    m.set(cell("small_risks", 1, "how_it_went"), "Tried again; easier now")
    assert first.data.plan("small_risks")[0]["how_it_went"] == "Fine, quicker than alone"
    # a third session keeps pointing at where the row was first written
    third = store.load_session(start_follow_up(store, first.couple_id).id)
    assert third.row_origins[("small_risks", 1)] == (1, 1)
    assert third.row_origins[("rituals", 1)] == (1, 1)


def test_follow_up_for_a_couple_without_sessions_is_a_first_session(store):
    couple = store.create_couple("Cy", "Di")
    info = start_follow_up(store, couple.id, facilitator="Lee")
    assert info.number == 1 and info.facilitator == "Lee"


def test_deleting_one_session_scrubs_it_and_keeps_the_others(store, first, data_dir):
    second = start_follow_up(store, first.couple_id)
    SessionModel(store, second.id).set(("origins", "b", "past_hurts", 0, "notes"),
                                       "zebra-lighthouse-confidence")
    store.delete_session(second.id)
    blobs = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith(DB_NAME))
    assert b"zebra-lighthouse-confidence" not in blobs
    assert [s.number for s in store.sessions(first.couple_id)] == [1]
    assert store.load_session(first.session_id).spectrum("a") == {"asking_for_help": 3}


def test_progress_frames_hand_checked(store, first):
    second = SessionModel(store, start_follow_up(store, first.couple_id).id)
    second.set(spectrum("a", "asking_for_help"), 1)
    second.set(spectrum("b", "asking_for_help"), -1)
    frame, summary = second.progress()
    ask = frame[frame["item_id"] == "asking_for_help"].set_index(["session", "partner"])
    assert ask.loc[(1, "a"), "position"] == 3 and ask.loc[(2, "a"), "position"] == 1
    assert ask.loc[(1, "b"), "position"] == -2 and ask.loc[(2, "b"), "position"] == -1
    assert pd.isna(frame[(frame["item_id"] == "decisions")]["position"]).all()
    assert summary["mean_gap"].tolist() == [5.0, 2.0]
    assert summary["lean_a"].tolist() == [3.0, 1.0]
    since = second.since_last_time()
    row = since.changes.set_index("item_id").loc["asking_for_help"]
    assert (row["gap_before"], row["gap_after"], row["gap_change"]) == (5, 2, -3)
    assert since.risks["ask"].tolist() == ["Ask Bo to proofread my letter"]
    assert first.since_last_time() is None
    history = second.plan_history("small_risks")
    assert history["entry"].tolist() == ["1.1", "1.1"] and history["session"].tolist() == [1, 2]


def test_progress_view_is_hidden_then_follows_each_answer_in_place(store, first):
    model = SessionModel(store, start_follow_up(store, first.couple_id).id)
    view = ProgressView(model)
    assert not view.revealed and bytes(view.image.value) == b""
    view.reveal_button.click()
    before = bytes(view.image.value)
    figure = view.plot.figure
    assert before[:4] == b"\x89PNG" and "2 sessions so far" in view.summary.value
    assert "Ask Bo to proofread my letter" in view.risks.value
    assert "tried: Fine, quicker than alone" in view.risks.value
    model.set(spectrum("a", "asking_for_help"), -3)
    assert bytes(view.image.value) != before and view.plot.figure is figure
    line = view.plot._lines[("asking_for_help", "a")]
    assert list(line.get_xdata()) == [1, 2] and list(line.get_ydata()) == [3.0, -3.0]
    view.hide_button.click()
    assert bytes(view.image.value) == b""


def test_faint_markers_of_last_time_are_off_until_switched_on(store, first):
    model = SessionModel(store, start_follow_up(store, first.couple_id).id)
    app = SessionApp(store=store)
    app.start(first.couple_id)
    profile = app.views["profiles"]
    profile.reveal_button.click()
    assert profile.show_previous.value is False
    assert profile.plot._previous["a"].get_offsets().tolist() == []
    profile.show_previous.value = True
    assert profile.plot._previous["a"].get_offsets().tolist() == [[3.0, 0.0]]
    assert profile.plot._previous["b"].get_offsets().tolist() == [[-2.0, 0.0]]
    del model


def test_app_lists_sessions_edits_details_and_deletes_one(store, first):
    app = SessionApp(store=store)
    app.start(first.couple_id, new_session=True)
    assert app.model.info.number == 2 and "Session 2" in app.header.value
    app.go_to("plan")
    rows = app.views["plan"].tables["small_risks"].boxes
    assert "From session 1" in rows[1].children[0].value
    app.go(0)
    panel = app.views["sessions"]
    listed = [row.children[0].value for row in panel.list_box.children]
    assert "Session 1</b>, 2026-10-05" in listed[0] and "Ana 1/13" in listed[0]
    assert "(open now)" in listed[1]
    panel.facilitator.value = "Dr Lee"
    import datetime as dt

    panel.date.value = dt.date(2026, 11, 9)
    assert store.session(first.couple_id, 2).facilitator == "Dr Lee"
    assert store.session(first.couple_id, 2).date == "2026-11-09"
    assert "2026-11-09" in app.header.value
    panel.notes.value = "Prefers evening sessions"
    assert store.couple(first.couple_id).notes == "Prefers evening sessions"
    # open session 1 from the list
    panel.list_box.children[0].children[1].click()
    assert app.model.info.number == 1
    # delete the open session: asked first, then the latest remaining opens
    panel = app.views["sessions"]
    panel.list_box.children[0].children[2].click()
    confirm = panel.list_box.children[-1]
    assert "cannot be undone" in confirm.children[0].value
    assert [s.number for s in store.sessions(first.couple_id)] == [1, 2]
    confirm.children[1].children[0].click()
    assert [s.number for s in store.sessions(first.couple_id)] == [2]
    assert app.model.info.number == 2 and app.step == "couple"


def test_report_has_since_last_time_only_after_the_first(tmp_path, data_dir, content):
    with Store(data_dir, content=content) as store:
        seed_demos(store)
        s1, s2 = store.sessions("demo-kim-kevin")
        first_pdf, second_pdf = tmp_path / "1.pdf", tmp_path / "2.pdf"
        first_pdf.write_bytes(report_of(store, s1.id))
        second_pdf.write_bytes(report_of(store, s2.id, since=SessionModel(
            store, s2.id).since_last_time()))
    assert "Since last time" not in pdftotext(first_pdf)
    text = " ".join(pdftotext(second_pdf).split())
    assert "Since last time (session 1, 2 November 2026)" in text
    assert "Kim, Asking for help: +2 to +1" in text
    assert "Gaps that narrowed" in text and "Time apart and time together: 4 then, 3 now" in text
    assert "He came and found the scarf in ten minutes" in text


def test_cli_sessions_progress_and_session_commands(capsys, data_dir):
    d = ["--data-dir", str(data_dir)]
    assert main([*d, "demo"]) == 0
    capsys.readouterr()
    assert main([*d, "sessions", "demo-kim-kevin"]) == 0
    out = capsys.readouterr().out
    assert "session 1  2026-11-02, with Demo facilitator: spectrum 13/13 and 13/13" in out
    assert main([*d, "progress", "demo-kim-kevin"]) == 0
    out = capsys.readouterr().out
    assert "Asking for help" in out and "session 1 session 2" in " ".join(out.split())
    # Kim: 21/13 = +1.62; Kevin 12/13 = +0.92; gaps 11/13 = 0.85
    assert "session 2 (2026-11-30): lean Kim +1.62 Kevin +0.92; mean gap 0.85" in out
    assert main([*d, "session", "new", "demo-kim-kevin", "--date", "2026-12-14"]) == 0
    assert "started session 3 for demo-kim-kevin on 2026-12-14; 18 plan rows carried" in \
        capsys.readouterr().out
    assert main([*d, "session", "edit", "demo-kim-kevin", "--date", "2026-12-15",
                 "--facilitator", "Sam"]) == 0
    assert "session 3 of demo-kim-kevin: 2026-12-15, facilitator Sam" in capsys.readouterr().out
    assert main([*d, "session", "edit", "demo-kim-kevin", "--date", "15.12.2026"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main([*d, "session", "delete", "demo-kim-kevin", "--session", "3", "--yes"]) == 0
    assert main([*d, "session", "delete", "demo-kim-kevin", "--yes"]) == 1
    assert "--session N" in capsys.readouterr().err
    assert main([*d, "sessions", "demo-kim-kevin"]) == 0
    assert "session 3" not in capsys.readouterr().out


def test_progress_chart_draws_into_a_given_axes(store, first):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from toolkit.plots import profile_figure, progress_figure

    figure = Figure(figsize=(12, 8))
    ax = figure.add_subplot(1, 1, 1)
    frame, summary = first.progress()
    assert progress_figure(first.content.spectrum, frame, summary, first.names(),
                           ax=ax) is figure
    assert len(ax.child_axes) == 16  # the panels sit inside the given Axes
    other = Figure()
    assert profile_figure(first.content.spectrum, first.scores, first.names(),
                          ax=other.add_subplot()) is other
