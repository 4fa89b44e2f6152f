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
                   both answered), opposite_poles (bool), shared ("left", "right" or
                   None), prompt, shared_prompt, practice_a, practice_b
``couple_summary`` items_compared, mean_gap, largest_gap, opposite_pole_count,
                   shared_left_count, shared_right_count, shared_pattern,
                   opposite_pattern (bool)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .content import SpectrumItem, SpectrumWorksheet
from .responses import PARTNERS, SessionData

__all__ = [
    "BALANCED",
    "LEFT",
    "MIDDLE",
    "MIXED",
    "NOT_ANSWERED",
    "PULLS_LEFT",
    "PULLS_RIGHT",
    "RIGHT",
    "SessionScores",
    "SinceLastTime",
    "changes",
    "couple_summary",
    "gaps",
    "largest_gaps",
    "opposite_pole_items",
    "plan_history",
    "practice_for",
    "shared_items",
    "shared_pattern",
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

PULLS_LEFT = "pulls_left"
PULLS_RIGHT = "pulls_right"

# The cut-offs below are a reflective aid for conversation, not validated norms.
ZONE_THRESHOLD = 2  # |position| from which an answer sits at a pole (outside "near the middle")
LEAN_THRESHOLD = 1.0  # |mean position| from which an overall direction shows
MIXED_MIN_ITEMS = 2  # answers at each pole from which a partner reads "mixed" whatever the lean
SHARED_MIN_ITEMS = 2  # items where both sit at the same pole before the couple-level text shows
OPPOSITE_MIN_ITEMS = 2  # items at opposite poles before "one reaches, one pulls back" shows


def zone_for(position: int | None) -> str | None:
    """The zone of one answer: "left" at -2 or below, "right" at +2 or above, else
    "middle" (so -1 and +1 are near the middle, in the words and in every rule)."""
    if position is None or pd.isna(position):
        return None
    if position <= -ZONE_THRESHOLD:
        return LEFT
    if position >= ZONE_THRESHOLD:
        return RIGHT
    return MIDDLE


def reading_for(positions: Sequence[int]) -> str:
    """A partner's overall reading from their answered positions.

    In order: strong answers at both poles read "mixed" (at least two at each,
    or one at each with no clear overall lean), because a partner can lean in
    and hold back at once; a mean of 1 or more toward a pole, with at least
    one answer at that pole, reads as that pole; answers at one pole without
    such a lean read "mostly near the middle, with pulls" toward it; otherwise
    "balanced". Unanswered items are never counted.
    """
    values = [int(v) for v in positions]
    if not values:
        return NOT_ANSWERED
    lean = sum(values) / len(values)
    n_left = sum(1 for v in values if v <= -ZONE_THRESHOLD)
    n_right = sum(1 for v in values if v >= ZONE_THRESHOLD)
    if (n_left >= MIXED_MIN_ITEMS and n_right >= MIXED_MIN_ITEMS) or (
            n_left and n_right and abs(lean) < LEAN_THRESHOLD):
        return MIXED
    if lean <= -LEAN_THRESHOLD and n_left:
        return LEFT
    if lean >= LEAN_THRESHOLD and n_right:
        return RIGHT
    if n_left:
        return PULLS_LEFT
    if n_right:
        return PULLS_RIGHT
    return BALANCED


def practice_for(item: SpectrumItem, position: int | None) -> str:
    """The small step that fits where a partner stands on an item."""
    zone = zone_for(position) or MIDDLE
    return item.practice.get(zone) or item.practice.get(MIDDLE, "")


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
    """One row per partner: how much is answered, lean, imbalance, how many answers
    sit at each pole, and the reading.

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
        reading = reading_for(values)
        rows.append({
            "partner": partner,
            "name": group["name"],
            "answered": len(values),
            "total": group["total"],
            "missing": tuple(group["missing"]),
            "lean": lean,
            "imbalance": imbalance,
            "at_left": sum(1 for v in values if v <= -ZONE_THRESHOLD),
            "at_right": sum(1 for v in values if v >= ZONE_THRESHOLD),
            "reading": reading,
            "reading_text": spectrum.readings[reading] if spectrum is not None else reading,
        })
    return pd.DataFrame(rows, columns=["partner", "name", "answered", "total", "missing",
                                       "lean", "imbalance", "at_left", "at_right", "reading",
                                       "reading_text"])


def gaps(
    spectrum: SpectrumWorksheet,
    profile_frame: pd.DataFrame,
    partners: Sequence[str] = ("a", "b"),
) -> pd.DataFrame:
    """Per item, both positions, how far apart they are, and whether they sit at
    opposite poles (one partner at -2 or below, the other at +2 or above: one
    leans in where the other pulls away) or at the same pole (``shared``: "left"
    or "right", both leaning the same way), with the prompt and each partner's
    practice for where they stand."""
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
        za, zb = zone_for(pa), zone_for(pb)
        opposite = both and {za, zb} == {LEFT, RIGHT}
        shared = za if both and za == zb and za in (LEFT, RIGHT) else None
        rows.append({
            "item_id": item.id,
            "title": item.title,
            "position_a": pa,
            "position_b": pb,
            "gap": abs(pa - pb) if both else None,
            "opposite_poles": bool(opposite),
            "shared": shared,
            "prompt": item.prompt,
            "shared_prompt": item.shared_prompt.get(shared, item.prompt) if shared else None,
            "practice_a": practice_for(item, pa),
            "practice_b": practice_for(item, pb),
        })
    columns = ["item_id", "title", "position_a", "position_b", "gap", "opposite_poles",
               "shared", "prompt", "shared_prompt", "practice_a", "practice_b"]
    data = {c: [r[c] for r in rows] for c in columns}
    for col in ("position_a", "position_b", "gap"):
        data[col] = pd.array(data[col], dtype="Int64")
    data["opposite_poles"] = pd.array(data["opposite_poles"], dtype=bool)
    frame = pd.DataFrame(data, columns=columns)
    for col in ("shared", "shared_prompt"):  # None, never NaN, where there is no value
        frame[col] = pd.Series(data[col], dtype=object, index=frame.index)
    return frame


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


def shared_items(gap_frame: pd.DataFrame, n: int | None = 3) -> pd.DataFrame:
    """Items where both partners sit at the same pole, the strongest first (by how
    far both are from the middle; ties keep worksheet order)."""
    found = gap_frame[gap_frame["shared"].notna()].copy()
    found["_strength"] = (found["position_a"].abs() + found["position_b"].abs()).astype(int)
    found = found.sort_values("_strength", ascending=False, kind="stable")
    found = found.drop(columns="_strength").reset_index(drop=True)
    return found if n is None else found.head(n)


def shared_pattern(gap_frame: pd.DataFrame) -> str | None:
    """The pole both partners share on several items ("left" or "right"), if any:
    the one with more shared items, when it has at least SHARED_MIN_ITEMS."""
    counts = gap_frame["shared"].value_counts()
    left, right = int(counts.get(LEFT, 0)), int(counts.get(RIGHT, 0))
    best = LEFT if left > right else RIGHT
    return best if max(left, right) >= SHARED_MIN_ITEMS else None


def couple_summary(gap_frame: pd.DataFrame) -> pd.DataFrame:
    """One row: how many items both answered, the mean and largest gap, how many sit
    at opposite poles and at the same pole, and the shared pattern if there is one."""
    compared = gap_frame["gap"].dropna().astype(float)
    return pd.DataFrame([{
        "items_compared": len(compared),
        "mean_gap": float(compared.mean()) if len(compared) else None,
        "largest_gap": int(compared.max()) if len(compared) else None,
        "opposite_pole_count": int(gap_frame["opposite_poles"].sum()),
        "shared_left_count": int((gap_frame["shared"] == LEFT).sum()),
        "shared_right_count": int((gap_frame["shared"] == RIGHT).sum()),
        "shared_pattern": shared_pattern(gap_frame),
        "opposite_pattern": bool(gap_frame["opposite_poles"].sum() >= OPPOSITE_MIN_ITEMS),
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
    shared: pd.DataFrame  # the strongest items where both lean the same way


def score_session(spectrum: SpectrumWorksheet, data: SessionData, n: int = 3) -> SessionScores:
    """Score both partners of a stored session."""
    names = {p: data.couple.name(p) for p in PARTNERS}
    prof = profile(spectrum, {p: {k: v for k, v in data.spectrum(p).items()
                                  if k in spectrum.ids} for p in PARTNERS}, names)
    gap_frame = gaps(spectrum, prof)
    return SessionScores(
        profile=prof,
        summary=summary(prof, spectrum),
        gaps=gap_frame,
        largest_gaps=largest_gaps(gap_frame, n),
        opposite_poles=opposite_pole_items(gap_frame),
        couple=couple_summary(gap_frame),
        shared=shared_items(gap_frame, n),
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
