"""Running the notebooks on their own (``pytest notebooks/``) never touches the
user's own data: every kernel nbval starts inherits a temporary data folder,
removed afterwards. (``pytest`` from the top loads tests/conftest.py as well,
which does the same for the whole run.)"""

from __future__ import annotations

import os
import shutil
import tempfile

_DATA = tempfile.mkdtemp(prefix="toolkit-notebook-data-")
os.environ["TOOLKIT_DATA_DIR"] = _DATA


def pytest_unconfigure(config):  # noqa: ARG001
    shutil.rmtree(_DATA, ignore_errors=True)
