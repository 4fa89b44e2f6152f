"""Binder's recipe: repo2docker builds from environment.yml and runs postBuild,
and an environment holding only what environment.yml names runs every notebook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO


def clean_copy(target: Path) -> Path:
    """The repository as committed files only (no .venv, no caches)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
    return target


def test_repo2docker_builds_from_environment_yml_and_runs_postbuild(tmp_path):
    repo = clean_copy(tmp_path / "repo")
    proc = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(repo)],
        capture_output=True, text=True, timeout=300,
    )
    dockerfile = proc.stdout + proc.stderr
    assert "Building conda environment for python=3.11" in dockerfile
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "environment.yml"' in dockerfile
    assert "RUN ./postBuild" in dockerfile
    # the environment is solved before the repository is copied in
    assert dockerfile.index("environment.yml") < dockerfile.index("RUN ./postBuild")


@pytest.mark.slow
def test_fresh_environment_from_environment_yml_runs_every_notebook(tmp_path):
    env_spec = yaml.safe_load((REPO / "environment.yml").read_text())
    packages = [d for d in env_spec["dependencies"] if not d.startswith("python=")]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True,
                   timeout=1200)
    repo = clean_copy(tmp_path / "repo")
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
           "HOME": str(tmp_path / "home"), "TOOLKIT_DATA_DIR": str(tmp_path / "data")}
    env.pop("PYTHONPATH", None)
    subprocess.run(["bash", "postBuild"], cwd=repo, env=env, check=True, timeout=600)
    run_all = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "for path in sys.argv[1:]:\n"
        "    nb = nbformat.read(path, as_version=4)\n"
        "    NotebookClient(nb, kernel_name='python3', timeout=120,\n"
        "                   resources={'metadata': {'path': 'notebooks'}}).execute()\n"
        "    print('ran', path)\n"
    )
    notebooks = sorted(str(p.relative_to(repo)) for p in (repo / "notebooks").glob("*.ipynb"))
    # run from outside the source tree's package: the installed copy must be used
    proc = subprocess.run([str(python), "-c", run_all, *notebooks], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("ran ") == len(notebooks) == 7
    where = subprocess.run([str(python), "-c", "import toolkit; print(toolkit.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert str(venv) in where.stdout  # postBuild installed the package itself
