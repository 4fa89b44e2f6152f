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
    "gap_text",
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
    """title, positions, distance, prompt and practice of one largest-gap item."""


def gap_text(spectrum: SpectrumWorksheet, row: Mapping[str, Any],
             names: Mapping[str, str]) -> GapText:
    """The parts of a largest-gap row worded for the couple."""
    pa, pb, gap = int(row["position_a"]), int(row["position_b"]), int(row["gap"])
    positions = (
        f"{names['a']}, you placed yourself at {position_text(pa)} "
        f"({side_words(spectrum, pa)}); "
        f"{names['b']}, you placed yourself at {position_text(pb)} "
        f"({side_words(spectrum, pb)})."
    )
    if row["opposite_poles"]:
        distance = (f"You are {gap} points apart, on opposite sides: one of you leans in "
                    "here while the other pulls back.")
    else:
        distance = f"You are {gap} point{'s' if gap != 1 else ''} apart."
    return GapText(title=str(row["title"]), positions=positions, distance=distance,
                   prompt=str(row["prompt"]), practice=str(row["practice"]))
