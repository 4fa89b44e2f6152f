"""The sentences a couple reads, word for word: every widget, the picture and the
report build them here, so a wrong word would be wrong everywhere at once."""

from __future__ import annotations

import pytest

from tests.conftest import WORKSHEETS
from toolkit import scoring, wording
from toolkit.content import load_content

SPECTRUM = load_content(WORKSHEETS).spectrum
NAMES = {"a": "Noa", "b": "Sami"}


@pytest.mark.parametrize(("position", "text"), [(-3, "-3"), (-1, "-1"), (0, "0"), (1, "+1"),
                                                (3, "+3")])
def test_positions_are_signed_except_the_middle(position, text):
    assert wording.position_text(position) == text


def test_the_scale_runs_over_the_worksheets_own_range():
    assert wording.scale_ticks(SPECTRUM) == [(-3, "-3"), (-2, "-2"), (-1, "-1"), (0, "0"),
                                             (1, "+1"), (2, "+2"), (3, "+3")]
    assert wording.zone_words(SPECTRUM) == {"left": "toward over-reliance",
                                            "middle": "near the middle",
                                            "right": "toward hyper-independence"}


@pytest.mark.parametrize(("position", "side", "answer"), [
    (-3, "toward over-reliance", "leans toward over-reliance"),
    (-2, "toward over-reliance", "leans toward over-reliance"),
    (-1, "near the middle", "near the middle"),
    (0, "near the middle", "near the middle"),
    (1, "near the middle", "near the middle"),
    (2, "toward hyper-independence", "leans toward hyper-independence"),
    (3, "toward hyper-independence", "leans toward hyper-independence"),
])
def test_each_answer_is_worded_by_its_zone(position, side, answer):
    assert wording.side_words(SPECTRUM, position) == side
    assert wording.answer_words(SPECTRUM, position) == answer


def test_readings_and_their_titles_come_from_the_worksheet():
    for reading in ("left", "right", "mixed", "pulls_left", "pulls_right", "balanced", "none"):
        assert wording.reading_text(SPECTRUM, reading) == SPECTRUM.readings[reading]
        assert wording.reading_title(SPECTRUM, reading) == SPECTRUM.reading_titles[reading]
    assert wording.reading_title(SPECTRUM, "right") == "leans toward hyper-independence"
    assert wording.reading_title(SPECTRUM, "balanced") == "near the middle"


def row(a: int, b: int) -> dict:
    frame = scoring.gaps(SPECTRUM, scoring.profile(
        SPECTRUM, {"a": {"asking_for_help": a}, "b": {"asking_for_help": b}}))
    return frame.iloc[0].to_dict()


def test_a_gap_at_opposite_ends_is_worded_in_full():
    item = SPECTRUM.item("asking_for_help")
    text = wording.gap_text(SPECTRUM, row(3, -2), NAMES)
    assert text["title"] == "Asking for help"
    assert text["positions"] == (
        "Noa, you placed yourself at +3 (toward hyper-independence); "
        "Sami, you placed yourself at -2 (toward over-reliance).")
    assert text["distance"] == ("You are 5 points apart, at opposite ends: one of you leans "
                                "in here while the other pulls back.")
    assert text["prompt"] == item.prompt
    assert text["practices"] == [f"Noa: {item.practice['right']}",
                                 f"Sami: {item.practice['left']}"]


@pytest.mark.parametrize(("a", "b", "distance"), [
    (1, 0, "You are 1 point apart."),
    (2, 0, "You are 2 points apart."),
    (-1, 1, "You are 2 points apart."),
])
def test_a_gap_within_reach_says_how_far(a, b, distance):
    text = wording.gap_text(SPECTRUM, row(a, b), NAMES)
    assert text["distance"] == distance
    assert "opposite" not in text["distance"]


def test_one_step_for_both_when_both_stand_in_the_same_zone():
    item = SPECTRUM.item("asking_for_help")
    assert wording.gap_text(SPECTRUM, row(1, 0), NAMES)["practices"] == [
        f"For both of you: {item.practice['middle']}"]


def test_where_both_lean_the_same_way():
    item = SPECTRUM.item("asking_for_help")
    text = wording.shared_text(SPECTRUM, row(2, 3), NAMES)
    assert text["title"] == "Asking for help"  # the heading above the shared item
    assert text["distance"] == "You both lean toward hyper-independence here."
    assert text["prompt"] == item.shared_prompt["right"]
    assert text["positions"].startswith("Noa, you placed yourself at +2 (toward hyper-")
    assert text["practices"] == [f"For both of you: {item.practice['right']}"]
    left = wording.shared_text(SPECTRUM, row(-3, -2), NAMES)
    assert left["distance"] == "You both lean toward over-reliance here."
    assert left["prompt"] == item.shared_prompt["left"]
