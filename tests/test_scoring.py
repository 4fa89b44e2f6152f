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

A = {"asking_for_help": 3, "sharing_feelings": -3, "decisions": 2, "time_apart_together": -2}
B = {"asking_for_help": -1, "sharing_feelings": -3, "decisions": 0}


@pytest.fixture
def prof():
    return scoring.profile(SPECTRUM, {"a": A, "b": B}, {"a": "Noa", "b": "Sami"})


def test_profile_has_every_item_and_marks_unanswered(prof):
    assert list(prof.columns) == ["partner", "name", "item_id", "title", "position", "zone"]
    assert len(prof) == 2 * len(IDS)
    a = prof[prof.partner == "a"].set_index("item_id")
    assert a.loc["asking_for_help", "position"] == 3
    assert a.loc["asking_for_help", "zone"] == scoring.RIGHT
    assert a.loc["sharing_feelings", "zone"] == scoring.LEFT
    assert pd.isna(a.loc["couple_bubble", "position"])  # not silently 0
    assert pd.isna(a.loc["couple_bubble", "zone"])
    b = prof[prof.partner == "b"].set_index("item_id")
    assert b.loc["decisions", "zone"] == scoring.MIDDLE
    assert b.loc["asking_for_help", "name"] == "Sami"


def test_summary_hand_computed(prof):
    s = scoring.summary(prof, SPECTRUM).set_index("partner")
    # a: 3 - 3 + 2 - 2 = 0 over 4 answers; |.| = 10 / 4
    assert s.loc["a", "lean"] == 0
    assert s.loc["a", "imbalance"] == 2.5
    assert s.loc["a", "reading"] == scoring.MIXED
    assert s.loc["a", "answered"] == 4 and s.loc["a", "total"] == len(IDS)
    assert len(s.loc["a", "missing"]) == len(IDS) - 4
    assert "couple_bubble" in s.loc["a", "missing"]
    # b: -1 - 3 + 0 = -4 over 3
    assert s.loc["b", "lean"] == pytest.approx(-4 / 3)
    assert s.loc["b", "imbalance"] == pytest.approx(4 / 3)
    assert s.loc["b", "reading"] == scoring.LEFT
    assert s.loc["b", "reading_text"].startswith("leans toward dependence")


def test_gaps_hand_computed(prof):
    g = scoring.gaps(SPECTRUM, prof).set_index("item_id")
    assert g.loc["asking_for_help", "gap"] == 4
    assert bool(g.loc["asking_for_help", "opposite_poles"])
    assert g.loc["sharing_feelings", "gap"] == 0
    assert g.loc["decisions", "gap"] == 2
    assert not g.loc["decisions", "opposite_poles"]  # 0 is not a pole
    assert pd.isna(g.loc["time_apart_together", "gap"])  # b has not answered
    couple = scoring.couple_summary(g.reset_index()).iloc[0]
    assert couple["items_compared"] == 3
    assert couple["mean_gap"] == 2.0  # (4 + 0 + 2) / 3
    assert couple["largest_gap"] == 4
    assert couple["opposite_pole_count"] == 1


def test_largest_gaps_skip_agreement_and_carry_prompts(prof):
    g = scoring.gaps(SPECTRUM, prof)
    top = scoring.largest_gaps(g, 3)
    assert list(top["item_id"]) == ["asking_for_help", "decisions"]
    assert top.loc[0, "prompt"] == SPECTRUM.item("asking_for_help").prompt
    assert list(scoring.opposite_pole_items(g)["item_id"]) == ["asking_for_help"]


def test_ties_keep_worksheet_order():
    a = {i: 2 for i in IDS}
    b = {i: 0 for i in IDS}
    top = scoring.largest_gaps(scoring.gaps(SPECTRUM, scoring.profile(SPECTRUM, {"a": a, "b": b})))
    assert list(top["item_id"]) == list(IDS[:3])


def test_nothing_answered_reads_as_not_answered():
    prof = scoring.profile(SPECTRUM, {"a": {}, "b": {}})
    s = scoring.summary(prof)
    assert list(s["reading"]) == [scoring.NOT_ANSWERED] * 2
    assert s["lean"].isna().all()
    couple = scoring.couple_summary(scoring.gaps(SPECTRUM, prof)).iloc[0]
    assert couple["items_compared"] == 0 and couple["mean_gap"] is None


def test_out_of_range_and_unknown_items_are_refused():
    with pytest.raises(ValueError, match="asking_for_help.*4 is outside -3..3"):
        scoring.profile(SPECTRUM, {"a": {"asking_for_help": 4}})
    with pytest.raises(ValueError, match="unknown spectrum item 'flying'"):
        scoring.profile(SPECTRUM, {"a": {"flying": 1}})


@pytest.mark.parametrize(
    ("lean", "imbalance", "reading"),
    [(-1.0, 1.0, scoring.LEFT), (1.0, 1.2, scoring.RIGHT),
     (0.9, 1.5, scoring.MIXED), (0.0, 1.49, scoring.BALANCED), (-0.5, 0.5, scoring.BALANCED)],
)
def test_reading_thresholds(lean, imbalance, reading):
    assert scoring.reading_for(lean, imbalance) == reading


answers = st.dictionaries(st.sampled_from(IDS), st.integers(-3, 3))


@settings(max_examples=150, deadline=None)
@given(answers)
def test_lean_and_imbalance_stay_in_bounds(a):
    s = scoring.summary(scoring.profile(SPECTRUM, {"a": a})).iloc[0]
    assert s["answered"] == len(a)
    if a:
        assert -3 <= s["lean"] <= 3
        assert 0 <= s["imbalance"] <= 3
        assert s["imbalance"] >= abs(s["lean"]) - 1e-12
    else:
        assert s["reading"] == scoring.NOT_ANSWERED


@settings(max_examples=150, deadline=None)
@given(answers, answers)
def test_gaps_are_symmetric_and_bounded(a, b):
    ab = scoring.gaps(SPECTRUM, scoring.profile(SPECTRUM, {"a": a, "b": b}))
    ba = scoring.gaps(SPECTRUM, scoring.profile(SPECTRUM, {"a": b, "b": a}))
    pd.testing.assert_series_equal(ab["gap"], ba["gap"])
    assert list(ab["opposite_poles"]) == list(ba["opposite_poles"])
    compared = ab["gap"].dropna()
    assert ((compared >= 0) & (compared <= 6)).all()
    assert len(compared) == len(set(a) & set(b))
    mean = scoring.couple_summary(ab).iloc[0]["mean_gap"]
    if len(compared):
        assert math.isclose(mean, compared.astype(float).mean())


@settings(max_examples=100, deadline=None)
@given(answers)
def test_mirrored_answers_mirror_the_reading(a):
    mirror = {k: -v for k, v in a.items()}
    r1 = scoring.summary(scoring.profile(SPECTRUM, {"a": a})).iloc[0]["reading"]
    r2 = scoring.summary(scoring.profile(SPECTRUM, {"a": mirror})).iloc[0]["reading"]
    swap = {scoring.LEFT: scoring.RIGHT,
            scoring.RIGHT: scoring.LEFT}
    assert r2 == swap.get(r1, r1)
