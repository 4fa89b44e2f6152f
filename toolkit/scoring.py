"""Turn spectrum answers into profiles and couple comparisons.

Pure functions, pandas in and pandas out, so the widgets, the command line and
the PDF report all read the same numbers. Unanswered items are never treated
as 0 (balanced): they are left out of every mean and listed as missing.

Columns
-------
``profile``        partner, name, item_id, title, position (Int64, <NA> when not
                   answered), zone (left, middle, right; None when not answered)
``summary``        partner, name, answered, total, missing (tuple of item ids),
                   lean, imbalance, reading (an id: left, right, mixed, balanced,
                   none), reading_text (the worksheet's sentence for it)
``gaps``           item_id, title, position_a, position_b, gap (Int64, <NA> unless
                   both answered), opposite_poles (bool), prompt, practice
``couple_summary`` items_compared, mean_gap, largest_gap, opposite_pole_count
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .content import SpectrumWorksheet
from .responses import PARTNERS, SessionData

__all__ = [
    "BALANCED",
    "LEFT",
    "MIDDLE",
    "MIXED",
    "NOT_ANSWERED",
    "RIGHT",
    "SessionScores",
    "SinceLastTime",
    "changes",
    "couple_summary",
    "gaps",
    "largest_gaps",
    "opposite_pole_items",
    "plan_history",
    "profile",
    "progress",
    "progress_summary",
    "reading_for",
    "score_session",
    "since_last_time",
    "summary",
    "zone_for",
]

# Zone and reading ids; the words for them live in the spectrum worksheet.
LEFT = "left"
MIDDLE = "middle"
RIGHT = "right"
BALANCED = "balanced"
MIXED = "mixed"
NOT_ANSWERED = "none"

LEAN_THRESHOLD = 1.0  # |mean position| at which a clear direction shows
MIXED_THRESHOLD = 1.5  # mean |position| at which strong answers on both sides count as mixed
ZONE_THRESHOLD = 2  # |position| from which an item sits outside the balanced zone
OPPOSITE_MIN_GAP = 3  # opposite signs this far apart: one pursues, the other distances

def zone_for(position: int | None) -> str | None:
    """The zone of one answer on the -3..3 scale."""
    if position is None or pd.isna(position):
        return None
    if position <= -ZONE_THRESHOLD:
        return LEFT
    if position >= ZONE_THRESHOLD:
        return RIGHT
    return MIDDLE


def reading_for(lean: float | None, imbalance: float | None) -> str:
    """Overall reading from lean (mean position) and imbalance (mean |position|).

    A clear lean wins; otherwise strong answers that cancel each other out read
    as "mixed", because a partner can lean in and hold back at once.
    """
    if lean is None or imbalance is None or pd.isna(lean):
        return NOT_ANSWERED
    if lean <= -LEAN_THRESHOLD:
        return LEFT
    if lean >= LEAN_THRESHOLD:
        return RIGHT
    if imbalance >= MIXED_THRESHOLD:
        return MIXED
    return BALANCED


def profile(
    spectrum: SpectrumWorksheet,
    answers: Mapping[str, Mapping[str, int]],
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per partner and item, in worksheet order.

    ``answers`` maps a partner key ("a", "b") to item id -> position.
    Positions outside the scale or for unknown items raise ValueError.
    """
    rows = []
    for partner, positions in answers.items():
        unknown = sorted(set(positions) - set(spectrum.ids))
        if unknown:
            raise ValueError(f"partner {partner}: unknown spectrum item {unknown[0]!r}")
        for item in spectrum.items:
            pos = positions.get(item.id)
            if pos is not None and not spectrum.scale_min <= pos <= spectrum.scale_max:
                raise ValueError(
                    f"partner {partner}, item {item.id!r}: {pos} is outside "
                    f"{spectrum.scale_min}..{spectrum.scale_max}"
                )
            rows.append({
                "partner": partner,
                "name": (names or {}).get(partner, partner),
                "item_id": item.id,
                "title": item.title,
                "position": pos,
                "zone": zone_for(pos),
            })
    columns = ["partner", "name", "item_id", "title", "position", "zone"]
    data = {c: [r[c] for r in rows] for c in columns}
    data["position"] = pd.array(data["position"], dtype="Int64")
    return pd.DataFrame(data, columns=columns)


def summary(profile_frame: pd.DataFrame, spectrum: SpectrumWorksheet | None = None
            ) -> pd.DataFrame:
    """One row per partner: how much is answered, lean, imbalance and reading.

    ``reading_text`` is the worksheet's sentence for the reading when the
    worksheet is given, else the reading id.
    """
    groups: dict[str, dict] = {}
    for partner, name, item_id, pos in zip(
        profile_frame["partner"], profile_frame["name"], profile_frame["item_id"],
        profile_frame["position"], strict=True,
    ):
        group = groups.setdefault(partner, {"name": name, "values": [], "missing": [],
                                            "total": 0})
        group["total"] += 1
        if pd.isna(pos):
            group["missing"].append(item_id)
        else:
            group["values"].append(int(pos))
    rows = []
    for partner, group in groups.items():
        values = group["values"]
        lean = sum(values) / len(values) if values else None
        imbalance = sum(abs(v) for v in values) / len(values) if values else None
        reading = reading_for(lean, imbalance)
        rows.append({
            "partner": partner,
            "name": group["name"],
            "answered": len(values),
            "total": group["total"],
            "missing": tuple(group["missing"]),
            "lean": lean,
            "imbalance": imbalance,
            "reading": reading,
            "reading_text": spectrum.readings[reading] if spectrum is not None else reading,
        })
    return pd.DataFrame(rows, columns=["partner", "name", "answered", "total", "missing",
                                       "lean", "imbalance", "reading", "reading_text"])


def gaps(
    spectrum: SpectrumWorksheet,
    profile_frame: pd.DataFrame,
    partners: Sequence[str] = ("a", "b"),
) -> pd.DataFrame:
    """Per item, both positions and how far apart they are."""
    a, b = partners
    position = {
        (partner, item_id): (None if pd.isna(pos) else int(pos))
        for partner, item_id, pos in zip(
            profile_frame["partner"], profile_frame["item_id"], profile_frame["position"],
            strict=True,
        )
    }
    rows = []
    for item in spectrum.items:
        pa, pb = position.get((a, item.id)), position.get((b, item.id))
        both = pa is not None and pb is not None
        gap = abs(pa - pb) if both else None
        rows.append({
            "item_id": item.id,
            "title": item.title,
            "position_a": pa,
            "position_b": pb,
            "gap": gap,
            "opposite_poles": bool(both and pa * pb < 0 and gap >= OPPOSITE_MIN_GAP),
            "prompt": item.prompt,
            "practice": item.practice,
        })
    data = {c: [r[c] for r in rows] for c in rows[0]} if rows else {}
    for col in ("position_a", "position_b", "gap"):
        if col in data:
            data[col] = pd.array(data[col], dtype="Int64")
    return pd.DataFrame(data)


def largest_gaps(gap_frame: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The ``n`` items where the partners differ most (ties keep worksheet order).

    Items where both gave the same answer are not gaps and are never listed.
    """
    found = gap_frame[gap_frame["gap"].notna() & (gap_frame["gap"] > 0)]
    return found.sort_values("gap", ascending=False, kind="stable").head(n).reset_index(
        drop=True
    )


def opposite_pole_items(gap_frame: pd.DataFrame) -> pd.DataFrame:
    """Items where one partner leans in and the other pulls away."""
    return gap_frame[gap_frame["opposite_poles"]].reset_index(drop=True)


def couple_summary(gap_frame: pd.DataFrame) -> pd.DataFrame:
    """One row: how many items both answered, the mean and largest gap, opposite poles."""
    compared = gap_frame["gap"].dropna().astype(float)
    return pd.DataFrame([{
        "items_compared": len(compared),
        "mean_gap": float(compared.mean()) if len(compared) else None,
        "largest_gap": int(compared.max()) if len(compared) else None,
        "opposite_pole_count": int(gap_frame["opposite_poles"].sum()),
    }])


@dataclass(frozen=True)
class SessionScores:
    """Every frame a session view needs, computed once from the same answers."""

    profile: pd.DataFrame
    summary: pd.DataFrame
    gaps: pd.DataFrame
    largest_gaps: pd.DataFrame
    opposite_poles: pd.DataFrame
    couple: pd.DataFrame


def score_session(spectrum: SpectrumWorksheet, data: SessionData, n: int = 3) -> SessionScores:
    """Score both partners of a stored session."""
    names = {p: data.couple.name(p) for p in PARTNERS}
    prof = profile(spectrum, {p: data.spectrum(p) for p in PARTNERS}, names)
    gap_frame = gaps(spectrum, prof)
    return SessionScores(
        profile=prof,
        summary=summary(prof, spectrum),
        gaps=gap_frame,
        largest_gaps=largest_gaps(gap_frame, n),
        opposite_poles=opposite_pole_items(gap_frame),
        couple=couple_summary(gap_frame),
    )


# --- over several sessions ---------------------------------------------------------------


def progress(spectrum: SpectrumWorksheet, sessions: Sequence[SessionData]) -> pd.DataFrame:
    """Every answer of every session, one row each, oldest session first.

    Columns: session, date, partner, name, item_id, title, position (Int64).
    Items are matched by id across sessions; an item a session did not ask
    (another worksheet version) or a partner did not answer is <NA>, never 0.
    """
    rows = []
    for data in sessions:
        for partner in PARTNERS:
            answers = data.spectrum(partner)
            for item in spectrum.items:
                rows.append((data.info.number, data.info.date, partner,
                             data.couple.name(partner), item.id, item.title,
                             answers.get(item.id)))
    columns = ["session", "date", "partner", "name", "item_id", "title", "position"]
    data_ = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    data_["position"] = pd.array(data_["position"], dtype="Int64")
    return pd.DataFrame(data_, columns=columns)


def progress_summary(spectrum: SpectrumWorksheet, sessions: Sequence[SessionData]
                     ) -> pd.DataFrame:
    """One row per session: each partner's lean and reading, the mean gap and how many
    items sit at opposite poles (columns: session, date, lean_a, lean_b, reading_a,
    reading_b, answered_a, answered_b, mean_gap, opposite_pole_count)."""
    rows = []
    for data in sessions:
        scores = score_session(spectrum, data)
        s = scores.summary.set_index("partner")
        c = scores.couple.iloc[0]
        rows.append({
            "session": data.info.number,
            "date": data.info.date,
            "lean_a": s.loc["a", "lean"], "lean_b": s.loc["b", "lean"],
            "reading_a": s.loc["a", "reading"], "reading_b": s.loc["b", "reading"],
            "answered_a": int(s.loc["a", "answered"]),
            "answered_b": int(s.loc["b", "answered"]),
            "mean_gap": c["mean_gap"],
            "opposite_pole_count": int(c["opposite_pole_count"]),
        })
    frame = pd.DataFrame(rows, columns=["session", "date", "lean_a", "lean_b", "reading_a",
                                        "reading_b", "answered_a", "answered_b", "mean_gap",
                                        "opposite_pole_count"])
    for col in ("lean_a", "lean_b", "mean_gap"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


def changes(spectrum: SpectrumWorksheet, before: SessionData, after: SessionData
            ) -> pd.DataFrame:
    """What moved between two sessions, per item: each partner's position then and
    now, the gap then and now, and ``gap_change`` (negative: the gap narrowed).

    Columns: item_id, title, a_before, a_after, b_before, b_after, gap_before,
    gap_after, gap_change (all Int64, <NA> where an answer is missing).
    """
    rows = []
    for item in spectrum.items:
        values = {}
        for label, data in (("before", before), ("after", after)):
            for partner in PARTNERS:
                values[f"{partner}_{label}"] = data.spectrum(partner).get(item.id)
            a, b = values[f"a_{label}"], values[f"b_{label}"]
            values[f"gap_{label}"] = abs(a - b) if a is not None and b is not None else None
        gb, ga = values["gap_before"], values["gap_after"]
        rows.append({"item_id": item.id, "title": item.title, **values,
                     "gap_change": ga - gb if ga is not None and gb is not None else None})
    columns = ["item_id", "title", "a_before", "a_after", "b_before", "b_after",
               "gap_before", "gap_after", "gap_change"]
    data_ = {c: [r[c] for r in rows] for c in columns}
    for c in columns[2:]:
        data_[c] = pd.array(data_[c], dtype="Int64")
    return pd.DataFrame(data_, columns=columns)


def plan_history(sessions: Sequence[SessionData], section: str = "small_risks"
                 ) -> pd.DataFrame:
    """What happened to each row of a plan table across sessions.

    A row carried forward keeps the (session, row) where it was first written,
    so one plan entry is one ``entry`` across every session it appears in.
    Columns: entry (e.g. "1.2": first written in session 1, row 2), session,
    row, and one column per field stored in the row.
    """
    records = []
    for data in sessions:
        for values in data.plan(section):
            row = values["row"]
            origin = data.row_origins.get((section, row), (data.info.number, row))
            record = {"entry": f"{origin[0]}.{origin[1]}", "session": data.info.number,
                      "row": row}
            record.update({k: v for k, v in values.items() if k not in ("row", "from_session")})
            records.append(record)
    return pd.DataFrame(records)


@dataclass(frozen=True)
class SinceLastTime:
    """What changed between the previous session and this one, for the report."""

    previous_number: int
    previous_date: str
    changes: pd.DataFrame  # ``changes`` output
    before: pd.DataFrame  # ``progress_summary`` row of the previous session
    after: pd.DataFrame  # ... and of this one
    risks: pd.DataFrame  # this session's small risks that came from earlier sessions


def since_last_time(spectrum: SpectrumWorksheet, previous: SessionData, current: SessionData
                    ) -> SinceLastTime:
    summary_ = progress_summary(spectrum, [previous, current])
    history = plan_history([current], "small_risks")
    if not history.empty:
        carried = [(("small_risks", int(r)) in current.row_origins) for r in history["row"]]
        history = history[carried].reset_index(drop=True)
    return SinceLastTime(
        previous_number=previous.info.number,
        previous_date=previous.info.date,
        changes=changes(spectrum, previous, current),
        before=summary_.iloc[[0]].reset_index(drop=True),
        after=summary_.iloc[[1]].reset_index(drop=True),
        risks=history,
    )
