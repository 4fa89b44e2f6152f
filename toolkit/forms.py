"""Filled worksheet forms read back into a session.

The fillable PDF (``toolkit.report.blank_worksheets(fillable=True)``) names
each field after the answer it holds and carries a stamp of the worksheet
versions it was made from; this module reads those fields back, checks every
value as the widgets would, and stores them as one new session, or nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .content import Content, SpectrumWorksheet
from .responses import COUPLE, PARTNERS, AnswerError, AnswerKey, validate_answer
from .store.base import SessionStore

__all__ = [
    "FORM_FORMAT",
    "FormAnswers",
    "FormError",
    "field_name",
    "form_stamp",
    "import_form",
    "radio_values",
    "read_form",
]

FORM_FORMAT = "couples-toolkit/form"
MAX_FORM_BYTES = 50 * 1024 * 1024
FORM_VERSION = 1
PLAN_FORM_ROWS = 4


class FormError(ValueError):
    """A filled form cannot be imported; says what is wrong. Nothing was written."""


def radio_values(spectrum: SpectrumWorksheet) -> dict[int, str]:
    """Export value of each scale point's radio button (PDF names cannot hold '-')."""
    return {v: (f"m{-v}" if v < 0 else f"p{v}" if v > 0 else "0")
            for v in range(spectrum.scale_min, spectrum.scale_max + 1)}


def field_name(*parts: object) -> str:
    return ".".join(str(p) for p in parts)


def form_stamp(content: Content) -> str:
    """What the form records about the worksheets it was made from."""
    return (f"{FORM_FORMAT} v{FORM_VERSION}; spectrum {content.spectrum.version}; "
            f"origins {content.origins.version}; boundaries {content.boundaries.version}")


@dataclass
class FormAnswers:
    """What a filled form holds, validated and ready to store."""

    answers: dict[AnswerKey, Any] = field(default_factory=dict)
    plan_rows: dict[str, list[int]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


def _form_value(raw: Any) -> str:
    if raw is None:
        return ""
    value = str(raw)
    return "" if value in ("/Off", "Off") else value.lstrip("/")


def read_form(content: Content, path: str | os.PathLike[str]) -> FormAnswers:
    """Read and validate a filled worksheet form; raises FormError on any problem."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    source = Path(path)
    if source.is_dir() or (source.exists() and not source.is_file()):
        raise FormError(f"{source}: not a PDF file (a folder or device); nothing was imported")
    if source.exists() and source.stat().st_size > MAX_FORM_BYTES:
        raise FormError(f"{source}: larger than {MAX_FORM_BYTES // 2**20} MB, far more than a "
                        "filled form; nothing was imported")
    try:
        reader = PdfReader(source)
        if reader.is_encrypted:
            raise FormError(f"{source}: the form is password-protected; save an unprotected "
                            "copy and import that. Nothing was imported.")
        fields = reader.get_fields() or {}
    except FileNotFoundError:
        raise FormError(f"{source}: file not found") from None
    except (DependencyError, FileNotDecryptedError):
        raise FormError(f"{source}: the form is password-protected; save an unprotected copy "
                        "and import that. Nothing was imported.") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError,
            RecursionError) as exc:
        raise FormError(f"{source}: not a readable PDF ({str(exc)[:120]}); nothing was "
                        "imported") from None
    values = {name: _form_value(f.get("/V")) for name, f in fields.items()}
    stamp = values.get("toolkit.form", "")
    if not stamp.startswith(FORM_FORMAT):
        raise FormError(f"{source}: not a worksheet form from this toolkit")
    expected = form_stamp(content)
    if stamp != expected:
        raise FormError(f"{source}: made from other worksheet versions ({stamp}); these "
                        f"worksheets are: {expected}")
    by_radio = {code: v for v, code in radio_values(content.spectrum).items()}
    out = FormAnswers()
    try:
        for partner in PARTNERS:
            out.names[partner] = values.get(f"name.{partner}", "").strip()
            for item in content.spectrum.items:
                raw = values.get(field_name("spectrum", partner, item.id), "")
                if raw:
                    if raw not in by_radio:
                        raise FormError(f"{source}: spectrum item '{item.id}' (partner "
                                        f"{partner.upper()}) has an unknown value {raw!r}")
                    key = AnswerKey("spectrum", partner, item.id, 0, "position")
                    out.answers[key] = validate_answer(content, key, by_radio[raw])
            for section in content.origins.sections:
                raw = values.get(field_name("origins", partner, section.id, "resonance"), "")
                if raw:
                    if not (raw.isascii() and raw.isdigit()):
                        raise FormError(f"{source}: origin section '{section.id}' (partner "
                                        f"{partner.upper()}) has an unknown value {raw!r}")
                    key = AnswerKey("origins", partner, section.id, 0, "resonance")
                    out.answers[key] = validate_answer(content, key, int(raw))
                notes = values.get(field_name("origins", partner, section.id, "notes"), "")
                if notes.strip():
                    key = AnswerKey("origins", partner, section.id, 0, "notes")
                    out.answers[key] = validate_answer(content, key, notes)
        for section in content.boundaries.sections:
            if section.kind == "date":
                day = values.get(field_name("boundaries", section.id, "date"), "").strip()
                if day:
                    key = AnswerKey("boundaries", COUPLE, section.id, 0, "date")
                    out.answers[key] = validate_answer(content, key, day)
                continue
            row_number = 0
            for row in range(1, PLAN_FORM_ROWS + 1):
                cells = {}
                for c in section.columns:
                    raw = values.get(field_name("boundaries", section.id, row, c.id), "")
                    if c.type == "check":
                        if raw:
                            cells[c.id] = True
                    elif raw.strip():
                        cells[c.id] = (_partner_code(raw, out.names) if c.type == "partner"
                                       else raw.strip())
                if not cells:
                    continue
                row_number += 1
                out.plan_rows.setdefault(section.id, []).append(row_number)
                for column_id, value in cells.items():
                    key = AnswerKey("boundaries", COUPLE, section.id, row_number, column_id)
                    out.answers[key] = validate_answer(content, key, value)
    except AnswerError as exc:
        raise FormError(f"{source}: {exc}") from None
    return out


def _partner_code(raw: str, names: Mapping[str, str]) -> str:
    """What a person may type in a "whose" box: A, B, both, or one of the names."""
    value = raw.strip().casefold()
    codes = {"a": "a", "partner a": "a", "b": "b", "partner b": "b", "both": "both",
             "both of us": "both", "ab": "both", "a and b": "both", "a+b": "both"}
    codes.update({name.casefold(): p for p, name in names.items() if name})
    if value not in codes:
        raise AnswerError(f"'{raw}' should be A, B or both")
    return codes[value]


def import_form(store: SessionStore, path: str | os.PathLike[str], couple_id: str,
                *, date: str | dt.date | None = None) -> int:
    """Import a filled form into a new session for ``couple_id``; returns the session id.

    Everything is checked before anything is written; on a problem nothing is.
    """
    form = read_form(store.content, path)
    store.couple(couple_id)
    if not form.answers and not form.plan_rows:
        raise FormError(f"{path}: the form is empty; nothing was imported")
    info = store.add_session(couple_id, answers=form.answers, plan_rows=form.plan_rows,
                             date=date or dt.date.today(), facilitator="")
    return info.id
