"""What a store of 1,000 couples costs next to one of 10.

Builds two stores in temporary folders, 10 and 1,000 couples with 5 answered
sessions each (every spectrum item for both partners, most origin sections
rated, some with notes of a few hundred to two thousand characters, a few plan
rows), plus one couple with 20 sessions in each. The same couple index always
holds the same answers, so "one couple" is the same work in both stores.

Then, alternating between the two stores run by run:

- open: ``Store(folder)`` in this process;
- open a couple: ``Store`` + ``SessionModel.open`` + scores, in this process;
- ``show``, ``list``, ``export --csv`` of everything (wall time and the child's
  peak memory), ``export`` of one couple to JSON, ``report`` of the 20-session
  couple and ``delete`` of one couple, each as a whole ``python -m toolkit``
  process, the way a facilitator runs them.

Goals: opening and ``show`` at 1,000 couples within 1.5x of 10 couples; the
memory of a CSV export does not grow with the store.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    MIB,
    NoteMaker,
    couple_export,
    median,
    run,
    table,
    toolkit_cmd,
    toolkit_env,
)

SIZES = (10, 1000)
SESSIONS = 5
LONG_SESSIONS = 20
SHOWN = "bench-0005"  # in both stores, with the same answers
LONG = "long-0000"
RUNS = {"open": 30, "couple": 15, "show": 7, "list": 7, "csv": 3, "json": 5, "report": 3,
        "delete": 3}


def build(folder: Path, couples: int) -> float:
    from toolkit.store import Store
    from toolkit.store.transfer import import_couple

    start = time.perf_counter()
    notes = NoteMaker()
    with Store(folder) as store:
        for index in range(couples):
            import_couple(store, couple_export(store.content, index, SESSIONS, notes))
        import_couple(store, couple_export(store.content, 0, LONG_SESSIONS, notes,
                                           prefix="long"))
    return time.perf_counter() - start


def store_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("sessions.sqlite3*"))


def open_store(folder: Path) -> float:
    from toolkit.store import Store

    start = time.perf_counter()
    store = Store(folder)
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed


def open_couple(folder: Path) -> float:
    from toolkit.session import SessionModel
    from toolkit.store import Store

    start = time.perf_counter()
    store = Store(folder)
    model = SessionModel.open(store, SHOWN)
    assert len(model.scores.gaps)
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed


def interleaved(name: str, measure, folders: dict[int, Path]) -> dict[int, list]:  # noqa: ANN001
    """``measure(size, folder, run)`` for each store, alternating which goes first."""
    out: dict[int, list] = {size: [] for size in folders}
    for r in range(RUNS[name]):
        order = list(folders) if r % 2 == 0 else list(reversed(folders))
        for size in order:
            out[size].append(measure(size, folders[size], r))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as root:
        base = Path(root)
        folders = {size: base / f"store-{size}" for size in SIZES}
        out = base / "out"
        out.mkdir()
        built = {size: build(folders[size], size) for size in SIZES}
        sizes = {size: store_bytes(folders[size]) for size in SIZES}
        env = {size: toolkit_env(folders[size]) for size in SIZES}

        def cli(size: int, *args: str) -> tuple[float, int]:
            return run(toolkit_cmd(folders[size], *args), env=env[size], cwd=out)

        # warm: imports for the in-process cases, the file cache for both stores
        for size in SIZES:
            open_couple(folders[size])
            cli(size, "list")

        opens = interleaved("open", lambda s, f, r: open_store(f), folders)
        couples = interleaved("couple", lambda s, f, r: open_couple(f), folders)
        shows = interleaved("show", lambda s, f, r: cli(s, "show", SHOWN)[0], folders)
        lists = interleaved("list", lambda s, f, r: cli(s, "list")[0], folders)

        csv_size: dict[int, int] = {}

        def csv_export(size: int, folder: Path, r: int) -> tuple[float, int]:
            target = out / f"all-{size}-{r}.csv"
            result = cli(size, "export", "--csv", "-o", str(target))
            csv_size[size] = target.stat().st_size
            target.unlink()
            return result

        csvs = interleaved("csv", csv_export, folders)

        def json_export(size: int, folder: Path, r: int) -> float:
            target = out / f"one-{size}-{r}.json"
            elapsed = cli(size, "export", SHOWN, "-o", str(target))[0]
            target.unlink()
            return elapsed

        jsons = interleaved("json", json_export, folders)

        def report(size: int, folder: Path, r: int) -> float:
            target = out / f"long-{size}-{r}.pdf"
            elapsed = cli(size, "report", LONG, "-o", str(target))[0]
            target.unlink()
            return elapsed

        reports = interleaved("report", report, folders)
        deletes = interleaved("delete", lambda s, f, r: cli(
            s, "delete", f"bench-{r + 1:04d}", "--yes")[0], folders)

    small, big = SIZES
    rows: list[list[str]] = []

    def row(label: str, values: dict[int, list[float]], unit: str, scale: float,
            goal: str, digits: int = 0) -> None:
        a, b = median(values[small]) * scale, median(values[big]) * scale
        rows.append([label, f"{a:.{digits}f} {unit}", f"{b:.{digits}f} {unit}",
                     f"{b / a:.2f}x", goal])

    rows.append(["store file", f"{sizes[small] / 1e6:.1f} MB", f"{sizes[big] / 1e6:.1f} MB",
                 f"{sizes[big] / sizes[small]:.0f}x", "(about 90 MB at 1,000)"])
    rows.append(["build (import_couple per couple)", f"{built[small]:.1f} s",
                 f"{built[big]:.1f} s", "", "< 2 min at 1,000"])
    row(f"open: Store(), in process (median of {RUNS['open']})", opens, "ms", 1000,
        "<= 1.5x", 1)
    row(f"open a couple: Store + SessionModel.open + scores ({RUNS['couple']})", couples,
        "ms", 1000, "<= 1.5x", 1)
    row(f"show {SHOWN}, whole process ({RUNS['show']})", shows, "ms", 1000, "<= 1.5x")
    row(f"list, whole process ({RUNS['list']})", lists, "ms", 1000,
        "one query (no figure set)")
    row(f"export --csv of everything, whole process ({RUNS['csv']})",
        {s: [t for t, _ in v] for s, v in csvs.items()}, "s", 1, "grows with the data", 2)
    row("  peak memory of that process (ru_maxrss)",
        {s: [m for _, m in v] for s, v in csvs.items()}, "MiB", 1 / MIB,
        "does not grow (<= 1.2x)", 1)
    rows.append(["  CSV written", f"{csv_size[small] / 1e6:.1f} MB",
                 f"{csv_size[big] / 1e6:.1f} MB", "", ""])
    row(f"export {SHOWN} to JSON, whole process ({RUNS['json']})", jsons, "ms", 1000,
        "(no figure set)")
    row(f"report of a {LONG_SESSIONS}-session couple, whole process ({RUNS['report']})",
        reports, "s", 1, "(no figure set)", 2)
    row(f"delete one couple, whole process ({RUNS['delete']})", deletes, "ms", 1000,
        "(no figure set)")

    print(f"stores of {small} and of {big:,} couples ({SESSIONS} answered sessions each), "
          "interleaved run by run; medians")
    print(table(rows, ["case", f"{small} couples", f"{big:,} couples", "1,000/10", "goal"]))
    met = [median(v[big]) <= 1.5 * median(v[small]) for v in (opens, couples, shows)]
    mem = [m for _, m in csvs[big]], [m for _, m in csvs[small]]
    print(f"open and show within 1.5x: {'met' if all(met) else 'MISSED'}; "
          f"CSV export memory flat: "
          f"{'met' if median(mem[0]) <= 1.2 * median(mem[1]) else 'MISSED'}")
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs; stores built in a "
          "temporary folder, files in the OS cache)")


if __name__ == "__main__":
    main()
