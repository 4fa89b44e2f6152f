"""Shared fixtures. Every test runs against a temporary data directory, never
the user's own store."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WORKSHEETS = REPO / "worksheets"

# Set before any test (or notebook kernel started by nbval) can read it.
_SESSION_DATA = tempfile.mkdtemp(prefix="toolkit-test-data-")
os.environ["TOOLKIT_DATA_DIR"] = _SESSION_DATA
os.environ.pop("TOOLKIT_WORKSHEETS_DIR", None)


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
    return report
