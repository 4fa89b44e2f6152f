"""Sentences for the couple, shared by the widgets and the PDF report.

Plain text only: each caller escapes for its own medium (HTML or PDF markup).
The wording speaks to the couple ("you placed yourself"), never labels people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["GapText", "gap_text", "side_words"]


def side_words(position: int) -> str:
    if position <= -2:
        return "toward dependence"
    if position >= 2:
        return "toward hyper-independence"
    return "near the middle"


class GapText(dict):
    """title, positions, distance, prompt and practice of one largest-gap item."""


def gap_text(row: Mapping[str, Any], names: Mapping[str, str]) -> GapText:
    """The parts of a largest-gap row worded for the couple."""
    pa, pb, gap = int(row["position_a"]), int(row["position_b"]), int(row["gap"])
    positions = (
        f"{names['a']}, you placed yourself at {pa:+d} ({side_words(pa)}); "
        f"{names['b']}, you placed yourself at {pb:+d} ({side_words(pb)})."
    )
    if row["opposite_poles"]:
        distance = (f"You are {gap} points apart, on opposite sides: one of you leans in "
                    "here while the other pulls back.")
    else:
        distance = f"You are {gap} point{'s' if gap != 1 else ''} apart."
    return GapText(title=str(row["title"]), positions=positions, distance=distance,
                   prompt=str(row["prompt"]), practice=str(row["practice"]))
