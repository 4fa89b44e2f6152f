"""One-line helpers for notebooks, so cells stay short for facilitators."""

from __future__ import annotations

import os

import pandas as pd

from .demo import ensure_demo
from .session import SessionModel
from .store import Store

__all__ = ["handout", "progress_table", "score_table"]


def score_table(
    couple_id: str, *, session: int | None = None, data_dir: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """The couple's spectrum side by side: one row per item, both partners, the gap.

    A demo couple that is not in the store yet is added first, so the start
    notebook works on a fresh machine.
    """
    with Store(data_dir) as store:
        ensure_demo(store, couple_id)
        model = SessionModel.open(store, couple_id, session)
    from .wording import position_text

    scores = model.scores
    zones = model.content.spectrum.zones
    a, b = model.couple.partner_a, model.couple.partner_b
    gaps = scores.gaps

    def shown(value: object) -> str:
        return "-" if pd.isna(value) else position_text(int(value))

    where = [
        "at opposite ends" if opposite else (f"both {zones[shared]}" if shared else "")
        for opposite, shared in zip(gaps["opposite_poles"], gaps["shared"], strict=True)
    ]
    return pd.DataFrame({
        "Item": gaps["title"], a: gaps["position_a"].map(shown),
        b: gaps["position_b"].map(shown), "Gap": gaps["gap"].map(
            lambda v: "-" if pd.isna(v) else str(int(v))),
        "Where": where,
    }).set_index("Item")


def handout() -> object:
    """The take-home handout on the four patterns, as formatted text in the notebook
    (the same words as the handout PDF)."""
    from IPython.display import Markdown

    from .content import load_content

    text = load_content().handout
    parts = [f"### {text.title}", text.intro]
    parts += [f"**{p.title}.** {p.text}" for p in text.patterns]
    parts.append(f"*{text.closing}*")
    return Markdown("\n\n".join(parts))


def progress_table(
    couple_id: str, *, data_dir: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Each partner's position on each item, one column per session.

    Rows are (partner, item); "-" where an item was not answered that session.
    """
    from .wording import position_text

    with Store(data_dir) as store:
        ensure_demo(store, couple_id)
        model = SessionModel.open(store, couple_id)
        frame, _ = model.progress()
    names = model.names()
    order = {item.title: i for i, item in enumerate(model.content.spectrum.items)}
    frame = frame.assign(partner=frame["partner"].map(names),
                         shown=frame["position"].map(
                             lambda v: "-" if pd.isna(v) else position_text(int(v))))
    table = frame.pivot(index=["partner", "title"], columns="session", values="shown")
    table = table.reindex(sorted(table.index, key=lambda k: (k[0] != names["a"], order[k[1]])))
    table.columns = [f"Session {c}" for c in table.columns]
    table.index.names = ["Partner", "Item"]
    return table
