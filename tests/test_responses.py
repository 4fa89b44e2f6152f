"""The one gate every answer passes (widgets, command line, imports): what it keeps,
what it refuses, and that a refusal names the field and the reason."""

from __future__ import annotations

import datetime as dt

import pytest

from toolkit.responses import (
    MAX_NAME,
    AnswerError,
    AnswerKey,
    Couple,
    SessionData,
    SessionInfo,
    clean_name,
    clean_text,
    slugify,
    validate_answer,
    validate_date,
)

K = AnswerKey


# --- what is kept, exactly as it will be stored ------------------------------------

@pytest.mark.parametrize(("key", "value", "stored"), [
    (K("spectrum", "a", "asking_for_help", 0, "position"), -3, -3),
    (K("spectrum", "b", "asking_for_help", 0, "position"), 3, 3),
    (K("spectrum", "a", "asking_for_help", 0, "position"), 0, 0),
    (K("spectrum", "a", "asking_for_help", 0, "position"), None, None),
    (K("origins", "a", "past_hurts", 0, "resonance"), 0, 0),
    (K("origins", "b", "past_hurts", 0, "resonance"), 3, 3),
    (K("origins", "a", "past_hurts", 0, "resonance"), None, None),
    (K("origins", "a", "past_hurts", 0, "notes"), "<b>mine</b> 🙂 שלום", "<b>mine</b> 🙂 שלום"),
    (K("origins", "a", "past_hurts", 0, "notes"), None, ""),
    (K("origins", "a", "past_hurts", 0, "shared"), True, True),
    (K("origins", "a", "past_hurts", 0, "shared"), False, False),
    (K("safety", "a", "fear", 0, "answer"), "often", "often"),
    (K("safety", "b", "fear", 0, "answer"), None, None),
    (K("safety", "facilitator", "review", 0, "confirmed"), True, True),
    (K("safety", "facilitator", "review", 0, "confirmed"), None, None),
    (K("boundaries", "couple", "review", 0, "date"), "2026-12-24", "2026-12-24"),
    (K("boundaries", "couple", "review", 0, "date"), " 2026-12-24 ", "2026-12-24"),
    (K("boundaries", "couple", "review", 0, "date"), dt.date(2027, 1, 2), "2027-01-02"),
    (K("boundaries", "couple", "review", 0, "date"), None, ""),
    (K("boundaries", "couple", "small_risks", 1, "done"), True, True),
    (K("boundaries", "couple", "small_risks", 1, "done"), None, None),
    (K("boundaries", "couple", "small_risks", 2, "who"), "both", "both"),
    (K("boundaries", "couple", "small_risks", 2, "who"), None, ""),
    (K("boundaries", "couple", "small_risks", 2, "by_when"), "2026-02-28", "2026-02-28"),
    (K("boundaries", "couple", "small_risks", 3, "ask"), "=1+1", "=1+1"),
    (K("boundaries", "couple", "small_risks", 3, "ask"), None, ""),
])
def test_a_valid_answer_is_kept_as_it_will_be_stored(content, key, value, stored):
    result = validate_answer(content, key, value)
    assert result == stored
    assert type(result) is type(stored)


# --- what is refused, and the message says where and why ---------------------------

@pytest.mark.parametrize(("key", "value", "says"), [
    (K("diary", "a", "x", 0, "notes"), "", "unknown worksheet 'diary'"),
    (K("spectrum", "c", "asking_for_help", 0, "position"), 1, "unknown partner 'c'"),
    (K("spectrum", "couple", "asking_for_help", 0, "position"), 1, "unknown partner"),
    (K("spectrum", "a", "asking_for_help", 0, "position"), 4, "4 is out of range -3..3"),
    (K("spectrum", "a", "asking_for_help", 0, "position"), -4, "-4 is out of range -3..3"),
    (K("spectrum", "a", "asking_for_help", 0, "position"), True, "expected a whole number"),
    (K("spectrum", "a", "asking_for_help", 0, "position"), 1.0, "expected a whole number"),
    (K("spectrum", "a", "asking_for_help", 0, "position"), "2", "expected a whole number"),
    (K("spectrum", "a", "no_such_item", 0, "position"), 1, "unknown spectrum item"),
    (K("spectrum", "a", "asking_for_help", 0, "notes"), 1, "has only a 'position'"),
    (K("spectrum", "a", "asking_for_help", 1, "position"), 1, "has only a 'position'"),
    (K("spectrum", "a", "asking_for_help", -1, "position"), 1, "row must be a whole number"),
    (K("spectrum", "a", "asking_for_help", True, "position"), 1, "row must be a whole"),
    (K("origins", "a", "past_hurts", 0, "resonance"), -1, "-1 is out of range 0..3"),
    (K("origins", "a", "past_hurts", 0, "resonance"), 4, "4 is out of range 0..3"),
    (K("origins", "a", "nowhere", 0, "notes"), "", "unknown origin section 'nowhere'"),
    (K("origins", "a", "past_hurts", 2, "notes"), "", "origin sections have no rows"),
    (K("origins", "a", "past_hurts", 0, "shared"), "yes", "expected yes or no"),
    (K("origins", "a", "past_hurts", 0, "shared"), 1, "expected yes or no"),
    (K("origins", "a", "past_hurts", 0, "mood"), "", "not 'mood'"),
    (K("origins", "a", "past_hurts", 0, "notes"), 42, "expected text, got int"),
    (K("origins", "a", "past_hurts", 0, "notes"), "a\x00b", "NUL character"),
    (K("origins", "a", "past_hurts", 0, "notes"), "x\ud800y", "unpaired surrogate at position 2"),
    (K("safety", "a", "fear", 0, "answer"), "always", "expected one of never, once"),
    (K("safety", "a", "nothing", 0, "answer"), "never", "unknown safety question"),
    (K("safety", "a", "fear", 0, "notes"), "never", "has only an 'answer'"),
    (K("safety", "a", "fear", 1, "answer"), "never", "has only an 'answer'"),
    (K("safety", "facilitator", "review", 0, "notes"), True, "holds only 'review / confirm"),
    (K("safety", "facilitator", "other", 0, "confirmed"), True, "holds only"),
    (K("safety", "facilitator", "review", 1, "confirmed"), True, "holds only"),
    (K("safety", "facilitator", "review", 0, "confirmed"), "yes", "expected yes or no"),
    (K("boundaries", "a", "small_risks", 1, "ask"), "", "belongs to the couple, not 'a'"),
    (K("boundaries", "couple", "nowhere", 1, "ask"), "", "unknown plan section 'nowhere'"),
    (K("boundaries", "couple", "review", 1, "date"), "", "holds a single 'date'"),
    (K("boundaries", "couple", "review", 0, "when"), "", "holds a single 'date'"),
    (K("boundaries", "couple", "review", 0, "date"), "24/12/2026", "not a date in the form"),
    (K("boundaries", "couple", "review", 0, "date"), 20261224, "expected a date as YYYY-MM-DD"),
    (K("boundaries", "couple", "small_risks", 0, "ask"), "", "rows are numbered from 1"),
    (K("boundaries", "couple", "small_risks", 1, "colour"), "", "unknown column 'colour' "
     "(expected one of who, ask, by_when, done, how_it_went)"),
    (K("boundaries", "couple", "small_risks", 1, "done"), "yes", "expected yes or no"),
    (K("boundaries", "couple", "small_risks", 1, "who"), "c", "expected 'a', 'b', 'both' or"),
    (K("boundaries", "couple", "small_risks", 1, "by_when"), "soon", "not a date"),
    (K("boundaries", "couple", "small_risks", 1, "ask"), 3, "expected text, got int"),
])
def test_a_bad_answer_is_refused_with_where_and_why(content, key, value, says):
    with pytest.raises(AnswerError) as caught:
        validate_answer(content, key, value)
    message = str(caught.value)
    assert says in message
    assert message.startswith(f"{key.worksheet} / {key.partner} / {key.item}")


def test_the_place_in_a_message_names_the_row_only_when_there_is_one():
    assert K("spectrum", "a", "x", 0, "position").describe() == "spectrum / a / x / position"
    assert K("boundaries", "couple", "rituals", 2, "ritual").describe() == \
        "boundaries / couple / rituals / row 2 / ritual"


def test_worksheets_without_a_safety_screen_refuse_safety_answers(content):
    from dataclasses import replace

    older = replace(content, safety=None)
    with pytest.raises(AnswerError, match="have no safety screen"):
        validate_answer(older, K("safety", "a", "fear", 0, "answer"), "never")


def test_text_up_to_the_limit_is_kept_and_one_more_character_is_refused():
    assert clean_text("x" * 10, "notes", limit=10) == "x" * 10
    with pytest.raises(AnswerError, match="notes: text is 11 characters long; the limit is 10"):
        clean_text("x" * 11, "notes", limit=10)


def test_a_name_is_trimmed_single_line_and_not_empty():
    assert clean_name("  Ana  ", "partner A") == "Ana"
    assert clean_name("x" * MAX_NAME, "partner A") == "x" * MAX_NAME
    with pytest.raises(AnswerError, match="partner A: a name is needed"):
        clean_name("   ", "partner A")
    with pytest.raises(AnswerError, match="single line"):
        clean_name("Ana\nBen", "partner A")
    with pytest.raises(AnswerError, match="single line"):
        clean_name("Ana\u200eBen", "partner A")  # an invisible direction mark
    with pytest.raises(AnswerError, match="limit is 80"):
        clean_name("x" * (MAX_NAME + 1), "partner A")


def test_dates_may_be_left_empty_only_where_allowed():
    assert validate_date("", "date") == ""
    assert validate_date("   ", "date") == ""
    with pytest.raises(AnswerError, match="date: '' is not a date"):
        validate_date("", "date", allow_empty=False)
    assert validate_date("2026-01-05", "date", allow_empty=False) == "2026-01-05"


@pytest.mark.parametrize(("names", "slug"), [
    ("Kim & Kevin", "kim-kevin"),
    ("  Ana  &  Ben  ", "ana-ben"),
    ("Ｋｉｍ", "kim"),  # full-width letters read as the plain ones
    ("נועה & سامي", "נועה-سامي"),  # any script keeps its letters
    ("& ! ?", "couple"),
    ("a" * 70, "a" * 60),
    ("a" * 59 + " b", "a" * 59),  # never ends on the separator it was cut at
])
def test_a_couple_id_is_readable_and_short(names, slug):
    assert slugify(names) == slug


def _data() -> SessionData:
    answers = {
        K("spectrum", "a", "asking_for_help", 0, "position"): 2,
        K("spectrum", "a", "decisions", 0, "position"): None,
        K("spectrum", "b", "asking_for_help", 0, "position"): -1,
        K("origins", "a", "past_hurts", 0, "resonance"): 4,
        K("origins", "a", "past_hurts", 0, "notes"): "mine",
        K("origins", "a", "past_hurts", 0, "shared"): True,
        K("origins", "b", "past_hurts", 0, "shared"): False,
        K("safety", "a", "fear", 0, "answer"): "never",
        K("safety", "a", "fear", 0, "notes"): "ignored",
        K("safety", "b", "fear", 0, "answer"): "often",
        K("safety", "facilitator", "review", 0, "confirmed"): True,
        K("boundaries", "couple", "rituals", 2, "ritual"): "walk",
        K("boundaries", "couple", "rituals", 5, "ritual"): "tea",
        K("boundaries", "couple", "pursuits", 2, "pursuit"): "choir",
        K("boundaries", "couple", "review", 0, "date"): "2026-03-01",
    }
    info = SessionInfo(id=7, couple_id="ana-ben", number=2, date="2026-02-01")
    return SessionData(info=info, couple=Couple("ana-ben", "Ana", "Ben"), answers=answers,
                       plan_rows={"rituals": (5, 2)}, row_origins={("rituals", 2): (1, 3)})


def test_session_data_reads_each_partner_apart():
    data = _data()
    assert data.spectrum("a") == {"asking_for_help": 2}  # unanswered items are left out
    assert data.spectrum("b") == {"asking_for_help": -1}
    assert data.origin("a", "past_hurts") == (4, "mine")
    assert data.origin("b", "past_hurts") == (None, "")
    assert data.shared("a", "past_hurts") is True
    assert data.shared("b", "past_hurts") is False
    assert data.shared("b", "overcorrection") is False  # private by default
    assert data.safety("a") == {"fear": "never"}
    assert data.safety("b") == {"fear": "often"}
    assert data.safety_confirmed is True
    assert data.couple.name("a") == "Ana" and data.couple.name("b") == "Ben"
    with pytest.raises(AnswerError, match="unknown partner 'c'"):
        data.couple.name("c")


def test_plan_rows_come_in_the_order_added_with_where_they_began():
    data = _data()
    assert data.plan("rituals") == [{"row": 5, "ritual": "tea"},
                                    {"row": 2, "from_session": 1, "ritual": "walk"}]
    assert data.plan("pursuits") == []  # a row without a plan_rows entry was removed
    assert data.plan_value("review") == "2026-03-01"
    assert data.plan_value("missing") is None


def test_the_safety_review_is_not_confirmed_until_it_is():
    data = _data()
    answers = dict(data.answers)
    answers[K("safety", "facilitator", "review", 0, "confirmed")] = False
    assert not SessionData(data.info, data.couple, answers).safety_confirmed
    del answers[K("safety", "facilitator", "review", 0, "confirmed")]
    assert not SessionData(data.info, data.couple, answers).safety_confirmed


def test_items_are_shuffled_unless_the_facilitator_turned_it_off():
    info = SessionInfo(id=1, couple_id="x", number=1, date="")
    assert info.shuffle_items is True
    assert SessionInfo(1, "x", 1, "", options={"shuffle_items": False}).shuffle_items is False


@pytest.mark.parametrize("who", ["a", "b", "both", ""])
def test_a_plan_row_can_be_given_to_either_partner_or_both(content, who):
    key = K("boundaries", "couple", "small_risks", 1, "who")
    assert validate_answer(content, key, who) == who


def test_a_refused_name_says_which_name_and_why():
    with pytest.raises(AnswerError) as caught:
        clean_name("x" * (MAX_NAME + 1), "partner A")
    assert str(caught.value) == "partner A: text is 81 characters long; the limit is 80"
    with pytest.raises(AnswerError) as caught:
        clean_name(42, "partner B")
    assert str(caught.value) == "partner B: expected text, got int"


def test_a_date_of_the_wrong_kind_names_what_was_given():
    with pytest.raises(AnswerError) as caught:
        validate_date(20261224, "review date")
    assert str(caught.value) == "review date: expected a date as YYYY-MM-DD, got int"


def test_underscores_around_the_names_are_left_out_of_the_couple_id():
    assert slugify("__Kim & Kevin__") == "kim-kevin"
    assert slugify("_ Ana _") == "ana"
