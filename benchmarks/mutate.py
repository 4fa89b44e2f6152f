"""Mutation score of the core: how many small, realistic bugs the tests catch.

mutmut (3.x) plants one change at a time (a flipped comparison, an off-by-one,
a changed constant or string, a dropped argument) and runs the tests that
reach the changed function; a mutant is killed when a test fails. Each module
is run against the test files that exercise it, in its own copy of the
repository (mutmut works in a ``mutants/`` folder beside the code it mutates),
so the runs stay minutes long and never touch the working tree.

Prints, per module, mutants killed / checked and the score (goal: 90% or more),
then every surviving mutant's name. ``--show`` prints each survivor's diff. The
full report (diffs included) is written to test-artifacts/mutation/.

    python benchmarks/mutate.py [module ...] [--show] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, table  # noqa: E402

GOAL = 0.90

# module -> (files mutated, test files that exercise them)
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "scoring": (["toolkit/scoring.py"],
                ["tests/test_scoring.py", "tests/test_scoring_pinned.py",
                 "tests/test_followup.py"]),
    "wording": (["toolkit/wording.py"],
                ["tests/test_wording.py", "tests/test_scoring.py"]),
    "textsafe": (["toolkit/textsafe.py"],
                 ["tests/test_textsafe.py", "tests/test_report.py"]),
    "responses": (["toolkit/responses.py"],
                  ["tests/test_responses.py", "tests/test_store.py", "tests/test_session.py"]),
    "content": (["toolkit/content.py"],
                ["tests/test_content.py", "tests/test_content_pinned.py",
                 "tests/test_versions.py"]),
    "store": (["toolkit/store/base.py", "toolkit/store/sqlite.py",
               "toolkit/store/migrations.py"],
              ["tests/test_store.py", "tests/test_store_pinned.py", "tests/test_faults.py",
               "tests/test_versions.py", "tests/test_followup.py"]),
    "transfer": (["toolkit/store/transfer.py"],
                 ["tests/test_store.py", "tests/test_transfer_pinned.py", "tests/test_faults.py",
                  "tests/test_privacy.py", "tests/test_versions.py"]),
}

SKIP = {".git", ".venv", "mutants", "test-artifacts", ".pytest_cache", ".ruff_cache",
        ".hypothesis", "__pycache__"}


def copy_repo(target: Path) -> None:
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIP or n.endswith(".pyc")}

    shutil.copytree(REPO, target, ignore=ignore, symlinks=True)


def configure(work: Path, files: list[str], tests: list[str]) -> None:
    """The copy's pyproject says what to mutate and which tests to run."""
    pyproject = work / "pyproject.toml"
    text = pyproject.read_text()
    text = text.split("[tool.mutmut]")[0].rstrip() + "\n\n[tool.mutmut]\n"
    existing = [t for t in tests if (work / t).exists()]
    text += (
        'source_paths = ["toolkit"]\n'
        f"only_mutate = {files!r}\n"
        'also_copy = ["worksheets", "etc", "notebooks", "Makefile", "environment.yml"]\n'
        f"pytest_add_cli_args_test_selection = {existing!r}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-m", '
        '"not browser and not slow", "-q"]\n'
    ).replace("'", '"')
    pyproject.write_text(text)


STATUS = re.compile(r"^\s*(\S+): (.+)$")


def run_group(name: str, jobs: int, show: bool, report: Path) -> dict:
    files, tests = GROUPS[name]
    mutmut = Path(sys.executable).parent / "mutmut"
    with tempfile.TemporaryDirectory(prefix=f"mutate-{name}-") as folder:
        work = Path(folder) / "repo"
        copy_repo(work)
        configure(work, files, tests)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("TOOLKIT_DATA_DIR", None)
        start = time.monotonic()
        run = subprocess.run([str(mutmut), "run", "--max-children", str(jobs)], cwd=work,
                             env=env, capture_output=True, text=True)
        elapsed = time.monotonic() - start
        results = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=work,
                                 env=env, capture_output=True, text=True, check=True).stdout
        statuses: dict[str, str] = {}
        for line in results.splitlines():
            match = STATUS.match(line)
            if match:
                statuses[match.group(1)] = match.group(2).strip()
        if not statuses:
            raise RuntimeError(f"mutmut found nothing to report for {name}:\n"
                               + run.stdout[-3000:] + run.stderr[-3000:])
        survivors = sorted(m for m, s in statuses.items() if s not in ("killed", "timeout"))
        diffs = []
        for mutant in survivors:
            diff = subprocess.run([str(mutmut), "show", mutant], cwd=work, env=env,
                                  capture_output=True, text=True).stdout
            diffs.append(diff)
            if show:
                print(diff)
        (report / f"{name}.txt").write_text(
            f"{name}: {len(survivors)} surviving mutants\n\n" + "\n".join(diffs))
    checked = [s for s in statuses.values() if s != "not checked"]
    killed = sum(1 for s in checked if s in ("killed", "timeout"))
    per_file = {}
    for path in files:  # a group of several files also gets a line for each
        module = path.removesuffix(".py").replace("/", ".") + "."
        mine = [s for m, s in statuses.items() if m.startswith(module) and s != "not checked"]
        per_file[path] = (sum(1 for s in mine if s in ("killed", "timeout")), len(mine))
    return {"name": name, "total": len(statuses), "checked": len(checked), "killed": killed,
            "survivors": survivors, "seconds": elapsed, "per_file": per_file,
            "statuses": {s: list(statuses.values()).count(s) for s in set(statuses.values())}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"any of {', '.join(GROUPS)} (all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    args = parser.parse_args()
    unknown = [m for m in args.modules if m not in GROUPS]
    if unknown:
        parser.error(f"unknown module {unknown[0]!r}; choose from {', '.join(GROUPS)}")
    report = REPO / "test-artifacts" / "mutation"
    report.mkdir(parents=True, exist_ok=True)
    rows, everything = [], []
    for name in args.modules or list(GROUPS):
        result = run_group(name, args.jobs, args.show, report)
        everything.append(result)
        score = result["killed"] / result["checked"] if result["checked"] else 0.0
        rows.append([name, str(result["checked"]), str(result["killed"]),
                     str(len(result["survivors"])), f"{100 * score:.1f}%",
                     f"{result['seconds']:.0f}", "ok" if score >= GOAL else "BELOW 90%"])
        print(f"{name}: {result['killed']}/{result['checked']} killed "
              f"({100 * score:.1f}%) in {result['seconds']:.0f} s", flush=True)
        if len(result["per_file"]) > 1:
            for path, (done, seen) in result["per_file"].items():
                share = f"{100 * done / seen:.1f}%" if seen else "-"
                print(f"    {path}: {done}/{seen} killed ({share})", flush=True)
    print()
    print(table(rows, ["module", "mutants", "killed", "survived", "score", "seconds", "goal"]))
    print()
    for result in everything:
        for mutant in result["survivors"]:
            print(f"survived  {mutant}")
    print(f"\ndiffs of every survivor: {report}/")


if __name__ == "__main__":
    main()
