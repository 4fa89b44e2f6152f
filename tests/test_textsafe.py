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
