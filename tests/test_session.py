"""The session model under every view: one copy of the answers, scored once,
and every view following every change, whoever made it."""

from __future__ import annotations

import sqlite3

import pytest

from toolkit import scoring
from toolkit.responses import AnswerError, AnswerKey
from toolkit.session import Change, SessionModel
from toolkit.store import SQLiteStore, StoreError
from toolkit.ui.origins import OriginsSummary, OriginsView
from toolkit.ui.plan import PlanView
from toolkit.ui.profile import ProfileView
from toolkit.ui.spectrum import SpectrumView


def key(partner: str, item: str) -> AnswerKey:
    return AnswerKey("spectrum", partner, item, 0, "position")


@pytest.fixture
def model(store, session):
    return SessionModel(store, session.id)


def test_set_writes_through_and_returns_the_stored_value(model, store, session):
    seen: list[Change] = []
    model.subscribe(seen.append)
    assert model.set(key("a", "decisions"), 2) == 2
    assert store.load_session(session.id).spectrum("a") == {"decisions": 2}
    assert model.data.spectrum("a") == {"decisions": 2}
    assert seen == [Change("answer", key("a", "decisions"), 2)]
    note = AnswerKey("origins", "a", "past_hurts", 0, "notes")
    assert model.set(note, None) == ""  # a cleared note is stored as empty text
    assert seen[-1].value == ""


def test_refused_values_change_nothing_and_tell_nobody(model, store, session):
    seen: list[Change] = []
    model.subscribe(seen.append)
    before = model.data
    with pytest.raises(AnswerError, match="out of range"):
        model.set(key("a", "decisions"), 9)
    assert model.save(key("a", "decisions"), 9).endswith("9 is out of range -3..3")
    assert model.data is before and seen == []
    assert store.load_session(session.id).spectrum("a") == {}


def test_scores_are_cached_until_the_spectrum_changes(model, monkeypatch):
    calls = []
    real = scoring.score_session
    monkeypatch.setattr(scoring, "score_session",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    first = model.scores
    assert model.scores is first and len(calls) == 1
    model.set(AnswerKey("origins", "a", "past_hurts", 0, "resonance"), 2)
    assert model.scores is first and len(calls) == 1  # origins do not touch the scores
    model.set(key("a", "decisions"), 3)
    again = model.scores
    assert again is not first and len(calls) == 2
    assert again.summary.set_index("partner").loc["a", "lean"] == 3


def test_unsubscribe_stops_the_calls(model):
    seen: list[Change] = []
    stop = model.subscribe(seen.append)
    model.set(key("a", "decisions"), 1)
    stop()
    model.set(key("a", "decisions"), 2)
    assert len(seen) == 1


def test_two_spectrum_views_follow_every_change(model):
    """The defect this model fixes: a slider moved in one view left the other stale."""
    first, second = SpectrumView(model, "a"), SpectrumView(model, "a")
    first.items[2].slider.value = -2  # a partner moves a slider in one view
    assert second.items[2].slider.value == -2
    assert second.items[2].value == -2
    assert "leans toward over-reliance" in second.items[2].answer.value
    assert "1 of 13 answered" in second.progress.value
    second.items[2].clear_button.click()  # and clears it in the other
    assert first.items[2].value is None
    assert "tk-unanswered" in first.items[2].slider._dom_classes
    model.set(key("a", "asking_for_help"), 3)  # the model's API, no widget involved
    for view in (first, second):
        assert view.items[0].slider.value == 3 and view.items[0].value == 3
        assert "1 of 13 answered" in view.progress.value


def test_two_origins_and_plan_views_follow_every_change(model):
    first, second = OriginsView(model, "b"), OriginsView(model, "b")
    summary = OriginsSummary(model)
    first.sections[0].resonance.value = 3
    first.sections[0].notes.value = "<b>kept literally</b>"
    assert second.sections[0].resonance.value == 3
    assert second.sections[0].notes.value == "<b>kept literally</b>"
    assert "Very much" in summary.widget.value

    plan_one, plan_two = PlanView(model), PlanView(model)
    row = plan_one.tables["rituals"].add_row()
    assert row in plan_two.tables["rituals"].cells
    ritual = plan_two.tables["rituals"].cells[row][0].widget
    plan_one.tables["rituals"].cells[row][0].widget.value = "Walk on Sundays"
    assert ritual.value == "Walk on Sundays"
    model.set(("boundaries", "couple", "rituals", row, "ritual"), "Walk after dinner")
    assert plan_one.tables["rituals"].cells[row][0].widget.value == "Walk after dinner"
    model.remove_plan_row("rituals", row)
    table = plan_two.tables["rituals"]
    assert table.cells == {} and table.rows_box.children == ()
    model.set(("boundaries", "couple", "review", 0, "date"), "2027-02-01")
    assert str(plan_two.dates["review"].value) == "2027-02-01"


def test_profile_updates_from_the_model_without_rescoring_in_the_view(model, monkeypatch):
    import toolkit.ui.profile as profile_module

    assert not any(hasattr(profile_module, name) for name in
                   ("score_session", "profile", "summary", "gaps", "largest_gaps"))
    view = ProfileView(model)
    view.reveal_button.click()
    blank = bytes(view.image.value)
    calls = []
    real = scoring.score_session
    monkeypatch.setattr(scoring, "score_session",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    spectrum = SpectrumView(model, "a")
    spectrum.items[0].slider.value = 3
    assert len(calls) == 1  # scored once, by the model, for every view at once
    assert bytes(view.image.value) != blank
    assert view.plot._own["a"].get_offsets().tolist() == [[3.0, 0.0]]
    assert "leans toward hyper-independence: tends to carry things alone" in view.readings.value
    model.update_couple(partner_a="Renamed")
    assert "Renamed" in view.readings.value


def test_model_edits_session_details(model, store, session):
    seen: list[Change] = []
    model.subscribe(seen.append)
    info = model.update_info(date="2026-10-30", facilitator="Dr Ana")
    assert (info.date, info.facilitator) == ("2026-10-30", "Dr Ana")
    assert store.session(session.couple_id).date == "2026-10-30"
    assert seen[-1].kind == "info"
    with pytest.raises(AnswerError, match="YYYY-MM-DD"):
        model.update_info(date="30/10/2026")
    assert model.info.date == "2026-10-30"
    model.update_couple(notes="Prefers mornings")
    assert store.couple(session.couple_id).notes == "Prefers mornings"


def test_a_session_deleted_elsewhere_is_refused_with_a_sentence(model, store, session):
    store.delete_session(session.id)
    with pytest.raises(StoreError, match="no longer in the store"):
        model.set(key("a", "decisions"), 1)
    assert model.save(key("a", "decisions"), 1).startswith("this session is no longer")


# --- the store's interface and its SQLite implementation -------------------------------


def test_sqlite_store_in_memory_and_on_an_open_connection(content):
    with SQLiteStore(":memory:", content=content) as memory:
        couple = memory.create_couple("Ana", "Bo")
        s = memory.new_session(couple.id, date="2026-11-01")
        SessionModel(memory, s.id).set(key("b", "decisions"), -1)
        assert memory.load_session(s.id).spectrum("b") == {"decisions": -1}
    conn = sqlite3.connect(":memory:")
    store = SQLiteStore(conn, content=content)
    store.create_couple("Cy", "Di")
    store.close()  # the caller's connection stays open
    assert conn.execute("SELECT partner_a FROM couples").fetchone() == ("Cy",)
    conn.close()


def test_session_counts_for_every_couple_in_one_call(store):
    a = store.create_couple("Ana", "Bo")
    store.new_session(a.id, date="2026-10-01")
    store.new_session(a.id, date="2026-11-01")
    b = store.create_couple("Cy", "Di")
    assert store.session_counts() == {a.id: (2, "2026-11-01"), b.id: (0, "")}
