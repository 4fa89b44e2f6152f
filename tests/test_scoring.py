"""The readings a couple is shown, pinned at every threshold with values worked out
by hand. Zones: -2 and below / -1..+1 / +2 and above."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import WORKSHEETS
from toolkit import scoring
from toolkit.content import load_content

SPECTRUM = load_content(WORKSHEETS).spectrum
IDS = SPECTRUM.ids
N = len(IDS)

A = {"asking_for_help": 3, "sharing_feelings": -3, "decisions": 2, "time_apart_together": -2}
B = {"asking_for_help": -1, "sharing_feelings": -3, "decisions": 0}


@pytest.fixture
def prof():
    return scoring.profile(SPECTRUM, {"a": A, "b": B}, {"a": "Noa", "b": "Sami"})


def couple(a: dict, b: dict) -> pd.DataFrame:
    return scoring.gaps(SPECTRUM, scoring.profile(SPECTRUM, {"a": a, "b": b}))


def reading(values: list[int]) -> str:
    return scoring.reading_for(values)


def test_profile_has_every_item_and_marks_unanswered(prof):
    assert list(prof.columns) == ["partner", "name", "item_id", "title", "position", "zone"]
    assert len(prof) == 2 * N
    a = prof[prof.partner == "a"].set_index("item_id")
    assert a.loc["asking_for_help", "position"] == 3
    assert a.loc["asking_for_help", "zone"] == scoring.RIGHT
    assert a.loc["sharing_feelings", "zone"] == scoring.LEFT
    assert pd.isna(a.loc["couple_bubble", "position"])  # not silently 0
    assert pd.isna(a.loc["couple_bubble", "zone"])
    b = prof[prof.partner == "b"].set_index("item_id")
    assert b.loc["decisions", "zone"] == scoring.MIDDLE
    assert b.loc["asking_for_help", "name"] == "Sami"


@pytest.mark.parametrize(("position", "zone"), [
    (-3, "left"), (-2, "left"), (-1, "middle"), (0, "middle"), (1, "middle"), (2, "right"),
    (3, "right"), (None, None),
])
def test_zone_edges(position, zone):
    assert scoring.zone_for(position) == zone


def test_summary_hand_computed(prof):
    s = scoring.summary(prof, SPECTRUM).set_index("partner")
    # a: 3 - 3 + 2 - 2 = 0 over 4 answers; |.| = 10 / 4; two answers at each pole
    assert s.loc["a", "lean"] == 0
    assert s.loc["a", "imbalance"] == 2.5
    assert (s.loc["a", "at_left"], s.loc["a", "at_right"]) == (2, 2)
    assert s.loc["a", "reading"] == scoring.MIXED
    assert s.loc["a", "answered"] == 4 and s.loc["a", "total"] == N
    assert len(s.loc["a", "missing"]) == N - 4
    assert "couple_bubble" in s.loc["a", "missing"]
    # b: -1 - 3 + 0 = -4 over 3 = -1.33, one answer at the left pole
    assert s.loc["b", "lean"] == pytest.approx(-4 / 3)
    assert s.loc["b", "imbalance"] == pytest.approx(4 / 3)
    assert s.loc["b", "reading"] == scoring.LEFT
    assert s.loc["b", "reading_text"] == SPECTRUM.readings["left"]
    assert s.loc["b", "reading_text"].startswith("leans toward over-reliance")


# --- the reading rules at their edges ------------------------------------------------------


def rest(n: int, value: int = 0) -> list[int]:
    return [value] * n


@pytest.mark.parametrize(("values", "expected", "why"), [
    ([], "none", "nothing answered"),
    (rest(N), "balanced", "all at the middle"),
    (rest(N, 1), "balanced", "+1 is near the middle: no answer at a pole, whatever the mean"),
    (rest(N, -1), "balanced", "-1 likewise"),
    ([3, 3] + rest(N - 2), "pulls_right", "the issue's case: two at +3, rest 0 (lean 0.46)"),
    ([-2] + rest(N - 1), "pulls_left", "one answer at the left pole is enough for a pull"),
    ([2] + rest(N - 1, 1), "right", "lean (2 + 12) / 13 = 1.08 >= 1 with one at the pole"),
    ([2] + rest(6, 1) + rest(6, 0), "pulls_right", "lean 8/13 = 0.62 < 1: a pull"),
    ([-2, -2, -1, -1, 0], "left", "lean -6/5 = -1.2 with two at the left pole"),
    ([-2, -1, -1, 0, 1], "pulls_left", "lean -3/5 = -0.6 just under the lean threshold"),
    ([-2, -1, -1, -1, 0], "left", "lean exactly -1.0 counts as a lean"),
    ([3] * 8 + [-3] * 3, "mixed", "the issue's case: 8 at +3 and 3 at -3 (lean 1.36)"),
    ([3, 3, -2, -2] + rest(9), "mixed", "two at each pole, lean 0.15"),
    ([3, 3, 3, -2, -2] + rest(8, 1), "mixed", "two at each pole beats a lean of 13/13 = 1.0"),
    ([3, -3] + rest(N - 2), "mixed", "one at each pole with no clear lean"),
    ([3, 3, 3, -2] + rest(9, 1), "right", "one left answer against a lean of 16/13 = 1.23"),
    ([-3, -3, -3, 2] + rest(9, -1), "left", "and its mirror"),
])
def test_reading_rules_hand_computed(values, expected, why):
    assert reading(values) == expected, why


def test_readings_are_worded_by_the_worksheet():
    for reading_id in ("left", "right", "mixed", "pulls_left", "pulls_right", "balanced",
                       "none"):
        assert SPECTRUM.readings[reading_id], reading_id
        assert not SPECTRUM.readings[reading_id].endswith(".")  # the caller ends the sentence


# --- gaps, opposite poles and shared patterns ---------------------------------------------


def test_gaps_hand_computed(prof):
    g = scoring.gaps(SPECTRUM, prof).set_index("item_id")
    assert g.loc["asking_for_help", "gap"] == 4
    assert not g.loc["asking_for_help", "opposite_poles"]  # +3 against -1: -1 is no pole
    assert g.loc["sharing_feelings", "gap"] == 0
    assert g.loc["sharing_feelings", "shared"] == "left"  # both at -3
    assert g.loc["decisions", "gap"] == 2
    assert not g.loc["decisions", "opposite_poles"]
    assert pd.isna(g.loc["time_apart_together", "gap"])  # b has not answered
    assert g.loc["time_apart_together", "shared"] is None
    c = scoring.couple_summary(g.reset_index()).iloc[0]
    assert c["items_compared"] == 3
    assert c["mean_gap"] == 2.0  # (4 + 0 + 2) / 3
    assert c["largest_gap"] == 4
    assert c["opposite_pole_count"] == 0
    assert (c["shared_left_count"], c["shared_right_count"]) == (1, 0)
    assert c["shared_pattern"] is None  # one shared item is not yet a pattern


@pytest.mark.parametrize(("pa", "pb", "opposite", "shared"), [
    (2, -2, True, None),  # both just at their poles: the smallest opposite pair, gap 4
    (3, -3, True, None),
    (1, -3, False, None),  # gap 4, but +1 is near the middle
    (2, -1, False, None),  # gap 3: the old rule's threshold no longer makes a pole
    (0, 3, False, None),  # 0 is never a pole
    (0, -3, False, None),
    (2, 2, False, "right"),
    (3, 2, False, "right"),
    (-2, -3, False, "left"),
    (1, 3, False, None),  # +1 is near the middle: not a shared pole
    (-1, -1, False, None),
])
def test_opposite_and_shared_edges(pa, pb, opposite, shared):
    row = couple({"decisions": pa}, {"decisions": pb}).set_index("item_id").loc["decisions"]
    assert bool(row["opposite_poles"]) is opposite
    assert row["shared"] == shared
    assert row["gap"] == abs(pa - pb)


def test_shared_pattern_needs_two_items_at_the_same_pole():
    one = couple({"decisions": 3}, {"decisions": 2})
    assert scoring.shared_pattern(one) is None
    two = couple({"decisions": 3, "compromise": 2}, {"decisions": 2, "compromise": 3})
    assert scoring.shared_pattern(two) == "right"
    left = couple({i: -3 for i in IDS[:3]} | {IDS[3]: 3, IDS[4]: 3},
                  {i: -2 for i in IDS[:3]} | {IDS[3]: 2, IDS[4]: 2})
    assert scoring.shared_pattern(left) == "left"  # three left against two right
    assert scoring.couple_summary(left).iloc[0]["shared_left_count"] == 3


def test_both_at_plus_three_get_shared_prompts_not_zero_prompts():
    """Two people living side by side: no gap at all, yet plenty to talk about."""
    g = couple({i: 3 for i in IDS}, {i: 3 for i in IDS})
    assert scoring.largest_gaps(g).empty
    shared = scoring.shared_items(g, 3)
    assert list(shared["item_id"]) == list(IDS[:3])  # all equally strong: worksheet order
    assert list(shared["shared_prompt"]) == [SPECTRUM.item(i).shared_prompt["right"]
                                             for i in IDS[:3]]
    assert scoring.shared_pattern(g) == "right"
    assert scoring.couple_summary(g).iloc[0]["shared_right_count"] == N


def test_strongest_shared_items_come_first():
    a = {IDS[0]: 2, IDS[1]: 3, IDS[2]: -3}
    b = {IDS[0]: 2, IDS[1]: 3, IDS[2]: -2}
    shared = scoring.shared_items(couple(a, b), None)
    assert list(shared["item_id"]) == [IDS[1], IDS[2], IDS[0]]  # 6, 5, 4


def test_each_partner_gets_the_practice_for_where_they_stand():
    item = SPECTRUM.item("asking_for_help")
    row = couple({item.id: 3}, {item.id: -2}).set_index("item_id").loc[item.id]
    assert row["practice_a"] == item.practice["right"]
    assert row["practice_b"] == item.practice["left"]
    row = couple({item.id: 1}, {item.id: -1}).set_index("item_id").loc[item.id]
    assert row["practice_a"] == row["practice_b"] == item.practice["middle"]


def test_largest_gaps_skip_agreement_and_carry_prompts(prof):
    g = scoring.gaps(SPECTRUM, prof)
    top = scoring.largest_gaps(g, 3)
    assert list(top["item_id"]) == ["asking_for_help", "decisions"]
    assert top.loc[0, "prompt"] == SPECTRUM.item("asking_for_help").prompt


def test_ties_keep_worksheet_order():
    top = scoring.largest_gaps(couple({i: 2 for i in IDS}, {i: 0 for i in IDS}))
    assert list(top["item_id"]) == list(IDS[:3])


def test_nothing_answered_reads_as_not_answered():
    prof = scoring.profile(SPECTRUM, {"a": {}, "b": {}})
    s = scoring.summary(prof)
    assert list(s["reading"]) == [scoring.NOT_ANSWERED] * 2
    assert s["lean"].isna().all()
    c = scoring.couple_summary(scoring.gaps(SPECTRUM, prof)).iloc[0]
    assert c["items_compared"] == 0 and c["mean_gap"] is None


def test_out_of_range_and_unknown_items_are_refused():
    with pytest.raises(ValueError, match="asking_for_help.*4 is outside -3..3"):
        scoring.profile(SPECTRUM, {"a": {"asking_for_help": 4}})
    with pytest.raises(ValueError, match="unknown spectrum item 'flying'"):
        scoring.profile(SPECTRUM, {"a": {"flying": 1}})


# --- properties ---------------------------------------------------------------------------

answers = st.dictionaries(st.sampled_from(IDS), st.integers(-3, 3))


@settings(max_examples=150, deadline=None)
@given(answers)
def test_lean_and_imbalance_are_the_mean_and_mean_distance(a):
    s = scoring.summary(scoring.profile(SPECTRUM, {"a": a})).iloc[0]
    assert s["answered"] == len(a)
    if a:
        values = list(a.values())
        assert math.isclose(s["lean"], sum(values) / len(values))  # signed: a flip would fail
        assert math.isclose(s["imbalance"], sum(abs(v) for v in values) / len(values))
        assert s["at_left"] == sum(v <= -2 for v in values)
        assert s["at_right"] == sum(v >= 2 for v in values)
    else:
        assert s["reading"] == scoring.NOT_ANSWERED


@settings(max_examples=150, deadline=None)
@given(answers, answers)
def test_gaps_are_symmetric_and_bounded(a, b):
    ab = couple(a, b)
    ba = couple(b, a)
    pd.testing.assert_series_equal(ab["gap"], ba["gap"])
    assert list(ab["opposite_poles"]) == list(ba["opposite_poles"])
    assert list(ab["shared"]) == list(ba["shared"])
    compared = ab["gap"].dropna()
    assert ((compared >= 0) & (compared <= 6)).all()
    assert len(compared) == len(set(a) & set(b))
    mean = scoring.couple_summary(ab).iloc[0]["mean_gap"]
    if len(compared):
        assert math.isclose(mean, compared.astype(float).mean())
    for row in ab.itertuples():
        if row.opposite_poles:
            assert row.gap >= 4 and row.position_a * row.position_b < 0
        if row.shared:
            assert min(abs(row.position_a), abs(row.position_b)) >= 2


@settings(max_examples=100, deadline=None)
@given(answers)
def test_mirrored_answers_mirror_the_reading(a):
    mirror = {k: -v for k, v in a.items()}
    r1 = reading(list(a.values()))
    r2 = reading(list(mirror.values()))
    swap = {"left": "right", "right": "left", "pulls_left": "pulls_right",
            "pulls_right": "pulls_left"}
    assert r2 == swap.get(r1, r1)
