"""The two clicks a facilitator waits on most, measured in the kernel.

- "Create couple and start": from the click to the safety step on screen (the
  couple and its first session written, the session opened, the step built).
- "Add a row" in the plan: from the click to the new row's widgets in place.

Each is timed the way the button runs it (the handler behind the click), with
the widgets the app builds for real, on a store in a temporary folder. The app
is imported before timing, as the notebook's first cell does; it then imports
its views (matplotlib, pandas) in the background while the facilitator reads
the first step. "warm" clicks come after that; "cold" is the very first click
in a fresh process, made before the background import has finished (measured
in a child process, five times).

For comparison, "every view up front" opens the same session and then builds
all nine of its views at once, which is the work opening a session used to do;
both sides run interleaved, a fresh app each time.

Goal: create couple and add a row each under 0.3 s (p95).
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import median, pct, table  # noqa: E402

RUNS = 30
ALL_VIEWS = ("safety", "spectrum_a", "spectrum_b", "profiles", "progress", "origins_a",
             "origins_b", "origins_summary", "plan")


COLD = """
import sys, tempfile, time
from pathlib import Path
from toolkit.store import Store
from toolkit.ui import SessionApp
app = SessionApp(store=Store(Path(tempfile.mkdtemp()) / "data"))
app.name_a.value, app.name_b.value = "Noa", "Sami"
start = time.perf_counter()
app._create()
print(time.perf_counter() - start)
"""


def cold_clicks(runs: int = 5) -> list[float]:
    import subprocess

    return [float(subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(runs)]


def main() -> None:
    from toolkit.store import Store
    from toolkit.ui import SessionApp

    created: list[float] = []
    eager: list[float] = []
    added: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "data")
        for run in range(RUNS + 2):
            for side in ("lazy", "eager") if run % 2 else ("eager", "lazy"):
                app = SessionApp(store=store)
                app.warm_up.join()
                app.name_a.value, app.name_b.value = f"Noa {run}", f"Sami {side}"
                gc.collect()
                start = time.perf_counter()
                app._create()  # what the button runs once typing has arrived
                if side == "eager":
                    for key in ALL_VIEWS:
                        app.views[key]
                elapsed = time.perf_counter() - start
                assert app.step == "safety"
                if run >= 2:  # the first two warm caches
                    (created if side == "lazy" else eager).append(elapsed)
                if side == "lazy":
                    app.go_to("plan")
                    tables = app.views["plan"].tables["small_risks"]
                    gc.collect()
                    start = time.perf_counter()
                    tables.add_button.click()
                    elapsed = time.perf_counter() - start
                    assert len(tables.rows_box.children) == 1
                    if run >= 2:
                        added.append(elapsed)
                app.close()
        store.close()

    def ms(values: list[float], q: float | None = None) -> str:
        return f"{1000 * (median(values) if q is None else pct(values, q)):.1f}"

    cold = cold_clicks()
    rows = [
        ["Create couple and start", ms(created), ms(created, 95), "<= 300 ms"],
        ["  first click, cold process", ms(cold), ms(cold, 95), "(imports still running)"],
        ["  every view up front (before)", ms(eager), ms(eager, 95), "comparison"],
        ["Add a row (plan)", ms(added), ms(added, 95), "<= 300 ms"],
    ]
    print(f"Kernel-side time per click, {RUNS} runs each, interleaved\n")
    print(table(rows, ["click", "p50 ms", "p95 ms", "goal"]))


if __name__ == "__main__":
    main()
