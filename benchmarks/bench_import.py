"""Wall time of a fresh Python process that imports the toolkit, against one that
imports nothing.

Every case, the baseline included, is the same measurement: ``python -c STMT``
as a whole process, timed from spawning it to reaping it. Runs go round the
cases in turn (baseline, toolkit, store, scoring, baseline, ...), so drift in
the machine's speed falls on every case alike. A separate untimed run of each
case says which heavy libraries it pulled in (the core should pull in none of
matplotlib, ReportLab, ipywidgets).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import PYTHON, median, pct, run, table  # noqa: E402

RUNS = 15
BASELINE = "python -c pass (baseline)"
CASES = {
    BASELINE: "pass",
    "import toolkit": "import toolkit",
    "import toolkit.store": "import toolkit.store",
    "import toolkit.scoring (pandas)": "import toolkit.scoring",
}
GOALS = {
    BASELINE: "",
    "import toolkit": "no heavy module",
    "import toolkit.store": "no heavy module",
    "import toolkit.scoring (pandas)": "pandas only",
}
HEAVY = ("matplotlib", "reportlab", "ipywidgets", "pandas")
PROBE = "import sys; {stmt}; print(','.join(m for m in {heavy!r} if m in sys.modules) or '-')"


def main() -> None:
    heavy = {}
    for label, stmt in CASES.items():  # untimed: which heavy modules, and a warm disk cache
        heavy[label] = subprocess.run([PYTHON, "-c", PROBE.format(stmt=stmt, heavy=HEAVY)],
                                      capture_output=True, text=True,
                                      check=True).stdout.strip()
    times: dict[str, list[float]] = {label: [] for label in CASES}
    labels = list(CASES)
    for r in range(RUNS):
        order = labels[r % len(labels):] + labels[:r % len(labels)]
        for label in order:
            times[label].append(run([PYTHON, "-c", CASES[label]])[0] * 1000)
    base = median(times[BASELINE])
    rows = []
    for label in CASES:
        t = times[label]
        extra = "" if label == BASELINE else f"{median(t) - base:+.1f}"
        rows.append([label, f"{median(t):.1f}", f"{min(t):.1f}", f"{pct(t, 90):.1f}", extra,
                     heavy[label], GOALS[label]])
    print(f"fresh process, {RUNS} runs of each case, interleaved (wall ms, spawn to exit)")
    print(table(rows, ["case", "median", "min", "p90", "over baseline", "heavy modules",
                       "goal"]))


if __name__ == "__main__":
    main()
