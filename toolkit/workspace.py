"""Where a facilitator runs the notebooks: private copies beside the client data.

JupyterLab saves a notebook it runs, outputs and all, and those outputs can
show a couple's names and answers. Run from the repository, every session
would rewrite its tracked notebooks and leave client data in a folder that is
shared, synced or committed. ``make lab`` therefore opens copies kept in the
data folder (private, 0700), which ``delete --all`` removes with everything else.
"""

from __future__ import annotations

import os
from pathlib import Path

from .files import write_private

__all__ = ["NOTEBOOKS", "notebook_copies"]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def notebook_copies(data_dir: str | os.PathLike[str], source: Path = NOTEBOOKS) -> Path:
    """Copy the toolkit's notebooks into ``data_dir/notebooks`` and return that folder.

    A copy is replaced only when the toolkit's own notebook is newer (an update);
    one that was run since keeps its outputs.
    """
    if not source.is_dir():
        raise FileNotFoundError(f"the toolkit's notebooks are not in {source}")
    target = Path(data_dir).expanduser() / "notebooks"
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    for notebook in sorted(source.glob("*.ipynb")):
        copy = target / notebook.name
        if copy.exists() and copy.stat().st_mtime >= notebook.stat().st_mtime:
            continue
        write_private(notebook.read_bytes(), copy, overwrite=True)
    return target
