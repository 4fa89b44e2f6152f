"""Worksheet content: YAML a facilitator can edit, loaded into immutable objects.

The YAML files are the only place the wording of the worksheets lives, so a
practice can rewrite or translate them without touching code. Because they
are hand-edited, every mistake is reported with the file, the item and the
field it concerns, before anything is shown to a couple.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

__all__ = [
    "Referrals",
    "SafetyScreen",
    "Handout",
    "HandoutPattern",
    "SharedPattern",
    "archived_contents",
    "content_for",
    "BoundariesWorksheet",
    "Column",
    "Content",
    "ContentError",
    "OriginSection",
    "OriginsWorksheet",
    "PlanSection",
    "SpectrumItem",
    "SpectrumWorksheet",
    "WORKSHEETS_ENV",
    "default_worksheets_dir",
    "load_content",
]

WORKSHEETS_ENV = "TOOLKIT_WORKSHEETS_DIR"
SCALE_MIN, SCALE_MAX = -3, 3
RESONANCE_MIN, RESONANCE_MAX = 0, 3
COLUMN_TYPES = ("text", "partner", "date", "check")
SECTION_KINDS = ("table", "date")


class ContentError(ValueError):
    """A worksheet file is malformed; the message names file, item and field."""

    def __init__(
        self,
        file: str | os.PathLike[str],
        message: str,
        *,
        item: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file = str(file)
        self.item = item
        self.field = field
        self.line = line
        where = self.file
        if line is not None:
            where += f", line {line}"
        if item is not None:
            where += f", item '{item}'"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")


SIDES = ("left", "middle", "right")
POLES = ("left", "right")


@dataclass(frozen=True)
class SpectrumItem:
    """One line of the spectrum.

    ``practice`` has a small step for a partner standing at each side
    ("left", "middle", "right"); ``shared_prompt`` a question for when both
    partners lean toward the same pole ("left" or "right"); ``facilitator``
    what to listen for and a follow-up question ("listen_for", "ask"), for the
    facilitator's eyes only. Older worksheets may leave the last two empty.
    """

    id: str
    title: str
    left: str
    middle: str
    right: str
    prompt: str
    practice: Mapping[str, str]
    sources: tuple[str, ...]
    shared_prompt: Mapping[str, str] = field(default_factory=dict)
    facilitator: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SharedPattern:
    """What to say when both partners lean toward the same pole on several items."""

    title: str
    text: str
    prompt: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class SpectrumWorksheet:
    version: int
    title: str
    intro: str
    scale_min: int
    scale_max: int
    left_label: str
    middle_label: str
    right_label: str
    items: tuple[SpectrumItem, ...]
    # zone id ("left", "middle", "right") -> words used inside sentences
    zones: Mapping[str, str] = field(default_factory=dict)
    # reading id -> a sentence continuing a partner's name, and a short title
    readings: Mapping[str, str] = field(default_factory=dict)
    reading_titles: Mapping[str, str] = field(default_factory=dict)
    # pole ("left", "right") -> the couple-level text for a shared pattern
    shared_patterns: Mapping[str, SharedPattern] = field(default_factory=dict)
    # the couple-level text when partners stand at opposite ends on several items
    opposite_pattern: SharedPattern | None = None

    def item(self, item_id: str) -> SpectrumItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


@dataclass(frozen=True)
class OriginSection:
    id: str
    title: str
    intro: str
    prompts: tuple[str, ...]
    sources: tuple[str, ...]
    facilitator: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OriginsWorksheet:
    version: int
    title: str
    intro: str
    resonance_labels: tuple[str, ...]
    sections: tuple[OriginSection, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(section.id for section in self.sections)


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    type: str


@dataclass(frozen=True)
class PlanSection:
    id: str
    title: str
    kind: str
    intro: str
    columns: tuple[Column, ...]
    sources: tuple[str, ...]

    def column(self, column_id: str) -> Column:
        for column in self.columns:
            if column.id == column_id:
                return column
        raise KeyError(column_id)


@dataclass(frozen=True)
class BoundariesWorksheet:
    version: int
    title: str
    intro: str
    sections: tuple[PlanSection, ...]

    def section(self, section_id: str) -> PlanSection:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(section.id for section in self.sections)


@dataclass(frozen=True)
class HandoutPattern:
    id: str
    title: str
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Handout:
    """The one-page take-home handout: the four patterns in plain words."""

    version: int
    title: str
    intro: str
    patterns: tuple[HandoutPattern, ...]
    closing: str


@dataclass(frozen=True)
class SafetyOption:
    id: str
    label: str
    concern: bool


@dataclass(frozen=True)
class SafetyQuestion:
    id: str
    text: str
    options: tuple[SafetyOption, ...]

    def option(self, option_id: str) -> SafetyOption:
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)


@dataclass(frozen=True)
class SafetyScreen:
    """The private screen each partner answers alone before joint work; only the
    facilitator sees the answers. ``facilitator`` holds the words of the
    facilitator-only result screen (concern_title, concern, clear_title, clear,
    confirm)."""

    version: int
    title: str
    intro: str
    informed_by: tuple[str, ...]
    questions: tuple[SafetyQuestion, ...]
    facilitator: Mapping[str, str]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def question(self, question_id: str) -> SafetyQuestion:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


@dataclass(frozen=True)
class Service:
    name: str
    what: str
    contact: str


@dataclass(frozen=True)
class Referrals:
    """Services the facilitator refers to; the shipped file holds none on purpose."""

    title: str
    intro: str
    emergency: str
    services: tuple[Service, ...]


@dataclass(frozen=True)
class Content:
    """The worksheets, loaded together so versions always match.

    ``handout`` is optional: an archived folder of an older version need not
    have one (the current one is used).
    """

    folder: str
    spectrum: SpectrumWorksheet
    origins: OriginsWorksheet
    boundaries: BoundariesWorksheet
    handout: Handout | None = None
    safety: SafetyScreen | None = None
    referrals: Referrals | None = None

    @property
    def versions(self) -> dict[str, int]:
        """The versions of the worksheets a session answers; stored with each session."""
        versions = {
            "spectrum": self.spectrum.version,
            "origins": self.origins.version,
            "boundaries": self.boundaries.version,
        }
        if self.safety is not None:
            versions["safety"] = self.safety.version
        return versions

    def matches(self, versions: Mapping[str, int]) -> bool:
        """Whether these worksheets are the ones of ``versions`` (worksheets a session
        did not record, such as a safety screen added later, are not compared)."""
        mine = self.versions
        return all(mine.get(name) == version for name, version in versions.items()
                   if name in mine or name not in OPTIONAL)


# --- validation helpers -------------------------------------------------------


class _Reader:
    """Reads one mapping, reporting problems against file/item."""

    def __init__(self, file: str, data: Any, item: str | None, allowed: set[str]) -> None:
        self.file = file
        self.item = item
        if not isinstance(data, Mapping):
            raise ContentError(file, f"expected a mapping, got {_kind(data)}", item=item)
        unknown = sorted(set(map(str, data)) - allowed)
        if unknown:
            raise ContentError(
                file,
                f"unknown field (allowed: {', '.join(sorted(allowed))})",
                item=item,
                field=unknown[0],
            )
        self.data = data

    def error(self, field: str, message: str) -> ContentError:
        return ContentError(self.file, message, item=self.item, field=field)

    def raw(self, field: str) -> Any:
        if field not in self.data:
            raise self.error(field, "missing required field")
        return self.data[field]

    def text(self, field: str, *, default: str | None = None) -> str:
        if default is not None and field not in self.data:
            return default
        value = self.raw(field)
        if not isinstance(value, str):
            raise self.error(field, f"expected text, got {_kind(value)}")
        value = " ".join(value.split())
        if not value:
            raise self.error(field, "must not be empty")
        return value

    def integer(self, field: str) -> int:
        value = self.raw(field)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(field, f"expected a whole number, got {_kind(value)}")
        return value

    def seq(self, field: str, *, default: list[Any] | None = None) -> list[Any]:
        if default is not None and field not in self.data:
            return default
        value = self.raw(field)
        if not isinstance(value, list):
            raise self.error(field, f"expected a list, got {_kind(value)}")
        if not value:
            raise self.error(field, "must not be empty")
        return value

    def texts(self, field: str, *, default: list[Any] | None = None) -> tuple[str, ...]:
        values = self.seq(field, default=default)
        out = []
        for index, value in enumerate(values, start=1):
            if not isinstance(value, str) or not value.strip():
                raise self.error(field, f"entry {index} must be non-empty text, got "
                                        f"{_short(value)}")
            out.append(" ".join(value.split()))
        return tuple(out)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _items(reader: _Reader, field: str) -> list[tuple[str, Any]]:
    """Entries of a list of mappings with a unique id, paired with that id."""
    seen: dict[str, int] = {}
    out = []
    for index, entry in enumerate(reader.seq(field), start=1):
        if not isinstance(entry, Mapping):
            raise reader.error(field, f"entry {index} must be a mapping, got {_kind(entry)}")
        entry_id = entry.get("id")
        label = entry_id if isinstance(entry_id, str) else f"#{index}"
        if not isinstance(entry_id, str) or not entry_id.isidentifier():
            raise ContentError(
                reader.file,
                "missing or invalid id (letters, digits and underscores)",
                item=label,
                field="id",
            )
        if entry_id in seen:
            raise ContentError(
                reader.file,
                f"duplicate id: entry {index} repeats entry {seen[entry_id]}",
                item=entry_id,
                field="id",
            )
        seen[entry_id] = index
        out.append((entry_id, entry))
    return out


def _header(file: str, data: Any, name: str, allowed: set[str]) -> _Reader:
    if isinstance(data, Mapping) and data.get("worksheet") != name:
        raise ContentError(
            file, f"expected worksheet: {name}, got {_short(data.get('worksheet'))}",
            field="worksheet"
        )
    top = _Reader(file, data, None, allowed | {"worksheet", "version", "title", "intro"})
    kind = top.text("worksheet")
    if kind != name:
        raise top.error("worksheet", f"expected '{name}', got '{kind}'")
    if top.integer("version") < 1:
        raise top.error("version", "must be 1 or more")
    return top


MAX_YAML_BYTES = 2 * 1024 * 1024  # a worksheet is a few KB; a guard against the wrong file


def _short(value: Any, limit: int = 60) -> str:
    """A value for an error message, cut short: messages stay one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _WorksheetLoader(yaml.SafeLoader):
    """Safe YAML without aliases: worksheets never need them, and an alias can make a
    10 KB file expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in worksheets; write the text out",
                event.start_mark)
        return super().compose_node(parent, index)


def _parse_yaml(path: Path) -> Any:
    try:
        if path.is_dir():
            raise ContentError(path, "is a folder, not a worksheet file")
        with path.open("rb") as fh:
            raw = fh.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise ContentError(path, "file not found") from None
    except PermissionError:
        raise ContentError(path, "cannot be read (no permission)") from None
    except OSError as exc:
        raise ContentError(path, f"cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_YAML_BYTES:
        raise ContentError(path, f"larger than {MAX_YAML_BYTES // 2**20} MB: not a worksheet")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=_WorksheetLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        raise ContentError(path, f"YAML syntax error: {str(problem)[:200]}",
                           line=line) from None
    except RecursionError:
        raise ContentError(path, "nested far too deeply to be a worksheet") from None


# --- the three worksheets ---------------------------------------------------------


READING_IDS = ("left", "right", "mixed", "pulls_left", "pulls_right", "balanced", "none")


def _default_readings(zones: Mapping[str, str]) -> dict[str, str]:
    """Readings for worksheets that do not word them (the first version did not)."""
    return {
        "left": f"leans {zones['left']}: tends to lean on the relationship to feel steady",
        "right": f"leans {zones['right']}: tends to carry things alone",
        "mixed": "mixed: leans in on some things and holds back on others",
        "pulls_left": f"sits mostly near the middle, with a few answers leaning {zones['left']}",
        "pulls_right": f"sits mostly near the middle, with a few answers leaning "
                       f"{zones['right']}",
        "balanced": "sits close to balanced interdependence",
        "none": "has not answered the spectrum yet",
    }


def _reading_titles(zones: Mapping[str, str]) -> dict[str, str]:
    return {
        "left": f"leans {zones['left']}",
        "right": f"leans {zones['right']}",
        "mixed": "strong answers at both ends",
        "pulls_left": "mostly near the middle",
        "pulls_right": "mostly near the middle",
        "balanced": "near the middle",
        "none": "not answered yet",
    }


def _sided(reader: _Reader, name: str, sides: tuple[str, ...], *, required: bool
           ) -> dict[str, str]:
    """A mapping with one text per side, e.g. practice: {left, middle, right}."""
    if name not in reader.data:
        if required:
            raise reader.error(name, "missing required field")
        return {}
    r = _Reader(reader.file, reader.raw(name), f"{reader.item}.{name}", set(sides))
    return {side: r.text(side) for side in sides}


def _pattern(file: str, data: Any, where: str) -> SharedPattern:
    p = _Reader(file, data, where, {"title", "text", "prompt", "sources"})
    return SharedPattern(p.text("title"), p.text("text"), p.text("prompt"), p.texts("sources"))


def _notes(reader: _Reader) -> dict[str, str]:
    """Facilitator notes: what to listen for and a follow-up question."""
    return _sided(reader, "facilitator", ("listen_for", "ask"), required=False)


def parse_spectrum(data: Any, file: str = "spectrum.yaml") -> SpectrumWorksheet:
    top = _header(file, data, "spectrum",
                  {"scale", "items", "readings", "shared_patterns", "opposite_pattern"})
    scale = _Reader(file, top.raw("scale"), "scale", {
        "min", "max", "left_label", "middle_label", "right_label", "zones"})
    lo, hi = scale.integer("min"), scale.integer("max")
    if (lo, hi) != (SCALE_MIN, SCALE_MAX):
        raise scale.error(
            "min" if lo != SCALE_MIN else "max",
            f"the scale must run from {SCALE_MIN} to {SCALE_MAX}, got {lo}..{hi}",
        )
    fields = {"id", "title", "left", "middle", "right", "prompt", "practice", "sources",
              "shared_prompt", "facilitator"}
    items = []
    for item_id, entry in _items(top, "items"):
        r = _Reader(file, entry, item_id, fields)
        if isinstance(r.raw("practice"), str):  # one practice for everyone (first version)
            practice = dict.fromkeys(SIDES, r.text("practice"))
        else:
            practice = _sided(r, "practice", SIDES, required=True)
        items.append(SpectrumItem(
            id=item_id, title=r.text("title"), left=r.text("left"), middle=r.text("middle"),
            right=r.text("right"), prompt=r.text("prompt"),
            practice=MappingProxyType(practice), sources=r.texts("sources"),
            shared_prompt=MappingProxyType(_sided(r, "shared_prompt", POLES, required=False)),
            facilitator=MappingProxyType(_notes(r)),
        ))
    shared: dict[str, SharedPattern] = {}
    if "shared_patterns" in top.data:
        sp = _Reader(file, top.raw("shared_patterns"), "shared_patterns", set(POLES))
        for pole in POLES:
            if pole in sp.data:
                shared[pole] = _pattern(file, sp.raw(pole), f"shared_patterns.{pole}")
    opposite = (_pattern(file, top.raw("opposite_pattern"), "opposite_pattern")
                if "opposite_pattern" in top.data else None)
    left_label, right_label = scale.text("left_label"), scale.text("right_label")
    zones = {"left": left_label.lower(), "middle": "near the middle",
             "right": right_label.lower()}
    if "zones" in scale.data:
        z = _Reader(file, scale.raw("zones"), "scale.zones", {"left", "middle", "right"})
        zones = {side: z.text(side) for side in ("left", "middle", "right")}
    readings = _default_readings(zones)
    if "readings" in top.data:
        r = _Reader(file, top.raw("readings"), "readings", set(READING_IDS))
        # a reading continues a name inside a sentence; the caller ends the sentence
        readings = {rid: r.text(rid, default=readings[rid]).rstrip(".")
                    for rid in READING_IDS}
    return SpectrumWorksheet(
        version=top.integer("version"), title=top.text("title"), intro=top.text("intro"),
        scale_min=lo, scale_max=hi, left_label=left_label,
        middle_label=scale.text("middle_label"), right_label=right_label,
        items=tuple(items), zones=MappingProxyType(zones),
        readings=MappingProxyType(readings),
        reading_titles=MappingProxyType(_reading_titles(zones)),
        shared_patterns=MappingProxyType(shared),
        opposite_pattern=opposite,
    )


def parse_origins(data: Any, file: str = "origins.yaml") -> OriginsWorksheet:
    top = _header(file, data, "origins", {"resonance", "sections"})
    res = _Reader(file, top.raw("resonance"), "resonance", {"min", "max", "labels"})
    lo, hi = res.integer("min"), res.integer("max")
    if (lo, hi) != (RESONANCE_MIN, RESONANCE_MAX):
        raise res.error(
            "min" if lo != RESONANCE_MIN else "max",
            f"resonance must run from {RESONANCE_MIN} to {RESONANCE_MAX}, got {lo}..{hi}",
        )
    labels = res.texts("labels")
    if len(labels) != hi - lo + 1:
        raise res.error("labels", f"needs {hi - lo + 1} labels, one per point, got {len(labels)}")
    sections = []
    for section_id, entry in _items(top, "sections"):
        r = _Reader(file, entry, section_id,
                    {"id", "title", "intro", "prompts", "sources", "facilitator"})
        sections.append(OriginSection(
            id=section_id, title=r.text("title"), intro=r.text("intro"),
            prompts=r.texts("prompts"), sources=r.texts("sources"),
            facilitator=MappingProxyType(_notes(r)),
        ))
    return OriginsWorksheet(
        version=top.integer("version"), title=top.text("title"), intro=top.text("intro"),
        resonance_labels=labels, sections=tuple(sections),
    )


def parse_boundaries(data: Any, file: str = "boundaries.yaml") -> BoundariesWorksheet:
    top = _header(file, data, "boundaries", {"sections"})
    sections = []
    for section_id, entry in _items(top, "sections"):
        r = _Reader(file, entry, section_id,
                    {"id", "title", "kind", "intro", "columns", "sources"})
        kind = r.text("kind")
        if kind not in SECTION_KINDS:
            raise r.error("kind", f"must be one of {', '.join(SECTION_KINDS)}, got '{kind}'")
        columns: list[Column] = []
        if kind == "table":
            for column_id, col in _items(r, "columns"):
                c = _Reader(file, col, f"{section_id}.{column_id}", {"id", "label", "type"})
                col_type = c.text("type")
                if col_type not in COLUMN_TYPES:
                    raise c.error(
                        "type", f"must be one of {', '.join(COLUMN_TYPES)}, got '{col_type}'"
                    )
                columns.append(Column(id=column_id, label=c.text("label"), type=col_type))
        elif "columns" in entry:
            raise r.error("columns", "only sections of kind 'table' have columns")
        sections.append(PlanSection(
            id=section_id, title=r.text("title"), kind=kind, intro=r.text("intro"),
            columns=tuple(columns), sources=r.texts("sources"),
        ))
    return BoundariesWorksheet(
        version=top.integer("version"), title=top.text("title"), intro=top.text("intro"),
        sections=tuple(sections),
    )


def parse_handout(data: Any, file: str = "handout.yaml") -> Handout:
    top = _header(file, data, "handout", {"patterns", "closing"})
    patterns = []
    for pattern_id, entry in _items(top, "patterns"):
        r = _Reader(file, entry, pattern_id, {"id", "title", "text", "sources"})
        patterns.append(HandoutPattern(pattern_id, r.text("title"), r.text("text"),
                                       r.texts("sources")))
    return Handout(version=top.integer("version"), title=top.text("title"),
                   intro=top.text("intro"), patterns=tuple(patterns),
                   closing=top.text("closing"))


def parse_safety(data: Any, file: str = "safety.yaml") -> SafetyScreen:
    top = _header(file, data, "safety", {"informed_by", "scale", "questions", "facilitator"})

    def options(reader: _Reader, where: str) -> tuple[SafetyOption, ...]:
        out = []
        for option_id, entry in _items(reader, "scale"):
            r = _Reader(file, entry, f"{where}.{option_id}", {"id", "label", "concern"})
            concern = r.raw("concern")
            if not isinstance(concern, bool):
                raise r.error("concern", f"expected true or false, got {_kind(concern)}")
            out.append(SafetyOption(option_id, r.text("label"), concern))
        if not any(o.concern for o in out) or all(o.concern for o in out):
            raise reader.error("scale", "needs answers of concern and answers of no concern")
        return tuple(out)

    default = options(top, "scale")
    questions = []
    for question_id, entry in _items(top, "questions"):
        r = _Reader(file, entry, question_id, {"id", "text", "scale"})
        own = options(r, question_id) if "scale" in r.data else default
        questions.append(SafetyQuestion(question_id, r.text("text"), own))
    f = _Reader(file, top.raw("facilitator"), "facilitator",
                {"concern_title", "concern", "clear_title", "clear", "confirm"})
    words = {k: f.text(k) for k in ("concern_title", "concern", "clear_title", "clear",
                                     "confirm")}
    return SafetyScreen(version=top.integer("version"), title=top.text("title"),
                        intro=top.text("intro"), informed_by=top.texts("informed_by"),
                        questions=tuple(questions), facilitator=MappingProxyType(words))


def parse_referrals(data: Any, file: str = "referrals.yaml") -> Referrals:
    top = _header(file, data, "referrals", {"emergency", "services"})
    raw = top.raw("services") if "services" in top.data else []
    if not isinstance(raw, list):
        raise top.error("services", f"expected a list, got {_kind(raw)}")
    services = []
    for index, entry in enumerate(raw, start=1):
        r = _Reader(file, entry, f"service {index}", {"name", "what", "contact"})
        services.append(Service(r.text("name"), r.text("what", default="-"),
                                r.text("contact")))
    return Referrals(title=top.text("title"), intro=top.text("intro"),
                     emergency=top.text("emergency"), services=tuple(services))


def default_worksheets_dir() -> Path:
    """The folder the toolkit reads when none is given.

    The environment variable lets a practice keep its own edited or translated
    copy without changing notebooks; otherwise the worksheets shipped with the
    toolkit are used (the repository's folder, or the installed copy).
    """
    env = os.environ.get(WORKSHEETS_ENV)
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parent.parent / "worksheets"
    if (repo / "spectrum.yaml").is_file():
        return repo
    from importlib.resources import files

    return Path(str(files("toolkit") / "worksheets"))


ARCHIVE = "archive"
OPTIONAL = ("safety",)  # answered worksheets an older session may not have had
_CACHE: dict[tuple[str, tuple[float, ...]], Content] = {}


def load_content(folder: str | os.PathLike[str] | None = None) -> Content:
    """Load and validate the worksheets from ``folder`` (the ones in use by default).

    Results are cached per folder and file modification time, so widgets and
    the store can ask for content freely while edits on disk still show up.
    """
    base = Path(folder).expanduser() if folder is not None else default_worksheets_dir()
    if not base.is_dir():
        raise ContentError(base, "worksheet folder not found")
    names = ("spectrum", "origins", "boundaries", "handout", "safety", "referrals")
    paths = {name: base / f"{name}.yaml" for name in names}
    stamps = tuple(p.stat().st_mtime if p.exists() else -1.0 for p in paths.values())
    key = (str(base.resolve()), stamps)
    if key in _CACHE:
        return _CACHE[key]
    def optional(name: str, parse: Any) -> Any:
        path = paths[name]
        return parse(_parse_yaml(path), str(path)) if path.exists() else None

    content = Content(
        folder=str(base),
        spectrum=parse_spectrum(_parse_yaml(paths["spectrum"]), str(paths["spectrum"])),
        origins=parse_origins(_parse_yaml(paths["origins"]), str(paths["origins"])),
        boundaries=parse_boundaries(_parse_yaml(paths["boundaries"]), str(paths["boundaries"])),
        handout=optional("handout", parse_handout),
        safety=optional("safety", parse_safety),
        referrals=optional("referrals", parse_referrals),
    )
    _CACHE[key] = content
    return content


def archived_contents(folder: str | os.PathLike[str] | None = None) -> list[Content]:
    """Earlier versions of the worksheets, kept so sessions answered with them are
    shown and printed with their own wording: every ``archive/*/`` folder next to
    the worksheets in use, then those shipped with the toolkit."""
    base = Path(folder).expanduser() if folder is not None else default_worksheets_dir()
    shipped = Path(__file__).resolve().parent.parent / "worksheets"
    if not (shipped / "spectrum.yaml").is_file():
        from importlib.resources import files

        shipped = Path(str(files("toolkit") / "worksheets"))
    found: list[Content] = []
    seen: set[Path] = set()
    for root in (base / ARCHIVE, shipped / ARCHIVE):
        if not root.is_dir():
            continue
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            if sub.resolve() in seen:
                continue
            seen.add(sub.resolve())
            found.append(load_content(sub))
    return found


def content_for(versions: Mapping[str, int], folder: str | os.PathLike[str] | None = None
                ) -> Content:
    """The worksheets a session was answered with: the ones in use when the versions
    match, else an archived copy. Pieces an old folder lacks (the handout) come from
    the worksheets in use."""
    current = load_content(folder)
    if current.matches(versions):
        return current
    for archived in archived_contents(folder):
        if archived.matches(versions):
            return Content(archived.folder, archived.spectrum, archived.origins,
                           archived.boundaries, archived.handout or current.handout,
                           archived.safety or current.safety,
                           archived.referrals or current.referrals)
    wanted = ", ".join(f"{k} {v}" for k, v in versions.items())
    in_use = ", ".join(f"{k} {v}" for k, v in current.versions.items())
    raise ContentError(
        current.folder,
        f"no worksheets of versions {wanted} are available (in use: {in_use}); put a copy of "
        f"the worksheets those answers were given with in a folder under {ARCHIVE}/",
    )
