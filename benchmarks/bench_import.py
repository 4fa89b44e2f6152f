"""Wall time of `import toolkit` and of the core modules, in fresh processes.

Prints the median of repeated cold starts and checks which heavy libraries
the core pulls in (it should pull in none of matplotlib, ReportLab, ipywidgets).
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 15
CASES = {
    "python (baseline)": "pass",
    "import toolkit": "import toolkit",
    "import toolkit.store": "import toolkit.store",
    "import toolkit.scoring (pandas)": "import toolkit.scoring",
}
PROBE = (
    "import sys, time; t = time.perf_counter(); {stmt}; d = time.perf_counter() - t; "
    "heavy = [m for m in ('matplotlib', 'reportlab', 'ipywidgets', 'pandas') if m in sys.modules]; "
    "print(d, ','.join(heavy) or '-')"
)


def main() -> None:
    print(f"{'case':36} {'median ms':>10} {'min ms':>8}  heavy modules loaded")
    for label, stmt in CASES.items():
        times, heavy = [], "-"
        for _ in range(RUNS):
            out = subprocess.run([sys.executable, "-c", PROBE.format(stmt=stmt)],
                                 capture_output=True, text=True, check=True).stdout.split()
            times.append(float(out[0]) * 1000)
            heavy = out[1]
        print(f"{label:36} {statistics.median(times):10.1f} {min(times):8.1f}  {heavy}")


if __name__ == "__main__":
    main()
