"""Slider move -> new profile PNG in the Image widget, measured in the kernel.

Two session apps on the same demo couple, each in its own temporary store,
receive the same 200 slider moves, interleaved move by move (live, naive,
naive, live, ...). Both go the whole way a real move goes: the slider's value
changes, the session model saves and rescores, and every subscriber runs (the
slider's label and the progress line, the readings and the gap prompts, the
profile picture). They differ only in how the picture is made:

- live: the view's one ``ProfilePlot``, moved in place, encoded from its cached
  background (what the app does);
- naive: a fresh score and a new Figure for every move, saved with ``savefig``.

Garbage is collected before each move, outside the timing, so neither side
pays for collecting what the other left behind.

Goal: live p50 <= 30 ms, p95 <= 60 ms.

Also times running 01_couple_session.ipynb with nbclient until the app is
displayed (kernel start excluded). Goal: <= 3 s.
"""

from __future__ import annotations

import gc
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, median, pct, table  # noqa: E402

MOVES = 200
WARMUP = 5


def naive_refresh(profile):  # noqa: ANN001, ANN201
    """``ProfileView.refresh`` as it would be without the live plot: the same
    readings and gap HTML, but a fresh score and a new Figure every time."""
    from toolkit.plots import ProfilePlot
    from toolkit.scoring import score_session

    def refresh() -> None:
        model = profile.model
        previous = model.previous() if profile.show_previous.value else None
        names = model.names()
        scores = score_session(model.content.spectrum, model.data)
        plot = ProfilePlot(model.content.spectrum, names)
        plot.set_previous(
            {p: previous.spectrum(p) for p in ("a", "b")} if previous is not None else None)
        plot.update(scores)
        buffer = io.BytesIO()
        plot.figure.savefig(buffer, format="png")
        profile.image.value = buffer.getvalue()
        profile._describe(names, scores)

    return refresh


def bench_moves() -> None:
    from toolkit.ui import SessionApp

    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        apps = {"live": SessionApp.open("demo-kim-kevin", data_dir=a),
                "naive": SessionApp.open("demo-kim-kevin", data_dir=b)}
        profiles = {k: app.views["profiles"] for k, app in apps.items()}
        profiles["naive"].refresh = naive_refresh(profiles["naive"])
        sliders = {k: {view.key: view for part in ("spectrum_a", "spectrum_b")
                       for view in app.views[part].items}
                   for k, app in apps.items()}
        keys = sorted(sliders["live"])
        assert keys == sorted(sliders["naive"])
        spectrum = apps["live"].model.content.spectrum
        scale = range(spectrum.scale_min, spectrum.scale_max + 1)
        for profile in profiles.values():
            profile.reveal()
        rng = random.Random(3)
        times: dict[str, list[float]] = {"live": [], "naive": []}
        for move in range(WARMUP + MOVES):
            key = rng.choice(keys)
            current = sliders["live"][key].slider.value
            new = rng.choice([v for v in scale if v != current])
            order = ("live", "naive") if move % 2 == 0 else ("naive", "live")
            if move == WARMUP:
                gc.collect()
                gc.freeze()  # what is left is long-lived: later collections skip it
            for side in order:
                view, image = sliders[side][key], profiles[side].image
                assert view.slider.value == current, side
                before = image.value
                gc.collect()  # the other side's garbage is not this move's cost
                start = time.perf_counter()
                view.slider.value = new
                after = image.value
                elapsed = (time.perf_counter() - start) * 1000
                assert after is not before and bytes(after[:4]) == b"\x89PNG", side
                assert apps[side].model.data.answers[key] == new, side
                if move >= WARMUP:
                    times[side].append(elapsed)
        readings = {k: p.readings.value for k, p in profiles.items()}
        assert readings["live"] == readings["naive"], "the two sides disagree"
        for app in apps.values():
            app.store.close()
        gc.unfreeze()

    live, naive = times["live"], times["naive"]
    print(f"slider move -> profile PNG in the Image widget ({MOVES} moves each side, "
          "interleaved, same moves, every subscriber runs on both)")
    print(table([
        ["live (one figure, moved in place)", f"{pct(live, 50):.1f}", f"{pct(live, 95):.1f}",
         f"{max(live):.1f}", "p50 <= 30 ms, p95 <= 60 ms"],
        ["naive (fresh score, new Figure per move)", f"{pct(naive, 50):.1f}",
         f"{pct(naive, 95):.1f}", f"{max(naive):.1f}", ""],
    ], ["side", "p50 ms", "p95 ms", "max ms", "goal"]))
    print(f"naive / live at p50: {median(naive) / median(live):.1f}x; "
          f"at p95: {pct(naive, 95) / pct(live, 95):.1f}x", flush=True)


def bench_notebook() -> None:
    import nbformat
    from nbclient import NotebookClient

    path = REPO / "notebooks" / "01_couple_session.ipynb"
    previous = os.environ.get("TOOLKIT_DATA_DIR")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["TOOLKIT_DATA_DIR"] = folder  # the kernel inherits it
        try:
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(nb, kernel_name="python3", resources={"metadata": {
                "path": str(path.parent)}})
            with client.setup_kernel():
                start = time.perf_counter()
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type == "code":
                        client.execute_cell(cell, index)
                elapsed = time.perf_counter() - start
        finally:
            if previous is None:
                os.environ.pop("TOOLKIT_DATA_DIR", None)
            else:
                os.environ["TOOLKIT_DATA_DIR"] = previous
    shown = any("application/vnd.jupyter.widget-view+json" in out.get("data", {})
                for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)
    print(f"run-all of {path.name} until the app is displayed: {elapsed:.2f} s "
          f"(goal <= 3 s; kernel start excluded){'' if shown else '  APP NOT DISPLAYED'}")


if __name__ == "__main__":
    bench_moves()
    if "--moves-only" not in sys.argv:
        bench_notebook()
