"""Pinned details of the scoring a therapist reads: the columns and dtypes each table
and plot relies on, the order of tied items, readings exactly at a threshold, a
partner who has not answered, and what a follow-up shows "since last time".

Every expected value is worked out by hand in the comments next to it."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import WORKSHEETS
from toolkit import scoring
from toolkit.content import SpectrumItem, content_for, load_content
from toolkit.responses import AnswerKey, Couple, SessionData, SessionInfo

SPECTRUM = load_content(WORKSHEETS).spectrum
IDS = SPECTRUM.ids
N = len(IDS)

GAP_COLUMNS = ["item_id", "title", "position_a", "position_b", "gap", "opposite_poles",
               "shared", "prompt", "shared_prompt", "practice_a", "practice_b"]
SUMMARY_COLUMNS = ["partner", "name", "answered", "total", "missing", "lean", "imbalance",
                   "at_left", "at_right", "reading", "reading_text"]
PROGRESS_COLUMNS = ["session", "date", "partner", "name", "item_id", "title", "position"]
PROGRESS_SUMMARY_COLUMNS = ["session", "date", "lean_a", "lean_b", "reading_a", "reading_b",
                            "answered_a", "answered_b", "mean_gap", "opposite_pole_count"]
CHANGES_COLUMNS = ["item_id", "title", "a_before", "a_after", "b_before", "b_after",
                   "gap_before", "gap_after", "gap_change"]

COUPLE = Couple("c1", "Ana", "Bo")


def couple(a: dict, b: dict, spectrum=SPECTRUM) -> pd.DataFrame:
    return scoring.gaps(spectrum, scoring.profile(spectrum, {"a": a, "b": b}))


def session(number: int, date: str, a: dict | None = None, b: dict | None = None, *,
            risks: dict[int, dict] | None = None,
            origins: dict[int, tuple[int, int]] | None = None) -> SessionData:
    """A stored session as the store hands it over: spectrum answers per partner, and
    small-risk rows (row -> fields) with, for carried rows, where they were first written."""
    answers: dict[AnswerKey, object] = {}
    for partner, values in (("a", a or {}), ("b", b or {})):
        for item_id, value in values.items():
            answers[AnswerKey("spectrum", partner, item_id, 0, "position")] = value
    for row, fields in (risks or {}).items():
        for field_id, value in fields.items():
            answers[AnswerKey("boundaries", "couple", "small_risks", row, field_id)] = value
    return SessionData(
        info=SessionInfo(id=number, couple_id=COUPLE.id, number=number, date=date),
        couple=COUPLE,
        answers=answers,
        plan_rows={"small_risks": tuple(risks or ())},
        row_origins={("small_risks", row): origin for row, origin in (origins or {}).items()},
    )


# --- one answer, one reading ---------------------------------------------------------------


def test_a_missing_value_from_a_table_is_unanswered_not_a_zone():
    """Positions come out of an Int64 column as pd.NA; that is "not answered", and the
    step offered is the middle one (the neutral default), never an error."""
    assert scoring.zone_for(pd.NA) is None
    assert scoring.zone_for(float("nan")) is None
    item = SPECTRUM.item("decisions")
    assert scoring.practice_for(item, pd.NA) == item.practice["middle"]


@pytest.mark.parametrize(("values", "expected", "why"), [
    ([-3, -3, -3, 2, 2], "mixed",
     "three at the left pole and two at the right: mixed, although the lean is -5/5 = -1.0"),
    ([3, 3, 3, -2, -2], "mixed", "its mirror: lean +5/5 = +1.0, still mixed"),
    ([-3, -2, 2], "left",
     "two left, one right, lean -3/3 = -1.0 exactly: a clear lean, so not mixed"),
    ([3, 2, -2], "right", "its mirror: lean +3/3 = +1.0 with one answer at the left pole"),
])
def test_readings_exactly_at_the_lean_threshold(values, expected, why):
    assert scoring.reading_for(values) == expected, why


def _item(practice: dict[str, str]) -> SpectrumItem:
    return SpectrumItem(id="x", title="X", left="l", middle="m", right="r", prompt="p",
                        practice=practice, sources=("s",))


def test_a_step_worded_only_for_the_middle_is_offered_at_every_pole():
    item = _item({"middle": "Name one thing you would like help with"})
    for position in (-3, 0, 3, None):
        assert scoring.practice_for(item, position) == "Name one thing you would like help with"


def test_an_item_without_any_step_offers_empty_text_never_none():
    """A label that shows the step must not read "None" or stray text."""
    assert scoring.practice_for(_item({}), 3) == ""
    assert scoring.practice_for(_item({}), None) == ""


# --- profile and summary --------------------------------------------------------------------


def test_profile_without_names_labels_each_partner_by_their_key():
    prof = scoring.profile(SPECTRUM, {"a": {"decisions": 1}, "b": {}})
    assert list(prof.columns) == ["partner", "name", "item_id", "title", "position", "zone"]
    assert set(prof.loc[prof.partner == "a", "name"]) == {"a"}
    assert set(prof.loc[prof.partner == "b", "name"]) == {"b"}


@pytest.mark.parametrize("answers", [
    {"a": {}, "b": {}},  # nobody has answered yet: every position is <NA>
    {"a": dict.fromkeys(IDS, 1)},  # everything answered: still Int64, never float
])
def test_profile_positions_are_whole_numbers_or_na(answers):
    prof = scoring.profile(SPECTRUM, answers)
    assert prof["position"].dtype == "Int64"
    assert len(prof) == N * len(answers)


def test_summary_of_nobody_still_has_its_columns():
    s = scoring.summary(scoring.profile(SPECTRUM, {}))
    assert s.empty
    assert list(s.columns) == SUMMARY_COLUMNS


# --- gaps, largest gaps, opposite poles, shared items ---------------------------------------


def test_gaps_before_the_second_partner_answers_keep_their_dtypes():
    g = couple({"decisions": 2, "compromise": -3}, {})
    assert list(g.columns) == GAP_COLUMNS
    for col in ("position_a", "position_b", "gap"):
        assert g[col].dtype == "Int64", col
    assert g["opposite_poles"].dtype == bool
    assert g["position_b"].isna().all() and g["gap"].isna().all()
    assert g.set_index("item_id").loc["decisions", "position_a"] == 2
    assert list(g["shared"]) == [None] * N
    assert list(g["shared_prompt"]) == [None] * N


def test_the_shared_question_shows_only_where_both_share_a_pole():
    g = couple({"decisions": 3, "compromise": 3}, {"decisions": 2, "compromise": 1}
               ).set_index("item_id")
    assert g.loc["decisions", "shared_prompt"] == SPECTRUM.item("decisions").shared_prompt["right"]
    assert g.loc["compromise", "shared"] is None  # +1 is near the middle
    assert g.loc["compromise", "shared_prompt"] is None  # not the item's prompt


def test_an_old_worksheet_without_shared_questions_falls_back_to_the_prompt(content):
    old = content_for({"spectrum": 1, "origins": 1, "boundaries": 1}, content.folder).spectrum
    item = old.items[0]
    assert not item.shared_prompt  # the first version had none
    g = couple({item.id: -3}, {item.id: -2}, old).set_index("item_id")
    assert g.loc[item.id, "shared"] == "left"
    assert g.loc[item.id, "shared_prompt"] == item.prompt


# The spectrum has 11 to 13 items; these patterns use the first 11 (the rest unanswered).
# Gap per item (partner b answers 0, so the gap is |a|):
# item:  0  1  2  3  4  5  6  7  8  9 10
# gap:   2  1  3  1  3  3  2  1  3  1  2
TIED_GAPS = [2, 1, 3, 1, 3, 3, 2, 1, 3, 1, 2]
ELEVEN = IDS[:11]


def test_largest_gaps_with_ties_keep_worksheet_order_within_each_size():
    g = couple(dict(zip(ELEVEN, TIED_GAPS, strict=True)), dict.fromkeys(ELEVEN, 0))
    top = scoring.largest_gaps(g, N)
    # 3s at items 2, 4, 5, 8; then 2s at 0, 6, 10; then 1s at 1, 3, 7, 9
    order = [2, 4, 5, 8, 0, 6, 10, 1, 3, 7, 9]
    assert list(top["item_id"]) == [IDS[i] for i in order]
    assert list(top["gap"]) == [3] * 4 + [2] * 3 + [1] * 4  # a gap of 1 is still a gap
    assert list(top.columns) == GAP_COLUMNS
    assert list(top.index) == list(range(11))


def test_a_gap_of_one_is_listed_and_agreement_is_not():
    g = couple({"decisions": 1, "compromise": 2}, {"decisions": 0, "compromise": 2})
    top = scoring.largest_gaps(g)
    assert list(top["item_id"]) == ["decisions"]
    assert list(top["gap"]) == [1]


def test_opposite_poles_list_and_couple_pattern_from_two_items():
    one = couple({IDS[0]: 3}, {IDS[0]: -2})
    assert not scoring.couple_summary(one).iloc[0]["opposite_pattern"]  # 1 item < 2
    # items 1 and 4 at opposite poles (+3/-3 and -2/+2); item 2 is no pole (+3/-1)
    g = couple({IDS[1]: 3, IDS[2]: 3, IDS[4]: -2}, {IDS[1]: -3, IDS[2]: -1, IDS[4]: 2})
    c = scoring.couple_summary(g).iloc[0]
    assert c["opposite_pole_count"] == 2
    assert c["opposite_pattern"]  # exactly the two items the text needs
    opposite = scoring.opposite_pole_items(g)
    assert list(opposite["item_id"]) == [IDS[1], IDS[4]]
    assert list(opposite.columns) == GAP_COLUMNS
    assert list(opposite.index) == [0, 1]


# strength = |a| + |b| per item, both at the same pole (signs alternate the pole):
# item:      0  1  2  3  4  5  6  7  8  9 10
# strength:  4  6  5  4  6  5  4  6  5  4  6
SHARED_A = [2, 3, 3, -2, -3, -2, 2, 3, 3, -2, -3]
SHARED_B = [2, 3, 2, -2, -3, -3, 2, 3, 2, -2, -3]


def test_strongest_shared_items_with_ties_keep_worksheet_order():
    g = couple(dict(zip(ELEVEN, SHARED_A, strict=True)),
               dict(zip(ELEVEN, SHARED_B, strict=True)))
    everything = scoring.shared_items(g, None)
    order = [1, 4, 7, 10, 2, 5, 8, 0, 3, 6, 9]  # the 6s, the 5s, the 4s
    assert list(everything["item_id"]) == [IDS[i] for i in order]
    assert list(everything.columns) == GAP_COLUMNS  # no helper or old-index column
    assert list(everything.index) == list(range(11))
    shown = scoring.shared_items(g)  # by default the three strongest
    assert list(shown["item_id"]) == [IDS[1], IDS[4], IDS[7]]


def test_a_tie_between_poles_names_the_right_pole():
    # two items shared at the left pole, two at the right: the tie goes to "right"
    g = couple({IDS[0]: -3, IDS[1]: -2, IDS[2]: 2, IDS[3]: 3},
               {IDS[0]: -2, IDS[1]: -3, IDS[2]: 3, IDS[3]: 2})
    assert scoring.shared_pattern(g) == "right"
    c = scoring.couple_summary(g).iloc[0]
    assert (c["shared_left_count"], c["shared_right_count"]) == (2, 2)


# --- a stored session ---------------------------------------------------------------------

# a:  +3  -2  +2  +1  +3  +3  -3  -2    (items 0..7)
# b:  -2  +2  +2  -1  +3  +2  -3  -3
# gap: 5   4   0   2   0   1   0   1    -> opposite at items 0 and 1;
# shared: right at 2 (4), 4 (6), 5 (5); left at 6 (6), 7 (5)
SESSION_A = [3, -2, 2, 1, 3, 3, -3, -2]
SESSION_B = [-2, 2, 2, -1, 3, 2, -3, -3]


def stored(number: int = 1, date: str = "2026-10-05") -> SessionData:
    return session(number, date, dict(zip(IDS, SESSION_A, strict=False)),
                   dict(zip(IDS, SESSION_B, strict=False)))


def test_score_session_names_reads_and_lists_three_by_default():
    scores = scoring.score_session(SPECTRUM, stored())
    assert set(scores.profile.loc[scores.profile.partner == "a", "name"]) == {"Ana"}
    assert list(scores.summary["name"]) == ["Ana", "Bo"]
    # a: 3-2+2+1+3+3-3-2 = 5 over 8; three answers at the left pole, four at the right
    assert scores.summary.iloc[0]["reading"] == "mixed"
    assert scores.summary.iloc[0]["reading_text"] == SPECTRUM.readings["mixed"]
    # gaps above 0: 5, 4, 2, 1, 1 -> the three largest
    assert list(scores.largest_gaps["item_id"]) == [IDS[0], IDS[1], IDS[3]]
    assert list(scores.opposite_poles["item_id"]) == [IDS[0], IDS[1]]
    # shared strengths: 6 (item 4), 6 (item 6), 5 (item 5), 5 (item 7), 4 (item 2)
    assert list(scores.shared["item_id"]) == [IDS[4], IDS[6], IDS[5]]
    assert scores.couple.iloc[0]["opposite_pattern"]


def test_score_session_lists_as_many_as_asked():
    scores = scoring.score_session(SPECTRUM, stored(), n=2)
    assert list(scores.largest_gaps["item_id"]) == [IDS[0], IDS[1]]
    assert list(scores.shared["item_id"]) == [IDS[4], IDS[6]]


# --- over several sessions ----------------------------------------------------------------


def test_progress_has_dates_names_and_whole_number_positions():
    first = stored(1, "2026-10-05")
    second = session(2, "2026-11-02", {IDS[0]: 1})
    frame = scoring.progress(SPECTRUM, [first, second])
    assert list(frame.columns) == PROGRESS_COLUMNS
    assert frame["position"].dtype == "Int64"
    assert len(frame) == 2 * 2 * N
    assert list(frame.drop_duplicates("session")["date"]) == ["2026-10-05", "2026-11-02"]
    assert set(frame.loc[frame.partner == "b", "name"]) == {"Bo"}
    row = frame[(frame.session == 2) & (frame.partner == "a") & (frame.item_id == IDS[0])]
    assert row["position"].iloc[0] == 1


def test_progress_of_a_session_nobody_has_answered_yet():
    frame = scoring.progress(SPECTRUM, [session(1, "2026-10-05")])
    assert frame["position"].dtype == "Int64"
    assert frame["position"].isna().all()  # never 0


def test_progress_summary_has_one_row_per_session_with_each_partner():
    first = stored(1, "2026-10-05")
    second = session(2, "2026-11-02", {IDS[0]: 3, IDS[1]: 2}, {IDS[0]: 3})
    frame = scoring.progress_summary(SPECTRUM, [first, second])
    assert list(frame.columns) == PROGRESS_SUMMARY_COLUMNS
    one, two = frame.iloc[0], frame.iloc[1]
    assert (one["session"], one["date"]) == (1, "2026-10-05")
    assert (one["reading_a"], one["reading_b"]) == ("mixed", "mixed")
    assert (one["answered_a"], one["answered_b"]) == (8, 8)
    assert one["lean_a"] == pytest.approx(5 / 8)  # 3-2+2+1+3+3-3-2 = 5
    assert one["lean_b"] == 0.0  # -2+2+2-1+3+2-3-3 = 0
    assert one["mean_gap"] == pytest.approx(13 / 8)  # 5+4+0+2+0+1+0+1
    assert one["opposite_pole_count"] == 2
    # session 2: a +3 +2 (lean 2.5, right), b +3 only (lean 3, right); one gap of 0
    assert (two["reading_a"], two["reading_b"]) == ("right", "right")
    assert (two["answered_a"], two["answered_b"]) == (2, 1)
    assert two["mean_gap"] == 0.0 and two["opposite_pole_count"] == 0


def test_progress_summary_of_no_sessions_is_an_empty_table_with_its_columns():
    frame = scoring.progress_summary(SPECTRUM, [])
    assert frame.empty
    assert list(frame.columns) == PROGRESS_SUMMARY_COLUMNS


def test_changes_when_a_partner_had_not_answered_last_time():
    before = session(1, "2026-10-05", {IDS[0]: 3, IDS[1]: -1})  # b answered nothing
    after = session(2, "2026-11-02", {IDS[0]: 2}, {IDS[0]: -1, IDS[1]: 0})
    frame = scoring.changes(SPECTRUM, before, after)
    assert list(frame.columns) == CHANGES_COLUMNS
    for col in CHANGES_COLUMNS[2:]:
        assert frame[col].dtype == "Int64", col
    first = frame.set_index("item_id").loc[IDS[0]]
    assert (first["a_before"], first["a_after"], first["b_after"]) == (3, 2, -1)
    assert pd.isna(first["b_before"]) and pd.isna(first["gap_before"])
    assert first["gap_after"] == 3  # |2 - (-1)|
    assert pd.isna(first["gap_change"])  # no gap then: no change to show
    second = frame.set_index("item_id").loc[IDS[1]]
    assert pd.isna(second["a_after"]) and pd.isna(second["gap_after"])  # a left it empty now


def test_changes_of_the_gap_between_two_full_sessions():
    before = session(1, "2026-10-05", {IDS[0]: 3}, {IDS[0]: -2})
    after = session(2, "2026-11-02", {IDS[0]: 1}, {IDS[0]: -1})
    row = scoring.changes(SPECTRUM, before, after).set_index("item_id").loc[IDS[0]]
    assert (row["gap_before"], row["gap_after"], row["gap_change"]) == (5, 2, -3)


def _risk(who: str, ask: str) -> dict:
    return {"who": who, "ask": ask}


def test_plan_history_follows_a_carried_row_to_where_it_was_first_written():
    first = session(1, "2026-10-05", risks={1: _risk("a", "Ask for a lift"),
                                            2: _risk("b", "Say no once")})
    # session 2: its row 1 is session 1's row 2, carried; its row 2 is new
    second = session(2, "2026-11-02", risks={1: _risk("b", "Say no once"),
                                             2: _risk("a", "Call my sister")},
                     origins={1: (1, 2)})
    history = scoring.plan_history([first, second])  # the small risks by default
    assert list(history.columns) == ["entry", "session", "row", "who", "ask"]
    assert list(history["entry"]) == ["1.1", "1.2", "1.2", "2.2"]
    assert list(history["session"]) == [1, 1, 2, 2]
    assert list(history["row"]) == [1, 2, 1, 2]
    assert list(history["ask"]) == ["Ask for a lift", "Say no once", "Say no once",
                                    "Call my sister"]


def test_since_last_time_compares_the_previous_session_with_this_one():
    previous = session(1, "2026-10-05", {IDS[0]: 3}, {IDS[0]: -2},
                       risks={1: _risk("a", "Ask for a lift"), 2: _risk("b", "Say no once")})
    current = session(3, "2026-11-30", {IDS[0]: 1}, {IDS[0]: -1},
                      risks={1: _risk("b", "Say no once"), 2: _risk("a", "Call my sister")},
                      origins={1: (1, 2)})
    since = scoring.since_last_time(SPECTRUM, previous, current)
    assert (since.previous_number, since.previous_date) == (1, "2026-10-05")
    assert list(since.before.columns) == PROGRESS_SUMMARY_COLUMNS
    assert list(since.after.columns) == PROGRESS_SUMMARY_COLUMNS
    assert list(since.before["session"]) == [1] and list(since.after["session"]) == [3]
    assert list(since.before["mean_gap"]) == [5.0] and list(since.after["mean_gap"]) == [2.0]
    # only the carried risk is "from earlier sessions"; the new one is not
    assert list(since.risks.columns) == ["entry", "session", "row", "who", "ask"]
    assert list(since.risks["entry"]) == ["1.2"]
    assert list(since.risks["ask"]) == ["Say no once"]
    assert list(since.risks.index) == [0]
    assert since.changes.set_index("item_id").loc[IDS[0], "gap_change"] == -3  # 5 -> 2


def test_since_last_time_without_any_small_risks():
    previous = session(1, "2026-10-05", {IDS[0]: 3})
    current = session(2, "2026-11-02", {IDS[0]: 2})
    since = scoring.since_last_time(SPECTRUM, previous, current)
    assert since.risks.empty
    assert (since.before.iloc[0]["lean_a"], since.after.iloc[0]["lean_a"]) == (3.0, 2.0)
