"""Session report for a demo couple: the toolkit's ReportLab route against
nbconvert's route for the session notebook.

The nbconvert route runs 01_couple_session.ipynb and converts it with
``--to webpdf`` through a small exporter subclass that launches Debian's
Chromium (falling back to ``--to html`` if no browser is available), then
prints the ratio. Goals: report <= 1 s, >= 10x faster than nbconvert.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
RUNS = 5


def toolkit_route(folder: str) -> tuple[float, float, int]:
    start = time.perf_counter()
    from toolkit.demo import seed_demos
    from toolkit.report import session_report
    from toolkit.store import Store

    store = Store(folder)
    seed_demos(store)
    info = store.session("demo-kim-kevin")
    pdf = session_report(store, info.id)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(RUNS):
        start = time.perf_counter()
        pdf = session_report(store, info.id)
        warm.append(time.perf_counter() - start)
    store.close()
    return cold, statistics.median(warm), len(pdf)


def nbconvert_route(folder: str) -> tuple[str, float]:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter, WebPDFExporter

    class DebianChromiumWebPDF(WebPDFExporter):
        """WebPDF through the system's Chromium instead of a downloaded one."""

        def run_playwright(self, html):  # noqa: ANN001, ANN202
            from playwright.async_api import BrowserType

            original = BrowserType.launch

            async def launch(browser_type, *args, **kwargs):  # noqa: ANN001, ANN202
                kwargs["executable_path"] = CHROMIUM
                kwargs["args"] = [*kwargs.get("args", []), *FLAGS]
                return await original(browser_type, *args, **kwargs)

            BrowserType.launch = launch
            try:
                return super().run_playwright(html)
            finally:
                BrowserType.launch = original

    os.environ["TOOLKIT_DATA_DIR"] = folder
    start = time.perf_counter()
    path = REPO / "notebooks" / "01_couple_session.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    try:
        if not Path(CHROMIUM).exists():
            raise RuntimeError("no chromium")
        body, _ = DebianChromiumWebPDF().from_notebook_node(nb)
        route = f"webpdf ({len(body) // 1024} KB)"
    except Exception as exc:  # noqa: BLE001
        HTMLExporter().from_notebook_node(nb)
        route = f"html (webpdf unavailable: {exc})"
    return route, time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        cold, warm, size = toolkit_route(a)
        route, slow = nbconvert_route(b)
    print("session report for demo-kim-kevin")
    print(f"  toolkit (ReportLab): first {cold:.2f} s including imports, then median "
          f"{warm:.2f} s over {RUNS} runs, {size // 1024} KB   (goal <= 1 s)")
    print(f"  nbconvert --to {route}: {slow:.2f} s (run notebook + convert)")
    print(f"  nbconvert / toolkit: {slow / cold:.1f}x against the first report, "
          f"{slow / warm:.1f}x against a warm one   (goal >= 10x)")


if __name__ == "__main__":
    main()
