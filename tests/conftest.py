"""Shared fixtures. Every test runs against a temporary data directory, never
the user's own store."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"

WORKSHEETS = REPO / "worksheets"

# Set before any test (or notebook kernel started by nbval) can read it.
_SESSION_DATA = tempfile.mkdtemp(prefix="toolkit-test-data-")
os.environ["TOOLKIT_DATA_DIR"] = _SESSION_DATA
os.environ.pop("TOOLKIT_WORKSHEETS_DIR", None)


def _callbacks_raise() -> None:
    """ipywidgets catches an exception in a click handler and only logs it (the
    notebook would show a traceback); in the tests it must fail the test."""
    from ipywidgets.widgets.widget import CallbackDispatcher

    def call(self, *args, **kwargs):
        value = None
        for callback in self.callbacks:
            result = callback(*args, **kwargs)
            value = result if result is not None else value
        return value

    CallbackDispatcher.__call__ = call


_callbacks_raise()


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001
    shutil.rmtree(_SESSION_DATA, ignore_errors=True)


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def content():
    from toolkit.content import load_content

    return load_content(WORKSHEETS)


@pytest.fixture
def store(data_dir, content):
    from toolkit.store import Store

    s = Store(data_dir, content=content)
    yield s
    s.close()


@pytest.fixture
def session(store):
    couple = store.create_couple("Kim", "Kevin")
    return store.new_session(couple.id, date="2026-11-02")


@pytest.fixture
def worksheet_copy(tmp_path) -> Path:
    """An editable copy of the shipped worksheets."""
    target = tmp_path / "worksheets"
    shutil.copytree(WORKSHEETS, target)
    return target


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can see a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.when == "call" and report.failed and "page" in getattr(item, "fixturenames", ()):
        from tests.lab_server import SERVER_LOGS

        for log, text in SERVER_LOGS:  # what the servers said, for a failure seen elsewhere
            report.sections.append((f"the end of {log}", text[-4000:]))
        page = item.funcargs.get("page")
        if page is not None and getattr(page, "console", None):
            report.sections.append(("the page's console", "\n".join(page.console[-60:])))
    return report


# --- a real browser (Debian's chromium, driven by Playwright) ------------------------------

from tests.lab_server import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def _require_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (sudo apt-get install -y chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install playwright; the browser comes from Debian)")
    if missing:
        message = "real-browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    # Every request the page makes, web sockets included: nothing may leave the machine.
    hosts: set[str] = set()
    context.on("request", lambda r: hosts.add(urlsplit(r.url).netloc or urlsplit(r.url).scheme))
    page.on("websocket", lambda ws: hosts.add(urlsplit(ws.url).netloc))
    page.hosts = hosts
    # What the page's own scripts complained of, shown with a failure
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(f"uncaught: {e}"))
    page.console = console
    from tests.lab_server import SERVER_LOGS

    SERVER_LOGS.clear()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", request.node.name)
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        for number, (log, text) in enumerate(SERVER_LOGS, start=1):
            (ARTIFACTS / f"{name}-{number}-{log}").write_text(text)
    context.close()
    foreign = {h for h in hosts if not h.startswith("127.0.0.1:") and h not in ("data", "blob")}
    assert not foreign, f"the page made requests to other hosts: {sorted(foreign)}"


