"""Slider move -> new profile PNG in the Image widget, measured in the kernel.

Times 200 moves from setting a slider's value to fresh PNG bytes in the
profile's Image widget (save, rescore, update the figure in place, encode),
then the same moves with the naive approach (a new Figure per move) and prints
the ratio. Goal: p50 <= 30 ms, p95 <= 60 ms.

Also times running 01_couple_session.ipynb with nbclient until the app is
displayed. Goal: <= 3 s.
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

MOVES = 200
REPO = Path(__file__).resolve().parent.parent


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench_moves() -> None:
    from toolkit.plots import profile_figure
    from toolkit.scoring import score_session
    from toolkit.ui import SessionApp

    with tempfile.TemporaryDirectory() as folder:
        app = SessionApp.open("demo-kim-kevin", data_dir=folder)
        profile = app.views["profiles"]
        profile.reveal()
        rng = random.Random(3)
        sliders = app.views["spectrum_a"].items + app.views["spectrum_b"].items
        live, naive = [], []
        for _ in range(MOVES):
            view = rng.choice(sliders)
            new = rng.choice([v for v in range(-3, 4) if v != view.slider.value])
            before = profile.image.value
            start = time.perf_counter()
            view.slider.value = new
            after = profile.image.value
            live.append((time.perf_counter() - start) * 1000)
            assert after is not before and bytes(after[:4]) == b"\x89PNG"

        ctx = app.ctx
        for _ in range(MOVES):
            view = rng.choice(sliders)
            new = rng.choice([v for v in range(-3, 4) if v != view.slider.value])
            start = time.perf_counter()
            ctx.store.set_answer(ctx.session_id, view.key, new)
            scores = score_session(ctx.content.spectrum, ctx.data())
            figure = profile_figure(ctx.content.spectrum, scores, ctx.names())
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
            profile.image.value = buffer.getvalue()
            naive.append((time.perf_counter() - start) * 1000)
        app.store.close()

    print(f"slider move -> profile PNG in the Image widget ({MOVES} moves)")
    print(f"  live (one figure, updated in place): p50 {pct(live, 50):6.1f} ms  "
          f"p95 {pct(live, 95):6.1f} ms   (goal p50 <= 30, p95 <= 60)")
    print(f"  naive (new Figure per move):         p50 {pct(naive, 50):6.1f} ms  "
          f"p95 {pct(naive, 95):6.1f} ms")
    print(f"  naive / live at p50: {statistics.median(naive) / statistics.median(live):.1f}x")


def bench_notebook() -> None:
    import nbformat
    from nbclient import NotebookClient

    path = REPO / "notebooks" / "01_couple_session.ipynb"
    with tempfile.TemporaryDirectory() as folder:
        import os

        os.environ["TOOLKIT_DATA_DIR"] = folder
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, kernel_name="python3", resources={"metadata": {
            "path": str(path.parent)}})
        with client.setup_kernel():
            start = time.perf_counter()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
            elapsed = time.perf_counter() - start
    shown = any("application/vnd.jupyter.widget-view+json" in out.get("data", {})
                for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)
    print(f"run-all of {path.name} until the app is displayed: {elapsed:.2f} s "
          f"(goal <= 3 s; kernel start excluded){'' if shown else '  APP NOT DISPLAYED'}")


if __name__ == "__main__":
    bench_moves()
    if "--moves-only" not in sys.argv:
        bench_notebook()
