"""Where sessions are kept: a small interface and its SQLite implementation.

``Store()`` opens the store in the data folder; ``SQLiteStore(":memory:")``
or ``SQLiteStore(path_or_connection)`` opens any other database. JSON and CSV
transfer (``toolkit.store.transfer``) work with any ``SessionStore``.
"""

from __future__ import annotations

from .base import (
    AnswerRecord,
    CoupleRecord,
    PlanRowRecord,
    SessionRecord,
    SessionStore,
    StoreBusyError,
    StoreDamagedError,
    StoreError,
    StoreFullError,
    StoreGoneError,
)
from .sqlite import DATA_ENV, DB_NAME, SCHEMA_VERSION, SQLiteStore, Store, default_data_dir

__all__ = [
    "AnswerRecord",
    "CoupleRecord",
    "DATA_ENV",
    "DB_NAME",
    "PlanRowRecord",
    "SCHEMA_VERSION",
    "SQLiteStore",
    "SessionRecord",
    "SessionStore",
    "Store",
    "StoreBusyError",
    "StoreDamagedError",
    "StoreError",
    "StoreFullError",
    "StoreGoneError",
    "default_data_dir",
]
