"""Latency of saving one answer, as the widgets do on every change.

2,000 single-answer writes, each its own committed transaction (WAL,
synchronous=FULL), into a store in a temporary folder on the same disk as the
user data folder. Goal: p50 <= 5 ms, p99 <= 20 ms.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from toolkit.store import Store, default_data_dir

WRITES = 2000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    base = Path(sys.argv[1]) if len(sys.argv) > 1 else default_data_dir().parent
    base.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(dir=base, prefix="bench-autosave-") as folder:
        store = Store(folder)
        session = store.new_session(store.create_couple("Bench", "Mark").id)
        items = store.content.spectrum.ids
        sections = store.content.origins.ids
        times = []
        for i in range(WRITES):
            if i % 2:
                key = ("spectrum", "ab"[i % 2], rng.choice(items), 0, "position")
                value = rng.randint(-3, 3)
            else:
                key = ("origins", "a", rng.choice(sections), 0, "notes")
                value = "note " * rng.randint(1, 200)
            start = time.perf_counter()
            store.set_answer(session.id, key, value)
            times.append((time.perf_counter() - start) * 1000)
        store.close()
    print(f"autosave of one answer, {WRITES} writes into {base}")
    print(f"  p50  {percentile(times, 50):6.2f} ms   (goal <= 5 ms)")
    print(f"  p99  {percentile(times, 99):6.2f} ms   (goal <= 20 ms)")
    print(f"  mean {statistics.fmean(times):6.2f} ms, max {max(times):.2f} ms")


if __name__ == "__main__":
    main()
