"""PDFs made with ReportLab from the same data the widgets show.

- ``session_report``: the filled report the couple takes home, built from the
  content, the session's data and its scores (never from a store);
- ``blank_worksheets``: the worksheets to print, or (``fillable=True``) as an
  AcroForm to fill in on a tablet or at home (read back by ``toolkit.forms``).

All user text passes through one function (``_Text.para``) that escapes
ReportLab's markup, orders right-to-left lines, and records characters the
fonts cannot draw, which are then named in a warning.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .content import Content, PlanSection
from .files import write_private
from .forms import PLAN_FORM_ROWS, field_name, form_stamp, radio_values
from .responses import PARTNERS, SessionData
from .scoring import SessionScores, SinceLastTime
from .textsafe import markup, visual_lines, visual_order, warn_missing
from .wording import GapText, gap_text, position_text, scale_ticks, shared_text

__all__ = [
    "READERS",
    "encrypt_pdf",
    "reader_label",
    "blank_worksheets",
    "handout_pdf",
    "homework_pdf",
    "session_report",
    "write_pdf",
]

FONT, FONT_BOLD, FONT_ITALIC = "TKSans", "TKSans-Bold", "TKSans-Oblique"
INK = colors.HexColor("#222222")
MUTED = colors.HexColor("#5A5A5A")
RULE = colors.HexColor("#BBBBBB")
ACCENT = colors.HexColor("#0072B2")
PAGE_W, PAGE_H = A4
MARGIN = 2 * cm
FRAME_W = PAGE_W - 2 * MARGIN
PRINT_DPI = 200
FRAME_PADDING = 12  # a platypus frame keeps 6 pt clear on each side


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    from reportlab import rl_config

    rl_config.useA85 = 0  # binary streams: smaller files, and no slow pure-Python encoding
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, folder / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, folder / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, folder / "DejaVuSans-Oblique.ttf"))
    pdfmetrics.registerFont(TTFont(f"{FONT}-BoldOblique", folder / "DejaVuSans-BoldOblique.ttf"))
    from reportlab.lib.fonts import addMapping

    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT_ITALIC)
    addMapping(FONT, 1, 1, f"{FONT}-BoldOblique")


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, textColor=INK,
                          spaceAfter=4)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11,
                                textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12, spaceAfter=0),
        "cellhead": ParagraphStyle("cellhead", parent=base, fontName=FONT_BOLD, fontSize=9,
                                   leading=12, spaceAfter=0),
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=20, leading=26,
                             spaceAfter=10, textColor=INK),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=14, leading=19,
                             spaceBefore=10, spaceAfter=6, textColor=ACCENT),
        "h3": ParagraphStyle("h3", parent=base, fontName=FONT_BOLD, fontSize=11, leading=15,
                             spaceBefore=6, spaceAfter=3),
        "cover": ParagraphStyle("cover", parent=base, fontName=FONT_BOLD, fontSize=28,
                                leading=36, alignment=TA_CENTER, spaceAfter=16),
        "covermeta": ParagraphStyle("covermeta", parent=base, fontSize=13, leading=20,
                                    alignment=TA_CENTER),
        "confidential": ParagraphStyle("confidential", parent=base, alignment=TA_CENTER,
                                       textColor=MUTED),
        "note": ParagraphStyle("note", parent=base, leftIndent=10, borderPadding=(4, 6, 4, 6),
                               spaceBefore=2, spaceAfter=8),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=14, bulletIndent=4,
                                 spaceAfter=2),
        "facilitator": ParagraphStyle("facilitator", parent=base, fontSize=9, leading=12,
                                      leftIndent=8, textColor=colors.HexColor("#0B4F7A"),
                                      backColor=colors.HexColor("#EEF3F8"),
                                      borderPadding=(3, 4, 3, 4), spaceBefore=3, spaceAfter=6),
    }


class _Text:
    """Builds paragraphs from user or content text, tracking uncoverable characters."""

    def __init__(self) -> None:
        _register_fonts()
        self.styles = _styles()
        self.missing: set[str] = set()
        self._covered = set(pdfmetrics.getFont(FONT).face.charToGlyph)

    def check(self, text: str) -> None:
        for ch in text:
            if ord(ch) >= 32 and not ch.isspace() and ord(ch) not in self._covered:
                self.missing.add(ch)

    def para(self, text: str, style: str = "body", width: float = FRAME_W,
             prefix: str = "", lead: str = "", base: str | None = None) -> Paragraph:
        """A paragraph of plain text (never markup).

        ``prefix`` is trusted markup (labels from the toolkit); ``lead`` is user
        text shown in bold before it (a name); ``base="L"`` keeps a toolkit
        sentence left to right even when it starts with a right-to-left name.
        """
        self.check(text + lead)
        st = self.styles[style]
        if lead:
            prefix = f"<b>{markup(visual_order(lead))}</b> " + prefix
        lines, rtl = visual_lines(
            text, width - st.leftIndent - st.rightIndent - FRAME_PADDING,
            lambda s: pdfmetrics.stringWidth(s, st.fontName, st.fontSize), base,
        )
        body = "<br/>".join(markup(line) for line in lines)
        if rtl and st.alignment == TA_LEFT:
            st = ParagraphStyle(f"{style}-rtl", parent=st, alignment=TA_RIGHT)
        return Paragraph(prefix + body, st)

    def paras(self, text: str, style: str = "body", width: float = FRAME_W) -> list[Paragraph]:
        """Long user text as several paragraphs of at most CHUNK characters.

        ReportLab breaks a paragraph again from its start at every page split,
        which makes one huge paragraph cost the square of its length; pieces of
        bounded size keep a long note linear.
        """
        pieces = _chunks(text, CHUNK)
        if len(pieces) == 1:
            return [self.para(text, style, width)]
        st = self.styles[style]
        inner = ParagraphStyle(f"{style}-inner", parent=st, spaceBefore=0, spaceAfter=0)
        first = ParagraphStyle(f"{style}-first", parent=st, spaceAfter=0)
        last = ParagraphStyle(f"{style}-last", parent=st, spaceBefore=0)
        out = []
        for i, piece in enumerate(pieces):
            self.styles["_piece"] = first if i == 0 else last if i == len(pieces) - 1 else inner
            out.append(self.para(piece, "_piece", width))
        return out

    def finish(self, where: str) -> None:
        warn_missing(self.missing, where)


CHUNK = 1500  # characters per paragraph for long user text


def _chunks(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most ``limit`` characters: at line breaks where
    possible, else at the last space, else anywhere."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            head, line = line[:cut], line[cut:].lstrip(" ")
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not pieces:
        pieces.append(current)
    return pieces


class _NumberedCanvas(rl_canvas.Canvas):
    """Draws "Page n of N" and who the report is for once all pages are known."""

    label = "Confidential"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int) -> None:
        _footer(self, f"Confidential. {self.label}", f"Page {self._pageNumber} of {total}")


def _canvas_for(label: str) -> type[_NumberedCanvas]:
    return type("ReaderCanvas", (_NumberedCanvas,), {"label": label})


def _footer(canvas: rl_canvas.Canvas, left: str, right: str) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    left = visual_order(left, "L")
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, 1.2 * cm, left)
    canvas.drawRightString(PAGE_W - MARGIN, 1.2 * cm, right)
    canvas.restoreState()


def _doc(buffer: io.BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=2.2 * cm, title=title, author="Couples' independence workshop toolkit",
        subject="Confidential", creator="couples-toolkit",
    )


def _table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1,
                  hAlign="LEFT")
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF3F8")),
                  ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT)]
    table.setStyle(TableStyle(style))
    return table


def _column_widths(section: PlanSection, total: float) -> list[float]:
    fixed = {"partner": 2.6 * cm, "date": 2.6 * cm, "check": 1.6 * cm}
    used = sum(fixed.get(c.type, 0) for c in section.columns)
    texts = sum(1 for c in section.columns if c.type == "text") or 1
    return [fixed.get(c.type, (total - used) / texts) for c in section.columns]


def _cell_value(column_type: str, value: Any, names: Mapping[str, str]) -> str:
    if value in (None, ""):
        return ""
    if column_type == "partner":
        return {"a": names["a"], "b": names["b"], "both": "Both of us"}.get(value, str(value))
    if column_type == "check":
        return "yes" if value else ""
    if column_type == "date":
        return _long_date(value)
    return str(value)


def _long_date(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d %B %Y").lstrip("0") if iso else ""


# --- the session report -------------------------------------------------------------


READERS = ("couple", "a", "b", "facilitator")


def reader_label(reader: str, names: Mapping[str, str]) -> str:
    """What every page says about who the report is for."""
    if reader == "facilitator":
        return "Facilitator's copy: not for the couple"
    if reader in PARTNERS:
        return f"For {names[reader]} only"
    return f"For {names['a']} and {names['b']}"


def session_report(content: Content, data: SessionData, scores: SessionScores, *,
                   facilitator: str | None = None, picture: bytes | None = None,
                   since: SinceLastTime | None = None, reader: str = "couple") -> bytes:
    """A session's report for one reader, as PDF bytes.

    ``reader`` is "couple" (the take-home report: shared notes only), "a" or
    "b" (the same plus that partner's own private notes), or "facilitator"
    (everything, with the facilitator's notes for each item and the safety
    screen). ``scores`` are the
    session's scores (the open session model has them cached); ``picture`` is
    the profile as a print PNG, when it was drawn already, so the report does
    not draw it again; ``since`` (for a session after the first) adds what
    changed since the previous session.
    """
    if reader not in READERS:
        raise ValueError(f"unknown reader {reader!r} (expected one of {', '.join(READERS)})")
    text = _Text()
    names = {p: data.couple.name(p) for p in PARTNERS}
    label = reader_label(reader, names)
    who = facilitator if facilitator is not None else data.info.facilitator
    story: list[Flowable] = []
    s = text.styles

    # cover
    story += [Spacer(1, 5 * cm), Paragraph("Our session", s["covermeta"]), Spacer(1, 6)]
    story.append(text.para(f"{names['a']} & {names['b']}", "cover"))
    story.append(Paragraph(markup(_long_date(data.info.date)), s["covermeta"]))
    if who:
        story.append(text.para(f"with {who}", "covermeta", base="L"))
    story += [
        Spacer(1, 3 * cm),
        text.para(f"Confidential. {label}. Please keep it somewhere private.", "confidential",
                  base="L"),
        PageBreak(),
    ]

    story += _spectrum_part(text, content, scores, names, picture,
                            facilitator_notes=reader == "facilitator")
    if since is not None:
        story += _since_part(text, content, since, names)
    story += _origins_part(text, content, data, names, reader)
    story += _plan_part(text, content, data, names)
    if reader == "facilitator":
        story += _safety_part(text, content, data, names)

    buffer = io.BytesIO()
    doc = _doc(buffer, f"Session report: {names['a']} & {names['b']}")

    doc.build(story, canvasmaker=_canvas_for(label))
    text.finish("session report")
    return buffer.getvalue()


PICTURE_WIDTH = 10.0  # inches the profile is laid out at


def picture_dpi() -> float:
    """Laid out at PICTURE_WIDTH inches and printed across the frame: the dpi that
    gives PRINT_DPI pixels per printed inch."""
    return PRINT_DPI * (FRAME_W / 72) / PICTURE_WIDTH


def _profile_image(content: Content, scores: SessionScores, names: Mapping[str, str],
                   picture: bytes | None) -> Image:
    from PIL import Image as PILImage

    if picture is None:
        from .plots import profile_png

        picture = profile_png(content.spectrum, scores, names, width=PICTURE_WIDTH,
                              dpi=picture_dpi())
    with PILImage.open(io.BytesIO(picture)) as im:
        w_px, h_px = im.size
    return Image(io.BytesIO(picture), width=FRAME_W, height=FRAME_W * h_px / w_px)


def _spectrum_part(text: _Text, content: Content, scores: SessionScores,
                   names: Mapping[str, str], picture: bytes | None,
                   facilitator_notes: bool = False) -> list[Flowable]:
    s = text.styles
    spectrum = content.spectrum
    ticks = scale_ticks(spectrum)
    lo_label, hi_label = ticks[0][1], ticks[-1][1]
    out: list[Flowable] = [Paragraph("Where each of you stands", s["h1"])]
    out.append(text.para(
        f"Each of you placed yourself on {len(spectrum.items)} lines, from leaning "
        f"{spectrum.zones['left']} ({lo_label}) through {spectrum.middle_label.lower()} (0) "
        f"to leaning {spectrum.zones['right']} ({hi_label}). "
        "Neither end is wrong: both are ways people protect themselves.", "body"))
    out.append(_profile_image(content, scores, names, picture))
    out.append(Spacer(1, 6))
    for row in scores.summary.itertuples():
        done = ("" if not row.missing or not row.answered
                else f" (from {row.answered} of {row.total} items)")
        out.append(text.para(f"{row.reading_text}{done}.", "body", lead=row.name, base="L"))

    def item_block(parts: GapText, item_id: str, heading: list[Flowable]) -> KeepTogether:
        # a section's heading stays on the page of its first item
        block = [*heading, text.para(parts["title"], "h3"),
                 text.para(parts["positions"], base="L"),
                 text.para(parts["distance"]),
                 text.para(parts["prompt"], prefix="<i>Talk it through:</i> "),
                 Paragraph("<i>A small step to try:</i>", s["body"])]
        block += [text.para(line, "bullet", base="L") for line in parts["practices"]]
        notes = spectrum.item(item_id).facilitator if facilitator_notes else {}
        if notes:
            block.append(text.para(f"Listen for: {notes.get('listen_for', '')} "
                                   f"Ask: {notes.get('ask', '')}", "facilitator",
                                   prefix="<b>For the facilitator.</b> "))
        return KeepTogether(block)

    if len(scores.largest_gaps):
        heading: list[Flowable] = [Paragraph("Where you differ most", s["h2"])]
        opposite = spectrum.opposite_pattern
        if opposite is not None and scores.couple["opposite_pattern"].iloc[0]:
            out.append(KeepTogether([
                *heading, text.para(opposite.title, "h3"), text.para(opposite.text),
                text.para(opposite.prompt, prefix="<i>Talk it through:</i> ")]))
            heading = []
        for _, row in scores.largest_gaps.iterrows():
            out.append(item_block(gap_text(spectrum, row, names), row["item_id"], heading))
            heading = []
    if len(scores.shared):
        heading = [Paragraph("Where you lean the same way", s["h2"])]
        pole = scores.couple["shared_pattern"].iloc[0]
        pattern = spectrum.shared_patterns.get(pole) if pole else None
        if pattern is not None:
            out.append(KeepTogether([
                *heading, text.para(pattern.title, "h3"), text.para(pattern.text),
                text.para(pattern.prompt, prefix="<i>Talk it through:</i> ")]))
            heading = []
        for _, row in scores.shared.iterrows():
            out.append(item_block(shared_text(spectrum, row, names), row["item_id"], heading))
            heading = []
    out.append(CondPageBreak(8 * cm))
    out.append(Paragraph("All items", s["h2"]))
    widths = [FRAME_W - 7.4 * cm, 2.2 * cm, 2.2 * cm, 3.0 * cm]
    rows = [[Paragraph("Item", s["cellhead"]), text.para(names["a"], "cellhead", widths[1]),
             text.para(names["b"], "cellhead", widths[2]), Paragraph("Gap", s["cellhead"])]]

    def fmt(value: Any) -> str:
        if value is None or pd.isna(value):
            return "not answered"
        return position_text(int(value))

    for g in scores.gaps.itertuples():
        gap = "" if pd.isna(g.gap) else str(int(g.gap))
        if g.opposite_poles:
            gap += " (opposite ends)"
        elif g.shared:
            gap += " (same end)"
        rows.append([text.para(g.title, "cell", widths[0]), Paragraph(fmt(g.position_a),
                     s["cell"]), Paragraph(fmt(g.position_b), s["cell"]),
                     Paragraph(gap, s["cell"])])
    out.append(_table(rows, widths))
    return out


def _since_part(text: _Text, content: Content, since: SinceLastTime,
                names: Mapping[str, str]) -> list[Flowable]:
    """What moved since the previous session, which gaps narrowed or widened, and
    how the small risks carried forward went."""
    s = text.styles
    out: list[Flowable] = [
        CondPageBreak(8 * cm),
        Paragraph(f"Since last time (session {since.previous_number}, "
                  f"{markup(_long_date(since.previous_date))})", s["h2"]),
    ]
    before, after = since.before.iloc[0], since.after.iloc[0]
    for p in PARTNERS:
        lb, la = before[f"lean_{p}"], after[f"lean_{p}"]
        if not (pd.isna(lb) or pd.isna(la)):
            out.append(text.para(f"overall lean {lb:+.1f} then, {la:+.1f} now.", lead=names[p],
                                 base="L"))
    if not (pd.isna(before["mean_gap"]) or pd.isna(after["mean_gap"])):
        out.append(text.para(f"The mean gap between you was {before['mean_gap']:.1f} and is "
                             f"{after['mean_gap']:.1f} now."))

    def pos(value: Any) -> str:
        return "-" if value is None or pd.isna(value) else position_text(int(value))

    moved = []
    for r in since.changes.itertuples():
        for p in PARTNERS:
            b, a = getattr(r, f"{p}_before"), getattr(r, f"{p}_after")
            if not (pd.isna(b) or pd.isna(a)) and b != a:
                moved.append(f"{names[p]}, {r.title}: {pos(b)} to {pos(a)}")
    out.append(Paragraph("What moved", s["h3"]))
    if moved:
        out += [text.para(f"• {line}", base="L") for line in moved]
    else:
        out.append(text.para("No answer moved on the items you both answered both times.",
                             "small"))
    narrowed = since.changes[since.changes["gap_change"].fillna(0) < 0]
    widened = since.changes[since.changes["gap_change"].fillna(0) > 0]
    for title, frame in (("Gaps that narrowed", narrowed), ("Gaps that widened", widened)):
        if len(frame):
            out.append(Paragraph(title, s["h3"]))
            out += [text.para(f"• {r.title}: {int(r.gap_before)} then, {int(r.gap_after)} now")
                    for r in frame.itertuples()]
    out.append(Paragraph("How the small risks went", s["h3"]))
    if since.risks.empty:
        out.append(text.para("No small risks came forward from earlier sessions.", "small"))
    else:
        whose = {"a": names["a"], "b": names["b"], "both": "Both of you"}
        for r in since.risks.to_dict("records"):
            who = whose.get(r.get("who") or "", "")
            ask = r.get("ask") if isinstance(r.get("ask"), str) else ""
            tried = "tried" if r.get("done") is True else "not tried yet"
            went = r.get("how_it_went") if isinstance(r.get("how_it_went"), str) else ""
            line = f"• {who + ': ' if who else ''}{ask} ({tried})"
            out.append(text.para(line + (f". How it went: {went}" if went.strip() else ""),
                                 base="L"))
    return out


def _origins_part(text: _Text, content: Content, data: SessionData,
                  names: Mapping[str, str], reader: str) -> list[Flowable]:
    """Each partner's reflection. A note is printed for its writer, for the
    facilitator, or for the couple only when its writer chose to share it."""
    s = text.styles
    labels = content.origins.resonance_labels
    out: list[Flowable] = [PageBreak(), Paragraph("Where the patterns came from", s["h1"])]
    for partner in PARTNERS:
        out.append(text.para(names[partner], "h2"))
        shown = private = 0
        for section in content.origins.sections:
            resonance, notes = data.origin(partner, section.id)
            shared = data.shared(partner, section.id)
            visible = notes.strip() and (shared or reader in (partner, "facilitator"))
            if notes.strip() and not visible:
                private += 1
            if resonance is None and not visible:
                continue
            shown += 1
            heading = section.title
            if resonance is not None:
                heading += f": {labels[resonance].lower()}"
            out.append(CondPageBreak(2.5 * cm))
            out.append(text.para(heading, "h3"))
            if visible:
                if not shared:
                    out.append(Paragraph(
                        "<i>Private note</i>" + (f" ({markup(names[partner])} has not shared "
                                                 "it)" if reader == "facilitator" else ""),
                        s["small"]))
                out += text.paras(notes, "note", FRAME_W)
        if not shown:
            out.append(text.para("Nothing marked or noted yet.", "small"))
        if private and reader == "couple":
            out.append(text.para("Notes kept private are not printed here.", "small"))
    return out


def _safety_part(text: _Text, content: Content, data: SessionData,
                 names: Mapping[str, str]) -> list[Flowable]:
    """The safety screen, for the facilitator's copy only."""
    from .safety import safety_result

    screen = content.safety
    s = text.styles
    out: list[Flowable] = [PageBreak(), Paragraph("Safety screen (facilitator only)", s["h1"])]
    if screen is None:
        return [*out, text.para("These worksheets have no safety screen.", "small")]
    result = safety_result(content, data)
    words = screen.facilitator
    if result.concern:
        out += [text.para(words["concern_title"], "h2"), text.para(words["concern"])]
        out.append(text.para("Confirmed after speaking with each partner on their own."
                             if result.confirmed else
                             "Not yet confirmed: joint exercises stay paused.", "body"))
    elif result.started:
        out += [text.para(words["clear_title"], "h2"), text.para(words["clear"])]
    else:
        out.append(text.para("Neither partner has answered the screen in this session.",
                             "small"))
    widths = [FRAME_W - 7.0 * cm, 3.5 * cm, 3.5 * cm]
    rows = [[Paragraph("Question", s["cellhead"]),
             text.para(names["a"], "cellhead", widths[1]),
             text.para(names["b"], "cellhead", widths[2])]]
    for question in screen.questions:
        cells = [text.para(question.text, "cell", widths[0])]
        for partner in PARTNERS:
            chosen = data.safety(partner).get(question.id)
            label = "not answered"
            if chosen is not None:
                try:
                    option = question.option(chosen)
                    label = option.label + (" (concern)" if option.concern else "")
                except KeyError:
                    label = f"{chosen} (concern)"
            cells.append(text.para(label, "cell", widths[1]))
        rows.append(cells)
    out.append(_table(rows, widths))
    return out


def _plan_part(text: _Text, content: Content, data: SessionData,
               names: Mapping[str, str]) -> list[Flowable]:
    s = text.styles
    plan = content.boundaries
    out: list[Flowable] = [PageBreak(), Paragraph(markup(plan.title), s["h1"])]
    for section in plan.sections:
        out.append(CondPageBreak(4 * cm))
        out.append(text.para(section.title, "h2"))
        if section.kind == "date":
            day = data.plan_value(section.id) or ""
            out.append(text.para(_long_date(day) if day else "Not set yet."))
            continue
        rows = data.plan(section.id)
        if not rows:
            out.append(text.para("Nothing written here yet.", "small"))
            continue
        widths = _column_widths(section, FRAME_W)
        table_rows = [[text.para(c.label, "cellhead", w) for c, w in
                       zip(section.columns, widths, strict=True)]]
        for row in rows:
            table_rows.append([
                text.paras(_cell_value(c.type, row.get(c.id), names), "cell", w - 8)
                for c, w in zip(section.columns, widths, strict=True)
            ])
        out.append(_table(table_rows, widths))
    return out


# --- blank and fillable worksheets --------------------------------------------------


class _Boxes(Flowable):
    """A row of labelled tick boxes, or radio buttons in a fillable form."""

    def __init__(self, labels: list[str], values: list[str], name: str | None,
                 tooltip: str, box: float = 12) -> None:
        super().__init__()
        self.labels, self.values, self.name, self.tooltip, self.box = (
            labels, values, name, tooltip, box)
        self.width, self.height = FRAME_W, box + 14

    def draw(self) -> None:
        c = self.canv
        step = self.width / len(self.labels)
        c.setFont(FONT, 8)
        c.setFillColor(MUTED)
        for i, label in enumerate(self.labels):
            x = step * i + step / 2
            c.drawCentredString(x, 0, label)
            if self.name:
                c.acroForm.radio(
                    name=self.name, value=self.values[i], selected=False, x=x - self.box / 2,
                    y=11, size=self.box, buttonStyle="check", shape="square",
                    borderColor=INK, fillColor=colors.white, textColor=ACCENT,
                    borderWidth=0.8, tooltip=self.tooltip, fieldFlags="noToggleToOff radio",
                    relative=True, forceBorder=True,
                )
            else:
                c.setStrokeColor(INK)
                c.setLineWidth(0.8)
                c.rect(x - self.box / 2, 11, self.box, self.box)


class _Field(Flowable):
    """Ruled lines to write on, or a text field in a fillable form."""

    def __init__(self, name: str | None, tooltip: str, lines: int = 3,
                 width: float = FRAME_W, value: str = "") -> None:
        super().__init__()
        self.name, self.tooltip, self.lines, self.value = name, tooltip, lines, value
        self.width, self.height = width, lines * 18 + 2

    def draw(self) -> None:
        c = self.canv
        if self.name:
            c.acroForm.textfield(
                name=self.name, tooltip=self.tooltip, x=0, y=0, width=self.width,
                height=self.height, fontName="Helvetica", fontSize=10, borderWidth=0.6,
                borderColor=RULE, fillColor=colors.HexColor("#FAFBFD"), textColor=INK,
                fieldFlags="multiline" if self.lines > 1 else "", relative=True,
                forceBorder=True, value=self.value,
            )
            return
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        for i in range(self.lines):
            y = self.height - 18 * (i + 1)
            c.line(0, y, self.width, y)


class _Check(Flowable):
    def __init__(self, name: str | None, tooltip: str) -> None:
        super().__init__()
        self.name, self.tooltip = name, tooltip
        self.width, self.height = 14, 14

    def draw(self) -> None:
        if self.name:
            self.canv.acroForm.checkbox(
                name=self.name, tooltip=self.tooltip, x=0, y=0, size=12, buttonStyle="check",
                borderColor=INK, fillColor=colors.white, textColor=ACCENT, borderWidth=0.8,
                fieldFlags="", relative=True, forceBorder=True, checked=False,
            )
        else:
            self.canv.setStrokeColor(INK)
            self.canv.rect(0, 0, 12, 12)


def _latin1(text: str, fallback: str) -> str:
    """Form field strings must be Latin-1; content in other scripts falls back."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return fallback
    return text


def blank_worksheets(content: Content, *, fillable: bool = False,
                     names: Mapping[str, str] | None = None) -> bytes:
    """The three worksheets to print (or fill in, with ``fillable=True``), as PDF bytes.

    Made for a couple (``names``), each page says whose it is and the form
    arrives with their names filled in; without names, the lines are left for
    them to write on.
    """
    text = _Text()
    s = text.styles
    story: list[Flowable] = []
    title = "Worksheets" + (" (fillable)" if fillable else "")
    whose = {p: (names or {}).get(p, "") for p in PARTNERS}

    def whose_page(p: str) -> str:
        return whose[p] or f"Partner {p.upper()}"

    story.append(Paragraph("Couples' independence worksheets", s["h1"]))
    story.append(text.para(
        "Fill these in on your own first where it says so, then together. Tick one box per "
        "line. There are no right answers." if not fillable else
        "Fill these in on a tablet or computer, then bring the file to your next session. "
        f"{whose_page('a')} and {whose_page('b')} each answer their own spectrum page on "
        "their own.", "body"))
    if fillable:
        story.append(_VersionField(form_stamp(content)))

    def name_cell(p: str) -> Flowable:
        if whose[p] and not fillable:
            return text.para(whose[p], "body", 6 * cm)
        # form fields hold Latin-1 only: a name in another script is written in by hand
        return _Field(f"name.{p}" if fillable else None, f"Partner {p.upper()}'s name", 1,
                      6 * cm, value=_latin1(whose[p], ""))

    names_rows = [[Paragraph(f"Partner {p.upper()}", s["cellhead"]), name_cell(p)]
                  for p in PARTNERS]
    story.append(_table(names_rows, [3 * cm, 7 * cm], header=False))

    spectrum = content.spectrum
    ticks = scale_ticks(spectrum)
    labels = [label for _, label in ticks]
    radios = radio_values(spectrum)
    for partner in PARTNERS:
        story.append(PageBreak())
        story.append(text.para(f"{spectrum.title}: {whose_page(partner)}", "h1"))
        story.append(text.para(spectrum.intro, "small"))
        for number, item in enumerate(spectrum.items, start=1):
            third = (FRAME_W - 12) / 3
            statements = Table([[text.para(item.left, "cell", third),
                                 text.para(item.middle, "cell", third),
                                 text.para(item.right, "cell", third)]],
                               colWidths=[third] * 3)
            statements.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                            ("LEFTPADDING", (0, 0), (-1, -1), 2),
                                            ("RIGHTPADDING", (0, 0), (-1, -1), 6)]))
            name = field_name("spectrum", partner, item.id) if fillable else None
            story.append(KeepTogether([
                text.para(f"{number}. {item.title}", "h3"), statements,
                _Boxes(labels, [radios[v] for v, _ in ticks], name,
                       _latin1(f"{item.title} (partner {partner.upper()})", item.id)),
                Spacer(1, 4),
            ]))

    origins = content.origins
    for partner in PARTNERS:
        story.append(PageBreak())
        story.append(text.para(f"{origins.title}: {whose_page(partner)}", "h1"))
        story.append(text.para(origins.intro, "small"))
        for section in origins.sections:
            prompts = " ".join(section.prompts)
            story.append(KeepTogether([
                text.para(section.title, "h3"), text.para(section.intro, "small"),
                text.para(prompts, "body"),
                _Boxes(list(origins.resonance_labels),
                       [str(i) for i in range(len(origins.resonance_labels))],
                       field_name("origins", partner, section.id, "resonance")
                       if fillable else None,
                       _latin1(f"{section.title}: how much it resonates", section.id)),
                _Field(field_name("origins", partner, section.id, "notes") if fillable
                       else None, _latin1(f"{section.title}: notes", section.id), 3),
            ]))

    plan = content.boundaries
    story.append(PageBreak())
    story.append(text.para(plan.title, "h1"))
    story.append(text.para(plan.intro, "small"))
    for section in plan.sections:
        story.append(CondPageBreak(5 * cm))
        story.append(text.para(section.title, "h2"))
        story.append(text.para(section.intro, "small"))
        if section.kind == "date":
            story.append(_Field(field_name("boundaries", section.id, "date") if fillable
                                else None, "Date (YYYY-MM-DD)", 1, 5 * cm))
            continue
        widths = _column_widths(section, FRAME_W)
        rows: list[list[Any]] = [[text.para(c.label + (" (A, B or both)" if c.type ==
                                                       "partner" else ""), "cellhead", w)
                                  for c, w in zip(section.columns, widths, strict=True)]]
        for row in range(1, PLAN_FORM_ROWS + 1):
            cells = []
            for c, w in zip(section.columns, widths, strict=True):
                name = field_name("boundaries", section.id, row, c.id) if fillable else None
                tip = _latin1(f"{section.title}, row {row}: {c.label}", f"{section.id} {row}")
                if c.type == "check":
                    cells.append(_Check(name, tip))
                else:
                    lines = 2 if c.type == "text" else 1
                    cells.append(_Field(name, tip, lines, w - 8))
            rows.append(cells)
        story.append(_table(rows, widths))

    buffer = io.BytesIO()
    doc = _doc(buffer, title)

    def footer(canvas: rl_canvas.Canvas, document: SimpleDocTemplate) -> None:
        _footer(canvas, "Confidential once filled in", f"Page {document.page}")

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    text.finish("worksheets")
    return buffer.getvalue()


class _VersionField(Flowable):
    """A read-only field recording which worksheets the form was made from."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self.value = value
        self.width, self.height = FRAME_W, 0

    def draw(self) -> None:
        # hidden: read back on import, never shown or printed
        self.canv.acroForm.textfield(
            name="toolkit.form", value=self.value, x=0, y=0, width=40, height=8,
            fontName="Helvetica", fontSize=6, borderWidth=0, textColor=MUTED,
            fillColor=colors.white, fieldFlags="readOnly", relative=True,
            tooltip="Form version", annotationFlags="hidden",
        )


def encrypt_pdf(data: bytes, password: str) -> bytes:
    """The same PDF, opening only with ``password`` (AES-256), for reports that
    travel by email."""
    from pypdf import PdfReader, PdfWriter

    if not password:
        raise ValueError("a password cannot be empty")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=None, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_pdf(data: bytes, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write PDF bytes privately (0600); never replaces an existing file unless asked."""
    return write_private(data, path, overwrite=overwrite)


# --- the handout and the homework sheet ---------------------------------------------


def handout_pdf(content: Content) -> bytes:
    """The one-page handout on the four patterns, for the couple to take home."""
    if content.handout is None:
        raise ValueError(f"{content.folder}: there is no handout.yaml in these worksheets")
    handout = content.handout
    text = _Text()
    story: list[Flowable] = [text.para(handout.title, "h1"), text.para(handout.intro)]
    for pattern in handout.patterns:
        story.append(KeepTogether([text.para(pattern.title, "h3"), text.para(pattern.text)]))
    story += [Spacer(1, 6), text.para(handout.closing, "body")]
    buffer = io.BytesIO()
    doc = _doc(buffer, handout.title)

    def footer(canvas: rl_canvas.Canvas, document: SimpleDocTemplate) -> None:
        _footer(canvas, "Couples' independence worksheets: a handout to keep",
                f"Page {document.page}")

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    text.finish("handout")
    return buffer.getvalue()


HOMEWORK_WEEKS = 4


def homework_pdf(content: Content, data: SessionData, *, fillable: bool = False) -> bytes:
    """A between-session sheet built from the plan: each small risk to try (with a
    box for "tried it" and lines for how it went) and each ritual of connection
    (a box per week). ``fillable=True`` makes the boxes and lines form fields."""
    text = _Text()
    s = text.styles
    names = {p: data.couple.name(p) for p in PARTNERS}
    whose = {"a": names["a"], "b": names["b"], "both": "Both of you"}
    plan = content.boundaries
    story: list[Flowable] = [
        text.para("Between now and our next session", "h1"),
        text.para(f"{names['a']} & {names['b']}, after session {data.info.number} on "
                  f"{_long_date(data.info.date)}.", base="L"),
    ]
    review = data.plan_value("review") if "review" in plan.ids else None
    if review:
        story.append(text.para(f"We look at our plan again on {_long_date(review)}."))
    story.append(text.para(
        "Small steps count. Tick what you tried, and jot down how it went, so you can bring "
        "it to your next session." + (" Fill this in on a tablet or computer." if fillable
                                      else ""), "small"))

    def field(name: str) -> str | None:
        return field_name("homework", name) if fillable else None

    if "small_risks" in plan.ids:
        section = plan.section("small_risks")
        story.append(text.para(section.title, "h2"))
        everything = data.plan("small_risks")
        rows = [row for row in everything if row.get("done") is not True]
        if not everything:
            story.append(text.para("No small risks written down yet: choose one together.",
                                   "small"))
        elif not rows:
            story.append(text.para("Every small risk in your plan has been tried. Well done: "
                                   "choose the next one together.", "small"))
        widths = [3.0 * cm, FRAME_W - 3.0 * cm - 2.4 * cm - 1.8 * cm, 2.4 * cm, 1.8 * cm]
        if rows:
            story.append(_table([[Paragraph(label, s["cellhead"]) for label in
                                  ("Who", "The small risk", "By when", "Tried it")]],
                                widths))
        for row in rows:
            who = whose.get(row.get("who") or "", "")
            by_when = _long_date(row.get("by_when") or "")
            table = [[text.para(who, "cell", widths[0]),
                      text.para(str(row.get("ask") or ""), "cell", widths[1]),
                      text.para(by_when, "cell", widths[2]),
                      _Check(field(f"small_risks.{row['row']}.done"),
                             _latin1(f"Tried: {row.get('ask') or ''}", "Tried it"))]]
            story.append(KeepTogether([
                _table(table, widths, header=False),
                text.para("How it went:", "small"),
                _Field(field(f"small_risks.{row['row']}.how_it_went"),
                       _latin1("How it went", "How it went"), 2),
                Spacer(1, 6),
            ]))
    if "rituals" in plan.ids:
        section = plan.section("rituals")
        story.append(CondPageBreak(5 * cm))
        story.append(text.para(section.title, "h2"))
        rows = data.plan("rituals")
        if not rows:
            story.append(text.para("No rituals written down yet: pick one small one together.",
                                   "small"))
        for row in rows:
            starter = whose.get(row.get("who_starts") or "", "")
            detail = ", ".join(p for p in (str(row.get("how_often") or ""),
                                           f"started by {starter}" if starter else "") if p)
            weeks = [[Paragraph(f"Week {n}", s["cell"]) for n in range(1, HOMEWORK_WEEKS + 1)],
                     [_Check(field(f"rituals.{row['row']}.week{n}"), f"Week {n}")
                      for n in range(1, HOMEWORK_WEEKS + 1)]]
            story.append(KeepTogether([
                text.para(str(row.get("ritual") or ""), "h3"),
                text.para(detail, "small") if detail else Spacer(1, 0),
                _table(weeks, [2.2 * cm] * HOMEWORK_WEEKS, header=False),
                Spacer(1, 6),
            ]))
    story.append(CondPageBreak(4 * cm))
    story.append(text.para("Anything else we noticed", "h2"))
    story.append(_Field(field("notes"), "Anything else we noticed", 5))

    buffer = io.BytesIO()
    doc = _doc(buffer, f"Between sessions: {names['a']} & {names['b']}")

    def footer(canvas: rl_canvas.Canvas, document: SimpleDocTemplate) -> None:
        _footer(canvas, f"Confidential. For {names['a']} and {names['b']}",
                f"Page {document.page}")

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    text.finish("homework sheet")
    return buffer.getvalue()
