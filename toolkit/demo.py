"""Fictional demo couples, for trying the toolkit without client data.

Kim and Kevin are caught in "you do your thing and I'll do mine"; Alison and
Brett work as a team. Both come from the article in the seed file
004_5a4926b35f120bc9.txt and are invented people.
"""

from __future__ import annotations

from pathlib import Path

from .content import default_worksheets_dir
from .store import SessionStore
from .store.transfer import import_couple

__all__ = ["demo_files", "ensure_demo", "seed_demos"]


def demo_files(store: SessionStore) -> list[Path]:
    """Demo exports next to the worksheets in use, else the shipped ones."""
    for folder in (Path(store.content.folder) / "demo", default_worksheets_dir() / "demo"):
        files = sorted(folder.glob("*.json"))
        if files:
            return files
    return []


def seed_demos(store: SessionStore) -> list[str]:
    """Import each demo couple that is not in the store yet; returns the ids added.

    Existing couples are never touched, so running this again (as `make lab`
    does) keeps whatever a facilitator did with the demo data.
    """
    known = {c.id for c in store.couples()}
    added = []
    for path in demo_files(store):
        couple_id = path.stem
        if couple_id in known:
            continue
        added.append(import_couple(store, path).id)
    return added


def ensure_demo(store: SessionStore, couple_id: str) -> None:
    """Add the demo couples if ``couple_id`` names one that is not stored yet, so
    the notebooks work on a fresh machine; any other id is left alone."""
    if couple_id.startswith("demo-") and couple_id not in {c.id for c in store.couples()}:
        seed_demos(store)
