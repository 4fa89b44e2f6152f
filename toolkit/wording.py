"""Sentences for the couple, shared by the widgets, the plots, the command line
and the PDF report.

The scale's ends, its zone words and the overall readings are content: they
come from the spectrum worksheet, so the widgets, the picture and the report
always use the same words, and a practice that edits or translates the
worksheet changes them everywhere at once. Plain text only: each caller
escapes for its own medium (HTML or PDF markup). The wording speaks to the
couple ("you placed yourself"), never labels people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .content import SpectrumWorksheet

__all__ = [
    "GapText",
    "answer_words",
    "gap_text",
    "practice_lines",
    "shared_text",
    "position_text",
    "reading_text",
    "reading_title",
    "scale_ticks",
    "side_words",
    "zone_words",
]

SIDES = ("left", "middle", "right")


def position_text(position: int) -> str:
    """A position as shown everywhere: "-2", "0", "+3"."""
    return f"{position:+d}" if position else "0"


def scale_ticks(spectrum: SpectrumWorksheet) -> list[tuple[int, str]]:
    """Every point of the scale with its label, from the worksheet's own range."""
    return [(v, position_text(v)) for v in range(spectrum.scale_min, spectrum.scale_max + 1)]


def zone_words(spectrum: SpectrumWorksheet) -> Mapping[str, str]:
    """The phrase for each zone ("left", "middle", "right") used inside sentences."""
    return spectrum.zones


def side_words(spectrum: SpectrumWorksheet, position: int) -> str:
    """Where one answer sits, in words ("toward hyper-independence", "near the middle")."""
    from .scoring import zone_for

    return spectrum.zones[zone_for(position)]


def answer_words(spectrum: SpectrumWorksheet, position: int) -> str:
    """What a slider's label says about its position ("+2 · leans toward ...")."""
    from .scoring import zone_for

    zone = zone_for(position)
    words = spectrum.zones[zone]
    return words if zone == "middle" else f"leans {words}"


def reading_text(spectrum: SpectrumWorksheet, reading: str) -> str:
    """The overall reading of one partner's answers, continuing their name."""
    return spectrum.readings[reading]


def reading_title(spectrum: SpectrumWorksheet, reading: str) -> str:
    """A short form of the reading for a picture's panel title."""
    return spectrum.reading_titles[reading]


class GapText(dict):
    """title, positions, distance, prompt and practices (a list of lines) of one
    largest-gap or shared-pattern item."""


def _positions(spectrum: SpectrumWorksheet, row: Mapping[str, Any],
               names: Mapping[str, str]) -> str:
    pa, pb = int(row["position_a"]), int(row["position_b"])
    return (
        f"{names['a']}, you placed yourself at {position_text(pa)} "
        f"({side_words(spectrum, pa)}); "
        f"{names['b']}, you placed yourself at {position_text(pb)} "
        f"({side_words(spectrum, pb)})."
    )


def practice_lines(row: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """Each partner's small step, chosen for where they stand; one line when both
    steps are the same."""
    a, b = str(row["practice_a"]), str(row["practice_b"])
    if a == b:
        return [f"For both of you: {a}"]
    return [f"{names['a']}: {a}", f"{names['b']}: {b}"]


def gap_text(spectrum: SpectrumWorksheet, row: Mapping[str, Any],
             names: Mapping[str, str]) -> GapText:
    """The parts of a largest-gap row worded for the couple."""
    gap = int(row["gap"])
    if row["opposite_poles"]:
        distance = (f"You are {gap} points apart, at opposite ends: one of you leans in "
                    "here while the other pulls back.")
    else:
        distance = f"You are {gap} point{'s' if gap != 1 else ''} apart."
    return GapText(title=str(row["title"]), positions=_positions(spectrum, row, names),
                   distance=distance, prompt=str(row["prompt"]),
                   practices=practice_lines(row, names))


def shared_text(spectrum: SpectrumWorksheet, row: Mapping[str, Any],
                names: Mapping[str, str]) -> GapText:
    """The parts of an item where both partners lean toward the same pole."""
    pole = str(row["shared"])
    return GapText(title=str(row["title"]), positions=_positions(spectrum, row, names),
                   distance=f"You both lean {spectrum.zones[pole]} here.",
                   prompt=str(row["shared_prompt"]), practices=practice_lines(row, names))
