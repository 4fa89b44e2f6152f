"""Store the outputs nbval compares, and nothing else, in the repository's notebooks.

Only cells tagged ``nbval-check-output`` keep their outputs (what the test run
compares them with); every other cell is saved clean, so no run's widgets, paths
or data end up in the repository. Widget views are dropped from the kept
outputs: their models are not saved, and nbval does not compare them; the views'
one-line text (``View.describe``) stays and is compared.

Run after changing what a checked cell shows::

    python -m tests.notebook_outputs notebooks/*.ipynb
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHECK = "nbval-check-output"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def refresh(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as data:
        os.environ["TOOLKIT_DATA_DIR"] = data
        NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=False,
                       resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if CHECK not in cell.metadata.get("tags", []):
            cell.outputs = []
            cell.execution_count = None
            continue
        for output in cell.outputs:
            output.get("data", {}).pop(WIDGET_VIEW, None)
    nbformat.write(notebook, path)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        refresh(Path(name))
        print("refreshed", name)
