"""Start JupyterLab (or Voila) for browser tests: a free loopback port, a random
token, a temporary home and data directory, no news or update checks.
Readiness is polled, never slept for; the server is always stopped."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


# True once the keyboard is on a heading of the session's current step, where a new
# step puts it.
STEP_HEADING_FOCUSED = ("() => { const el = document.activeElement;"
                        " return !!el && !!el.closest('.tk-body') && /^H[23]$/.test(el.tagName); }")


@dataclass
class Server:
    url: str
    token: str
    data_dir: Path
    home: Path
    log: Path

    def lab(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}"

    def voila(self, path: str) -> str:
        return f"{self.url}/voila/render/{path}?token={self.token}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server not ready after {timeout} s:\n{log.read_text()[-3000:]}")


# The logs of the servers stopped since the current test began (its name, the log's
# text): a failing browser test shows them, so a failure on another machine can be read.
SERVER_LOGS: list[tuple[str, str]] = []


def _stop(proc: subprocess.Popen, root: Path) -> None:
    """Stop the server and everything it started (kernels too), then clean up."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
    for log in root.glob("*.log"):
        with contextlib.suppress(OSError):
            SERVER_LOGS.append((log.name, log.read_text(errors="replace")))
    shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def jupyter_server(kind: str = "lab", data_dir: Path | None = None) -> Iterator[Server]:
    """A JupyterLab server rooted at the repository (``kind="lab"``)."""
    root = Path(tempfile.mkdtemp(prefix="toolkit-browser-"))
    home = root / "home"
    home.mkdir()
    data = data_dir or root / "data"
    port, token = free_port(), secrets.token_hex(16)
    settings = home / "lab-settings"
    settings.mkdir()
    shutil.copy(REPO / "etc" / "lab-overrides.json", settings / "overrides.json")
    env = {
        **os.environ,
        "HOME": str(home),
        "TOOLKIT_DATA_DIR": str(data),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    # A user settings file turns off the news and update checks for this server.
    user = home / "user-settings" / "@jupyterlab" / "apputils-extension"
    user.mkdir(parents=True)
    (user / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false"}))
    log = root / "server.log"
    # JupyterLab saves notebooks it runs: serve a copy, never the repository's files.
    served = root / "work"
    shutil.copytree(REPO / "notebooks", served / "notebooks")
    args = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
            "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
            "--LabApp.extension_manager=readonly", f"--ServerApp.root_dir={served}",
            "--allow-root"]
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=served, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(f"{base}/api/status?token={token}", proc, log)
        yield Server(base, token, data, home, log)
    finally:
        _stop(proc, root)


def run_all_cells(page, ready_text: str, timeout: float = 60) -> None:
    """Run every cell of the open notebook, then wait until ``ready_text`` shows.

    JupyterLab can drop a run request sent while the kernel is still
    connecting; the request is repeated only if no cell started running, so a
    slow first run is never run twice.
    """
    page.get_by_text("| Idle").wait_for(timeout=timeout * 1000)
    started = ("() => [...document.querySelectorAll('.jp-InputPrompt')]"
               ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))")
    for _ in range(5):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.wait_for_function(started, timeout=5000)
            break
        except Exception:  # noqa: BLE001 (not started yet: ask again)
            continue
    page.get_by_text(ready_text).first.wait_for(timeout=timeout * 1000)


@contextlib.contextmanager
def voila_server(notebook: str, data_dir: Path | None = None) -> Iterator[Server]:
    """Voila serving one notebook as an app, on a free loopback port."""
    root = Path(tempfile.mkdtemp(prefix="toolkit-voila-"))
    home = root / "home"
    home.mkdir()
    data = data_dir or root / "data"
    port = free_port()
    env = {**os.environ, "HOME": str(home), "TOOLKIT_DATA_DIR": str(data),
           "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    log = root / "voila.log"
    args = [sys.executable, "-m", "voila", str(REPO / notebook), "--no-browser",
            f"--port={port}", "--Voila.ip=127.0.0.1"]
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited early:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"voila not listening:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield Server(base, "", data, home, log)
    finally:
        _stop(proc, root)
