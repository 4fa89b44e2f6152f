"""User text made safe for PDFs and plots: escaped, right-to-left aware,
and checked against the font so no character vanishes without a word.

ReportLab's paragraph markup is XML-like: a note containing ``<b>`` or ``&``
would otherwise be read as markup or break the parser. Right-to-left scripts
need their characters put in visual order (and Arabic letters joined) before
any renderer without a bidi engine draws them; that is done per line after
wrapping, so a long Hebrew or Arabic note keeps its lines in reading order.
"""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Callable, Iterable
from xml.sax.saxutils import escape

__all__ = [
    "MissingGlyphsWarning",
    "describe_chars",
    "has_rtl",
    "markup",
    "visual_lines",
    "visual_order",
]


class MissingGlyphsWarning(UserWarning):
    """Some characters have no glyph in the fonts available; they are named."""


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _is_rtl_paragraph(text: str) -> bool:
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def visual_order(line: str, base: str | None = None) -> str:
    """One line in visual (left-to-right drawing) order, Arabic letters joined.

    ``base`` forces the paragraph direction ("L" or "R"); by default it is
    taken from the first strong character, as browsers do with dir="auto".
    """
    if not has_rtl(line):
        return line
    import arabic_reshaper
    from bidi import get_display

    return get_display(arabic_reshaper.reshape(line), base_dir=base)


def visual_lines(
    text: str, width: float, measure: Callable[[str], float], base: str | None = None
) -> tuple[list[str], bool]:
    """Wrap ``text`` to ``width`` in logical order, then reorder each line.

    Returns the lines and whether the text reads right to left (to align it
    right). Text without right-to-left characters is returned unwrapped, as a
    single entry per line, for the renderer to wrap.
    """
    out: list[str] = []
    rtl = base == "R" if base else _is_rtl_paragraph(text)
    base = base or ("R" if rtl else "L")
    for raw in text.split("\n"):
        if not has_rtl(raw):
            out.append(raw)
            continue
        words, line = raw.split(" "), ""
        for word in words:
            candidate = f"{line} {word}" if line else word
            if line and measure(visual_order(candidate, base)) > width:
                out.append(visual_order(line, base))
                line = word
            else:
                line = candidate
        out.append(visual_order(line, base))
    return out, rtl


def markup(text: str) -> str:
    """Escape user text for ReportLab paragraph markup; keep line breaks."""
    return escape(text).replace("\n", "<br/>")


def describe_chars(chars: Iterable[str]) -> str:
    parts = []
    for ch in sorted(set(chars)):
        name = unicodedata.name(ch, "unnamed character")
        parts.append(f"{ch} (U+{ord(ch):04X} {name})")
    return ", ".join(parts)


def warn_missing(chars: Iterable[str], where: str) -> None:
    chars = set(chars)
    if chars:
        warnings.warn(
            f"{where}: no available font has these characters, so they print as empty "
            f"boxes: {describe_chars(chars)}",
            MissingGlyphsWarning,
            stacklevel=3,
        )
