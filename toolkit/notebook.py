"""One-line helpers for notebooks, so cells stay short for facilitators."""

from __future__ import annotations

import os

import pandas as pd

from .demo import ensure_demo
from .session import SessionModel
from .store import Store

__all__ = ["progress_table", "score_table"]


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
    scores = model.scores
    a, b = model.couple.partner_a, model.couple.partner_b
    table = scores.gaps[["title", "position_a", "position_b", "gap", "opposite_poles"]]
    return table.rename(columns={
        "title": "Item", "position_a": a, "position_b": b, "gap": "Gap",
        "opposite_poles": "Opposite poles",
    }).set_index("Item")


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
