"""What the benchmark scripts share: percentiles, whole-process runs measured from
outside (wall time and peak memory of the child), generated couples and notes,
and a table printer.

Whole processes are timed the same way for every side of a comparison: from
spawning the child to reaping it with ``os.wait4``, whose resource usage gives
the child's peak resident memory. Every child gets a temporary data folder.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MIB = 1024 * 1024


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


class ProcessFailed(RuntimeError):
    pass


# A child's peak memory cannot be read from this process: Linux carries the
# high-water mark of the memory a child was forked from across exec, so every
# child of a big benchmark process would report at least the benchmark's size.
# A small launcher (isolated, no site packages) starts the command instead,
# times it from spawn to reaping and writes what ``wait4`` says.
LAUNCHER = """
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - start
with open(out, "w") as fh:
    fh.write(f"{elapsed!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run(cmd: Sequence[str], *, env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None, stdout: Any = subprocess.DEVNULL
        ) -> tuple[float, int]:
    """Run ``cmd`` to completion as a whole process: (wall seconds from spawning it
    to reaping it, its peak resident bytes).

    A non-zero exit raises with the child's stderr, so a broken case is never
    reported as a fast one.
    """
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as result:
        launcher = subprocess.run(
            [PYTHON, "-I", "-S", "-c", LAUNCHER, result.name, *map(str, cmd)],
            env=dict(env) if env is not None else None, cwd=cwd, stdin=subprocess.DEVNULL,
            stdout=stdout, stderr=err)
        fields = result.read().split()
        code = int(fields[2]) if len(fields) == 3 else launcher.returncode or 1
        if code:
            err.seek(0)
            message = err.read().decode("utf-8", "replace")[-3000:]
            raise ProcessFailed(f"{' '.join(map(str, cmd))} exited {code}:\n{message}")
    return float(fields[0]), int(fields[1]) * 1024  # Linux reports kilobytes


def toolkit_env(data_dir: str | os.PathLike[str], **extra: str) -> dict[str, str]:
    """The environment for a toolkit child process: its data folder is a temporary
    one, whatever the caller's environment says."""
    env = dict(os.environ)
    env["TOOLKIT_DATA_DIR"] = str(data_dir)
    env.pop("TOOLKIT_WORKSHEETS_DIR", None)
    env.update(extra)
    return env


def toolkit_cmd(data_dir: str | os.PathLike[str], *args: str) -> list[str]:
    return [PYTHON, "-m", "toolkit", "--data-dir", str(data_dir), *args]


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """Aligned columns, numbers flush right, so figures and their goals read across."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = []
        for i, cell in enumerate(r):
            cell = str(cell)
            if i == 0 or i == len(header) - 1:
                cells.append(cell.ljust(widths[i]))
            else:
                cells.append(cell.rjust(widths[i]))
        lines.append("  ".join(cells).rstrip())
        if r is header:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- generated content ---------------------------------------------------------------

_TEXT = (
    "I always felt that asking for help meant I had failed somehow and my mother never "
    "asked anyone for anything she just got on with it and when my father left she worked "
    "two jobs and did not complain so I learned early that needing people is a risk you "
    "take only when you have no choice when you come home late and do not text I tell "
    "myself it does not matter and then I notice I have been holding my breath all evening "
    "we talked about this last week and it helped a little to say it out loud instead of "
    "going quiet sometimes I wonder whether I keep you at arm's length because it is safer "
    "than finding out you might leave too my friends would say I am the strong one the one "
    "who organises everything and I like that but I am also tired of it"
)
_WORDS = _TEXT.split()


def _paragraph(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(_WORDS)
        words.append(word)
        length += len(word) + 1
    text = " ".join(words)
    return text[0].upper() + text[1:size].rstrip() + "."


class NoteMaker:
    """Reflection notes of a given length, as people write them: sentences in
    paragraphs of a few hundred characters. Paragraphs are drawn from a fixed pool,
    so making tens of megabytes of notes takes a fraction of a second."""

    def __init__(self, seed: int = 7, pool: int = 400) -> None:
        rng = random.Random(seed)
        self.pool = [_paragraph(rng, rng.randint(150, 900)) for _ in range(pool)]

    def note(self, rng: random.Random, size: int, *, paragraphs: bool = True) -> str:
        parts: list[str] = []
        length = 0
        while length < size:
            part = rng.choice(self.pool)
            parts.append(part)
            length += len(part) + 2
        text = ("\n\n" if paragraphs else " ").join(parts)
        return text[:size].rstrip()


def _accepts(content: Any, key: tuple, value: Any) -> bool:
    """Whether the worksheets in use have this field (notes can be shared with the
    partner only where they do)."""
    from toolkit.responses import AnswerError, AnswerKey, validate_answer

    try:
        validate_answer(content, AnswerKey(*key), value)
    except AnswerError:
        return False
    return True


def couple_export(content: Any, index: int, sessions: int, notes: NoteMaker, *,
                  note_chance: float = 0.3, note_sizes: tuple[int, int] = (200, 2000),
                  prefix: str = "bench") -> dict[str, Any]:
    """A couple with ``sessions`` answered sessions, as an export dictionary
    (``toolkit.store.transfer`` format): every spectrum item for both partners,
    most origin sections rated, some with notes of realistic length (half of
    them shared with the partner), and a few rows in each plan table. The same
    ``index`` always gives the same couple."""
    import datetime as dt

    from toolkit.store.transfer import EXPORT_FORMAT, EXPORT_VERSION

    rng = random.Random(index)
    stamp = "2026-01-05T10:00:00.000000+00:00"
    spectrum, origins, plan = content.spectrum, content.origins, content.boundaries
    sharing = _accepts(content, ("origins", "a", origins.ids[0], 0, "shared"), True)
    texts = [p[:rng.randint(20, 120)].rstrip() for p in rng.sample(notes.pool, 12)]
    out_sessions = []
    first = dt.date(2025, 1, 6) + dt.timedelta(days=index % 200)
    for number in range(1, sessions + 1):
        day = (first + dt.timedelta(days=14 * (number - 1))).isoformat()
        answers: list[dict[str, Any]] = []

        def answer(ws: str, partner: str, item: str, row: int, field: str, value: Any,
                   answers: list[dict[str, Any]] = answers) -> None:
            answers.append({"worksheet": ws, "partner": partner, "item": item, "row": row,
                            "field": field, "value": value, "updated_at": stamp})

        for partner in ("a", "b"):
            for item in spectrum.ids:
                answer("spectrum", partner, item, 0, "position",
                       rng.randint(spectrum.scale_min, spectrum.scale_max))
            for section in origins.ids:
                if rng.random() < 0.85:
                    answer("origins", partner, section, 0, "resonance", rng.randint(0, 3))
                if rng.random() < note_chance:
                    answer("origins", partner, section, 0, "notes",
                           notes.note(rng, rng.randint(*note_sizes)))
                    if sharing and rng.random() < 0.5:
                        answer("origins", partner, section, 0, "shared", True)
        rows = []
        for section in plan.sections:
            if section.kind == "date":
                answer("boundaries", "couple", section.id, 0, "date", day)
                continue
            for row in range(1, rng.randint(1, 2) + 1):
                rows.append({"section": section.id, "row": row, "created_at": stamp})
                for column in section.columns:
                    if column.type == "partner":
                        value: Any = rng.choice(["a", "b", "both"])
                    elif column.type == "date":
                        value = day
                    elif column.type == "check":
                        value = rng.random() < 0.5
                    else:
                        value = rng.choice(texts)
                    answer("boundaries", "couple", section.id, row, column.id, value)
        out_sessions.append({"number": number, "date": day, "facilitator": "Bench facilitator",
                             "created_at": stamp, "plan_rows": rows, "answers": answers})
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "worksheets": content.versions,
        "couple": {"id": f"{prefix}-{index:04d}", "partner_a": f"Alex{index}",
                   "partner_b": f"Sam{index}", "notes": "Generated for a benchmark.",
                   "created_at": stamp},
        "sessions": out_sessions,
    }
