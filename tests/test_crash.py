"""A kernel can die at any moment; every answer reported as saved must survive."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, WORKSHEETS
from toolkit.store import Store

KILLS = 200


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_reported(data_dir, content):
    with Store(data_dir, content=content) as store:
        store.new_session(store.create_couple("Crash", "Test", couple_id="crash-test").id)
    writer = Path(__file__).with_name("crash_writer.py")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(20261128)
    reported: dict[tuple[str, str], int] = {}
    rows: dict[int, int] = {}
    seq = 0
    total_reported = 0
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, str(writer), str(data_dir), str(WORKSHEETS), str(seq)],
            stdout=subprocess.PIPE, text=True, env=env,
        )
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, 0.03))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        assert child.returncode == -signal.SIGKILL
        for line in out.splitlines():
            parts = line.split()
            if parts[0] == "note":
                reported[(parts[1], parts[2])] = int(parts[3])
                seq = max(seq, int(parts[3]) + 1)
                total_reported += 1
            elif parts[0] == "row":
                rows[int(parts[1])] = int(parts[2])
        seq += 1  # skip the number that may have been in flight

    assert total_reported > KILLS  # the children really wrote between kills
    with Store(data_dir, content=content) as store:
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        data = store.load_session(store.sessions("crash-test")[0].id)
    for (partner, section), last in reported.items():
        _, notes = data.origin(partner, section)
        assert notes.startswith("seq "), (partner, section)
        # the stored value is the last one reported, or one written after it
        assert int(notes.split()[1]) >= last, (partner, section, notes, last)
    plan = {r["row"]: r.get("ritual") for r in data.plan("rituals")}
    for row, value in rows.items():
        assert plan[row] == f"seq {value}"
