"""The set-up a newcomer relies on: Binder's recipe matches pyproject, the
core stays light to import, and an installed copy finds its worksheets."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tomllib

import yaml

from tests.conftest import REPO


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].strip().lower().replace("_", "-")


def _specs(specs: list[str]) -> dict[str, str]:
    return {_name(s): s.replace(" ", "")[len(_name(s)):] for s in specs}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    assert all(isinstance(d, str) for d in deps), "no pip section: postBuild installs the toolkit"
    assert "python=3.11" in deps
    conda = _specs([d for d in deps if not d.startswith("python=")])
    assert conda == _specs(project["dependencies"])
    assert not any("-e" in d or d.strip() == "." for d in deps)


def test_postbuild_installs_the_package_strictly():
    post = REPO / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR
    text = post.read_text()
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    assert "python -m pip install --no-deps ." in text


def test_ci_script_is_executable_and_runs_make_test():
    ci = REPO / ".ci" / "run"
    assert ci.stat().st_mode & stat.S_IXUSR
    text = ci.read_text()
    assert "make test" in text and '"$status" -eq 5' in text


def test_core_import_does_not_load_heavy_libraries():
    code = (
        "import sys, toolkit, toolkit.content, toolkit.responses, toolkit.store, "
        "toolkit.__main__\n"
        "heavy = [m for m in ('matplotlib', 'reportlab', 'ipywidgets', 'pandas') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_session_app_first_step_does_not_load_plotting_or_pdf():
    code = (
        "import sys\n"
        "from toolkit.ui import SessionApp\n"
        "print(','.join(m for m in ('matplotlib', 'reportlab', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_installed_copy_finds_its_worksheets(tmp_path):
    """What postBuild does on Binder: a plain (non-editable) install."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(target), str(REPO)],
        check=True, capture_output=True,
    )
    assert (target / "toolkit" / "worksheets" / "spectrum.yaml").is_file()
    assert (target / "toolkit" / "worksheets" / "demo" / "demo-kim-kevin.json").is_file()
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import toolkit.content as c; content = c.load_content(); "
        "print(c.__file__, content.folder, len(content.spectrum.items))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path, env=env).stdout.split()
    assert out[0].startswith(str(target))
    assert out[1].startswith(str(target)) and out[2] == "13"
