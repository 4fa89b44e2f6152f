"""The private safety screen's result: for the facilitator alone.

Each partner answers the screen on their own. Any answer of concern means
joint exercises are not advised: the couple steps stay locked until the
facilitator confirms they have spoken with each partner on their own. This
module only reads answers; it never decides what anyone sees: the views and
reports that are for the facilitator call it, the others never do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .content import Content
from .responses import FACILITATOR, PARTNERS, AnswerKey, SessionData

__all__ = ["CONFIRM_KEY", "SafetyResult", "safety_result"]

CONFIRM_KEY = AnswerKey("safety", FACILITATOR, "review", 0, "confirmed")


@dataclass(frozen=True)
class SafetyResult:
    """``concerns`` maps a partner to the questions they answered with concern;
    ``answered`` to how many questions they answered."""

    total: int
    answered: dict[str, int] = field(default_factory=dict)
    concerns: dict[str, list[str]] = field(default_factory=dict)
    confirmed: bool = False

    @property
    def concern(self) -> bool:
        return any(self.concerns.values())

    @property
    def complete(self) -> bool:
        return all(self.answered.get(p, 0) == self.total for p in PARTNERS)

    @property
    def started(self) -> bool:
        return any(self.answered.values())

    @property
    def locked(self) -> bool:
        """Joint exercises wait until the facilitator confirms after a concern."""
        return self.concern and not self.confirmed


def safety_result(content: Content, data: SessionData) -> SafetyResult:
    screen = content.safety
    if screen is None:
        return SafetyResult(total=0, confirmed=data.safety_confirmed)
    answered: dict[str, int] = {}
    concerns: dict[str, list[str]] = {}
    for partner in PARTNERS:
        answers = data.safety(partner)
        answered[partner] = sum(1 for q in screen.ids if q in answers)
        concerns[partner] = []
        for question in screen.questions:
            chosen = answers.get(question.id)
            if chosen is None:
                continue
            try:
                option = question.option(chosen)
            except KeyError:  # an answer to an option since removed: ask in person
                concerns[partner].append(question.id)
                continue
            if option.concern:
                concerns[partner].append(question.id)
    return SafetyResult(total=len(screen.questions), answered=answered, concerns=concerns,
                        confirmed=data.safety_confirmed)
