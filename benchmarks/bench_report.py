"""The session report: the toolkit's ReportLab route against nbconvert's route
for a notebook that shows the same content, and how the report's time grows
with the length of a note.

1. Whole process against whole process, interleaved (A, B, B, A, ...), after
   one untimed run of each:
   A. ``python -m toolkit report COUPLE -o FILE``;
   B. ``jupyter nbconvert --execute --to webpdf --no-input`` of a notebook
      built in a temporary folder from the toolkit's own functions: the cover
      lines, the profile figure (``toolkit.plots.profile_figure``, at the
      report's print resolution), both readings, the largest gaps with their
      prompts and practices, the table of all items, what changed since last
      time, every origins note the couple's report prints and every plan table
      (pandas, as HTML). The webpdf exporter is pointed at Debian's Chromium;
      without a browser the route falls back to ``--to html`` and says so.
2. In this process, warm: the report as the command line makes it (draws the
   profile picture) against the app's (passes the picture the session model
   drew already), interleaved.
3. In this process, warm: one origins note of 0, 50, 100 and 200 KB (1 KB =
   1,000 characters; 200 KB is the most a note may hold), interleaved; then
   the same 200 KB as one paragraph without line breaks, and a report with
   every origins note of both partners at 200 KB.

Beside 1, whole processes that only import what the report command imports,
step by step, show how much of its time is imports alone.

Goals: warm report <= 1 s; a 200 KB note < 1.5 s and cost linear in its
length; toolkit >= 10x faster than nbconvert.
"""

from __future__ import annotations

import dataclasses
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    PYTHON,
    NoteMaker,
    ProcessFailed,
    median,
    run,
    table,
    toolkit_cmd,
    toolkit_env,
)

COUPLE = "demo-kim-kevin"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
PROCESS_RUNS = 5
WARM_RUNS = 5
NOTE_RUNS = 5
EVERY_RUNS = 3
NOTE_KB = (0, 50, 100, 200)

EXPORTER = f'''"""nbconvert's webpdf exporter, launching Debian's Chromium instead of a
browser downloaded by Playwright."""

from nbconvert.exporters.webpdf import WebPDFExporter

CHROMIUM = {CHROMIUM!r}
FLAGS = {FLAGS!r}


class DebianChromiumWebPDF(WebPDFExporter):
    def run_playwright(self, html):
        from playwright.async_api import BrowserType

        original = BrowserType.launch

        async def launch(browser_type, *args, **kwargs):
            kwargs["executable_path"] = CHROMIUM
            kwargs["args"] = [*kwargs.get("args", []), *FLAGS]
            return await original(browser_type, *args, **kwargs)

        BrowserType.launch = launch
        try:
            return super().run_playwright(html)
        finally:
            BrowserType.launch = original
'''

# The comparison notebook: each cell renders one part of the report.
CELLS = [
    '''import html, io, os
import pandas as pd
from IPython.display import HTML, Image, display
from toolkit.plots import profile_figure
from toolkit.report import picture_dpi
from toolkit.session import SessionModel
from toolkit.store import Store
from toolkit.wording import gap_text, position_text

store = Store(os.environ["TOOLKIT_DATA_DIR"])
model = SessionModel.open(store, COUPLE)
content, data, scores = model.content, model.data, model.scores
names = model.names()
since = model.since_last_time()
store.close()


def esc(text):
    return html.escape(str(text)).replace("\\n", "<br>")


def parts_html(parts):
    out = []
    for key, value in parts.items():
        if isinstance(value, (list, tuple)):
            out.append("<ul>" + "".join(f"<li>{esc(v)}</li>" for v in value) + "</ul>")
        elif key == "title":
            out.append(f"<h3>{esc(value)}</h3>")
        else:
            out.append(f"<p>{esc(value)}</p>")
    return "".join(out)''',
    '''who = data.info.facilitator
display(HTML(f"<p>Our session</p><h1>{esc(names['a'])} &amp; {esc(names['b'])}</h1>"
             f"<p>{esc(data.info.date)}</p>" + (f"<p>with {esc(who)}</p>" if who else "")
             + "<p>Confidential: for the two of you. Please keep it somewhere private.</p>"))''',
    '''spectrum = content.spectrum
display(HTML(f"<h1>Where each of you stands</h1><p>Each of you placed yourself on "
             f"{len(spectrum.items)} lines.</p>"))
figure = profile_figure(spectrum, scores, names)
buffer = io.BytesIO()
figure.savefig(buffer, format="png", dpi=picture_dpi())
display(Image(data=buffer.getvalue(), width=800))''',
    '''lines = []
for row in scores.summary.itertuples():
    done = "" if not row.missing else f" (from {row.answered} of {row.total} items)"
    lines.append(f"<p><b>{esc(row.name)}</b> {esc(row.reading_text)}{esc(done)}.</p>")
display(HTML("".join(lines)))''',
    '''if len(scores.largest_gaps):
    display(HTML("<h2>Where you differ most</h2>" + "".join(
        parts_html(gap_text(content.spectrum, row, names))
        for _, row in scores.largest_gaps.iterrows())))''',
    '''def pos(value):
    return "not answered" if value is None or pd.isna(value) else position_text(int(value))

items = pd.DataFrame({
    "Item": scores.gaps["title"],
    names["a"]: scores.gaps["position_a"].map(pos),
    names["b"]: scores.gaps["position_b"].map(pos),
    "Gap": [("" if pd.isna(g) else str(int(g))) + (" (opposite)" if o else "")
            for g, o in zip(scores.gaps["gap"], scores.gaps["opposite_poles"])],
})
display(HTML("<h2>All items</h2>" + items.to_html(index=False, escape=True)))''',
    '''if since is not None:
    parts = [f"<h2>Since last time (session {since.previous_number}, "
             f"{esc(since.previous_date)})</h2>"]
    before, after = since.before.iloc[0], since.after.iloc[0]
    for p in ("a", "b"):
        parts.append(f"<p><b>{esc(names[p])}</b> overall lean "
                     f"{before[f'lean_{p}']:+.1f} then, {after[f'lean_{p}']:+.1f} now.</p>")
    parts.append("<h3>What moved</h3>" + since.changes.to_html(index=False, escape=True))
    parts.append("<h3>How the small risks went</h3>"
                 + (since.risks.to_html(index=False, escape=True) if not since.risks.empty
                    else "<p>No small risks came forward from earlier sessions.</p>"))
    display(HTML("".join(parts)))''',
    '''labels = content.origins.resonance_labels
shared = getattr(data, "shared", lambda partner, section: True)
parts = ["<h1>Where the patterns came from</h1>"]
for partner in ("a", "b"):
    parts.append(f"<h2>{esc(names[partner])}</h2>")
    for section in content.origins.sections:
        resonance, notes = data.origin(partner, section.id)
        if not shared(partner, section.id):
            notes = ""  # private: the couple's report leaves it out too
        if resonance is None and not notes.strip():
            continue
        heading = section.title + (f": {labels[resonance].lower()}"
                                   if resonance is not None else "")
        parts.append(f"<h3>{esc(heading)}</h3>")
        if notes.strip():
            parts.append(f"<blockquote>{esc(notes)}</blockquote>")
display(HTML("".join(parts)))''',
    '''def cell(column, value):
    if value in (None, ""):
        return ""
    if column.type == "partner":
        return {"a": names["a"], "b": names["b"], "both": "Both of us"}.get(value, value)
    if column.type == "check":
        return "yes" if value else ""
    return str(value)

parts = [f"<h1>{esc(content.boundaries.title)}</h1>"]
for section in content.boundaries.sections:
    parts.append(f"<h2>{esc(section.title)}</h2>")
    if section.kind == "date":
        parts.append(f"<p>{esc(data.plan_value(section.id) or 'Not set yet.')}</p>")
        continue
    rows = data.plan(section.id)
    if not rows:
        parts.append("<p>Nothing written here yet.</p>")
        continue
    frame = pd.DataFrame([{c.label: cell(c, row.get(c.id)) for c in section.columns}
                          for row in rows])
    parts.append(frame.to_html(index=False, escape=True))
display(HTML("".join(parts)))''',
]


def comparison_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    sources = [f"COUPLE = {COUPLE!r}\n" + CELLS[0], *CELLS[1:]]
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, str(path))


def whole_process(folder: Path) -> tuple[list[str], dict[str, list[float]], dict[str, int]]:
    from toolkit.demo import seed_demos
    from toolkit.store import Store

    data = folder / "data"
    with Store(data) as store:
        seed_demos(store)
    notebook = folder / "report.ipynb"
    comparison_notebook(notebook)
    (folder / "debian_webpdf.py").write_text(EXPORTER)
    out = folder / "out"
    out.mkdir()
    env = toolkit_env(data, PYTHONPATH=os.pathsep.join(
        [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]))
    jupyter = str(Path(PYTHON).parent / "jupyter")
    routes = ["webpdf", "html"] if Path(CHROMIUM).exists() else ["html"]
    notes = [] if Path(CHROMIUM).exists() else [f"no browser at {CHROMIUM}"]
    sizes: dict[str, int] = {}

    def toolkit(r: str) -> float:
        target = out / f"toolkit-{r}.pdf"
        elapsed = run(toolkit_cmd(data, "report", COUPLE, "-o", str(target)), env=env,
                      cwd=folder)[0]
        sizes["toolkit"] = target.stat().st_size
        return elapsed

    def nbconvert(r: str) -> float:
        exporter = "debian_webpdf.DebianChromiumWebPDF" if routes[0] == "webpdf" else "html"
        suffix = ".pdf" if routes[0] == "webpdf" else ".html"
        elapsed = run([jupyter, "nbconvert", "--execute", "--to", exporter, "--no-input",
                       "--output-dir", str(out), "--output", f"notebook-{r}", str(notebook)],
                      env=env, cwd=folder)[0]
        sizes["nbconvert"] = (out / f"notebook-{r}{suffix}").stat().st_size
        return elapsed

    toolkit("warm")
    while True:
        try:
            nbconvert("warm")
            break
        except ProcessFailed as exc:
            if len(routes) == 1:
                raise
            notes.append(f"webpdf failed ({str(exc).strip().splitlines()[-1]})")
            routes.pop(0)
    times: dict[str, list[float]] = {"toolkit": [], "nbconvert": []}
    for r in range(PROCESS_RUNS):
        sides = ("toolkit", "nbconvert") if r % 2 == 0 else ("nbconvert", "toolkit")
        for side in sides:
            times[side].append((toolkit if side == "toolkit" else nbconvert)(str(r)))
    return [routes[0], *notes], times, sizes


def in_process(folder: Path) -> tuple[float, dict[str, list[float]], dict[str, list[float]],
                                      dict[str, float]]:
    from toolkit.demo import seed_demos
    from toolkit.report import picture_dpi, session_report
    from toolkit.responses import AnswerKey
    from toolkit.session import SessionModel
    from toolkit.store import Store

    with Store(folder / "inproc") as store:
        seed_demos(store)
        model = SessionModel.open(store, COUPLE)
        content, scores, since = model.content, model.scores, model.since_last_time()
        start = time.perf_counter()
        session_report(content, model.data, scores, since=since)
        first = time.perf_counter() - start
        picture = model.picture(dpi=picture_dpi())

        def report(data, **kw) -> float:  # noqa: ANN001
            start = time.perf_counter()
            pdf = session_report(content, data, scores, since=since, **kw)
            elapsed = time.perf_counter() - start
            assert pdf.startswith(b"%PDF")
            return elapsed

        warm: dict[str, list[float]] = {"without": [], "with": []}
        for r in range(WARM_RUNS):
            for side in (("without", "with") if r % 2 == 0 else ("with", "without")):
                warm[side].append(report(model.data, **(
                    {"picture": picture} if side == "with" else {})))

        notes = NoteMaker()
        rng = random.Random(11)
        section = content.origins.ids[0]

        def with_notes(values: dict[tuple[str, str], str]):  # noqa: ANN202
            """The session with these notes, each shared with the couple (a private
            note stays out of the couple's report)."""
            answers = dict(model.data.answers)
            for (partner, where), text in values.items():
                answers[AnswerKey("origins", partner, where, 0, "notes")] = text
                answers[AnswerKey("origins", partner, where, 0, "shared")] = True
            return dataclasses.replace(model.data, answers=answers)

        sized = {kb: with_notes({("a", section): notes.note(rng, kb * 1000)} if kb else {})
                 for kb in NOTE_KB}
        grown = (len(session_report(content, sized[NOTE_KB[-1]], scores, since=since))
                 - len(session_report(content, sized[0], scores, since=since)))
        assert grown > NOTE_KB[-1] * 100, "the note is not in the report"
        series: dict[str, list[float]] = {str(kb): [] for kb in NOTE_KB}
        for r in range(NOTE_RUNS):
            order = NOTE_KB if r % 2 == 0 else tuple(reversed(NOTE_KB))
            for kb in order:
                series[str(kb)].append(report(sized[kb]))
        flat = with_notes({("a", section): notes.note(rng, 200_000, paragraphs=False)})
        every = with_notes({(p, s): notes.note(rng, 200_000)
                            for p in ("a", "b") for s in content.origins.ids})
        extra = {
            "flat": median([report(flat) for _ in range(NOTE_RUNS)]),
            "every": median([report(every) for _ in range(EVERY_RUNS)]),
            "every_count": 2 * len(content.origins.ids),
        }
    return first, warm, series, extra


IMPORT_STEPS = {
    "python -c pass": "pass",
    "+ toolkit command line, store, worksheets": (
        "import toolkit.__main__, toolkit.store, toolkit.session; "
        "from toolkit.content import load_content; load_content()"),
    "+ scoring (pandas)": "import toolkit.__main__, toolkit.session, toolkit.scoring",
    "+ report (ReportLab)": "import toolkit.__main__, toolkit.session, toolkit.report",
    "+ plots (matplotlib): all the report command imports": (
        "import toolkit.__main__, toolkit.session, toolkit.report, toolkit.plots"),
}


def import_floor() -> dict[str, list[float]]:
    """Whole processes that only import what ``report`` needs, step by step:
    the part of the command's time no change to the report itself can remove."""
    times: dict[str, list[float]] = {label: [] for label in IMPORT_STEPS}
    for r in range(PROCESS_RUNS):
        labels = list(IMPORT_STEPS) if r % 2 == 0 else list(reversed(IMPORT_STEPS))
        for label in labels:
            times[label].append(run([PYTHON, "-c", IMPORT_STEPS[label]])[0])
    return times


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as root:
        folder = Path(root)
        first, warm, series, extra = in_process(folder)
        route, times, sizes = whole_process(folder)
    floor = import_floor()

    a, b = median(times["toolkit"]), median(times["nbconvert"])
    label = "webpdf" if route[0] == "webpdf" else "html (not a PDF)"
    print(f"1. session report for {COUPLE}: whole process, {PROCESS_RUNS} runs each, "
          "interleaved, after one untimed run of each")
    print(table([
        ["python -m toolkit report", f"{a:.2f}", f"{min(times['toolkit']):.2f}",
         f"{sizes['toolkit'] // 1024} KB", ""],
        [f"jupyter nbconvert --execute --to {label} --no-input", f"{b:.2f}",
         f"{min(times['nbconvert']):.2f}", f"{sizes['nbconvert'] // 1024} KB",
         "same content"],
        ["nbconvert / toolkit", f"{b / a:.1f}x", "", "", ">= 10x"],
    ], ["route", "median s", "min s", "output", "goal"]))
    if len(route) > 1:
        print("   note: " + "; ".join(route[1:]))
    rows = []
    previous = None
    for label in IMPORT_STEPS:
        t = median(floor[label])
        step = "" if previous is None else f"{t - previous:+.2f}"
        rows.append([label, f"{t:.2f}", step, f"{t / a:.0%}"])
        previous = t
    print(f"   where the command's time goes: processes that only import ({PROCESS_RUNS} runs "
          "each, interleaved)")
    print(table(rows, ["imports", "median s", "step s", "of the report command"]))

    print(f"\n2. warm report in this process ({WARM_RUNS} runs each, interleaved); "
          f"the first one took {first:.2f} s")
    w0, w1 = median(warm["without"]), median(warm["with"])
    print(table([
        ["draws the profile picture (command line)", f"{w0:.3f}", f"{min(warm['without']):.3f}",
         "<= 1 s"],
        ["picture passed in (app: SessionModel.picture)", f"{w1:.3f}",
         f"{min(warm['with']):.3f}", "<= 1 s"],
        ["share of the report spent on the picture", f"{(w0 - w1) / w0:.0%}", "", ""],
    ], ["report", "median s", "min s", "goal"]))

    print(f"\n3. one origins note of growing length, warm, command-line form "
          f"({NOTE_RUNS} runs each, interleaved)")
    t0 = median(series["0"])
    rows = []
    previous = None
    for kb in NOTE_KB:
        t = median(series[str(kb)])
        per = "" if not kb else f"{(t - t0) / kb * 1000:.2f}"
        step = "" if previous is None else f"{t - previous[1]:+.3f} s for {kb - previous[0]} KB"
        goal = "< 1.5 s" if kb == 200 else ""
        rows.append([f"{kb} KB note", f"{t:.3f}", f"{min(series[str(kb)]):.3f}", per, step,
                     goal])
        previous = (kb, t)
    t200 = median(series["200"])
    rows.append([f"200 KB as one paragraph, no line breaks ({NOTE_RUNS} runs)",
                 f"{extra['flat']:.3f}", "",
                 f"{(extra['flat'] - t0) / 200 * 1000:.2f}", "", "< 1.5 s"])
    predicted = t0 + extra["every_count"] * (t200 - t0)
    rows.append([f"{extra['every_count']} notes of 200 KB (every origins note; "
                 f"{EVERY_RUNS} runs)",
                 f"{extra['every']:.2f}", "",
                 f"{(extra['every'] - t0) / (200 * extra['every_count']) * 1000:.2f}",
                 f"linear predicts {predicted:.2f} s", "linear"])
    print(table(rows, ["note", "median s", "min s", "ms per KB over no note", "step",
                       "goal"]))
    ratio = (t200 - t0) / max(median(series["100"]) - t0, 1e-9)
    print(f"   cost of a 200 KB note / cost of a 100 KB note: {ratio:.2f} "
          "(2.0 is linear, 4.0 would be quadratic)")


if __name__ == "__main__":
    main()
