"""User text on its way into a PDF or a picture: escaped, put in reading order for
right-to-left scripts, and every character a font lacks named, never dropped."""

from __future__ import annotations

import warnings

import pytest

from toolkit import textsafe
from toolkit.textsafe import MissingGlyphsWarning

HEBREW = "שלום"  # shalom
ARABIC = "سلام"  # salam


def test_markup_is_escaped_and_line_breaks_kept():
    assert textsafe.markup("<b>bold</b> & co\nnext") == "&lt;b&gt;bold&lt;/b&gt; &amp; co<br/>next"
    assert textsafe.markup("plain") == "plain"


@pytest.mark.parametrize(("text", "rtl"), [
    (HEBREW, True), (ARABIC, True), ("Noa", False), ("123 !", False), ("Noa " + HEBREW, True),
    ("", False),
])
def test_right_to_left_is_noticed_in_hebrew_and_arabic(text, rtl):
    assert textsafe.has_rtl(text) is rtl


def test_the_first_strong_character_sets_the_direction():
    assert textsafe._is_rtl_paragraph(HEBREW + " Noa") is True
    assert textsafe._is_rtl_paragraph("Noa " + HEBREW) is False
    assert textsafe._is_rtl_paragraph("12 " + HEBREW) is True  # digits are not strong
    assert textsafe._is_rtl_paragraph("12 !") is False


def test_visual_order_reverses_hebrew_and_leaves_latin_alone():
    assert textsafe.visual_order("Noa & Sami") == "Noa & Sami"
    assert textsafe.visual_order(HEBREW) == HEBREW[::-1]
    assert textsafe.visual_order(f"{HEBREW} 12") == f"12 {HEBREW[::-1]}"
    # a left-to-right paragraph keeps its Latin words first
    assert textsafe.visual_order(f"Noa {HEBREW}", base="L") == f"Noa {HEBREW[::-1]}"
    # Arabic letters are joined into their presentation forms, not left isolated
    shaped = textsafe.visual_order(ARABIC)
    assert shaped != ARABIC[::-1] and len(shaped) <= len(ARABIC)


def test_long_right_to_left_text_wraps_in_reading_order():
    words = [f"מילה{i}" for i in range(12)]
    lines, rtl = textsafe.visual_lines(" ".join(words), 80, lambda s: 10 * len(s))
    assert rtl is True and len(lines) > 1
    assert all(10 * len(line) <= 80 or " " not in line for line in lines)
    first = textsafe.visual_order("מילה0", "R")
    assert lines[0].endswith(first)  # the first word sits at the right of the first line
    assert textsafe.visual_order("מילה11", "R") in lines[-1]
    # each paragraph of several is wrapped on its own; a Latin one stays as it is
    lines, rtl = textsafe.visual_lines(f"{HEBREW}\nplain line", 1000, len)
    assert lines == [HEBREW[::-1], "plain line"] and rtl is True
    assert textsafe.visual_lines("plain <text>", 10, len) == (["plain <text>"], False)
    assert textsafe.visual_lines(HEBREW, 1000, len, base="L")[1] is False


def test_missing_characters_are_named_once_each():
    assert textsafe.describe_chars("🎉a🎉") == "a (U+0061 LATIN SMALL LETTER A), " \
        "🎉 (U+1F389 PARTY POPPER)"
    with pytest.warns(MissingGlyphsWarning) as caught:
        textsafe.warn_missing({"🎉"}, "the report")
    message = str(caught[0].message)
    assert message.startswith("the report: no available font has these characters")
    assert "U+1F389 PARTY POPPER" in message and "empty boxes" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        textsafe.warn_missing(set(), "the report")  # nothing missing: no warning at all


TODA = "תודה"  # toda


def test_an_arabic_first_paragraph_reads_right_to_left():
    # Arabic letters are their own bidi class ("AL"), apart from Hebrew's ("R")
    assert textsafe._is_rtl_paragraph(ARABIC + " Noa") is True
    lines, rtl = textsafe.visual_lines(ARABIC + " Noa", 1000, len)
    assert rtl is True  # aligned right in the PDF
    assert lines[0].startswith("Noa ")  # the Latin name sits left of the Arabic word


def test_a_forced_direction_is_used_for_the_whole_line():
    # a right-to-left base puts the Latin name after (left of) the Hebrew word
    assert textsafe.visual_order(f"Noa {HEBREW}", base="R") == f"{HEBREW[::-1]} Noa"
    # a left-to-right base keeps the Hebrew word first, at the left
    assert textsafe.visual_order(f"{HEBREW} Noa", base="L") == f"{HEBREW[::-1]} Noa"


def test_a_forced_right_to_left_base_aligns_the_text_right():
    assert textsafe.visual_lines(f"Noa {HEBREW}", 1000, len, base="R") == (
        [f"{HEBREW[::-1]} Noa"], True)


def test_every_wrapped_line_keeps_the_paragraphs_direction():
    # a right-to-left paragraph: lines that start with a Latin name still read
    # right to left, so the Hebrew word stays at the right of each line
    text = f"{HEBREW} Noa Avi {TODA} Eli {TODA}"
    assert textsafe.visual_lines(text, 8, len) == (
        ["Noa " + HEBREW[::-1], TODA[::-1] + " Avi", TODA[::-1] + " Eli"], True)
    # a left-to-right paragraph: a later line that starts in Hebrew keeps the
    # paragraph's left-to-right order instead of flipping on its own
    assert textsafe.visual_lines(f"Noa\n{HEBREW} Noa", 1000, len) == (
        ["Noa", f"{HEBREW[::-1]} Noa"], False)


def test_a_line_that_exactly_fills_the_width_is_not_broken():
    text = f"{HEBREW} {TODA}"  # 9 characters
    assert textsafe.visual_lines(text, 9, len) == ([f"{TODA[::-1]} {HEBREW[::-1]}"], True)
    assert textsafe.visual_lines(text, 8, len) == ([HEBREW[::-1], TODA[::-1]], True)


def test_a_latin_line_before_a_hebrew_one_does_not_drop_the_rest():
    assert textsafe.visual_lines(f"plain\n{HEBREW}\nend", 1000, len) == (
        ["plain", HEBREW[::-1], "end"], False)


def test_a_no_break_space_never_becomes_a_line_break():
    # only ordinary spaces are break points; the no-break space stays as typed
    text = f"{HEBREW}\u00a0{TODA}"
    assert textsafe.visual_lines(text, 5, len) == ([f"{TODA[::-1]}\u00a0{HEBREW[::-1]}"], True)


def test_a_character_without_a_unicode_name_is_still_described():
    # a private-use character (a custom icon font's glyph) and a control character
    assert textsafe.describe_chars("\ue000\x07") == (
        "\x07 (U+0007 unnamed character), \ue000 (U+E000 unnamed character)")


def _finish(missing):  # like the report's last step, which names what is missing
    textsafe.warn_missing(missing, "the report")


def _build(missing):  # like a report function the user calls
    _finish(missing)


def test_the_missing_glyphs_warning_points_outside_textsafe():
    with pytest.warns(MissingGlyphsWarning) as caught:
        _build({"\ue000"})
    assert caught[0].filename != textsafe.__file__
    assert "U+E000 unnamed character" in str(caught[0].message)
