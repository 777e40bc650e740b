"""Damaging a SQLite file on purpose, for the tests of what labtrack does with one."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def overwrite_table_root(path: Path, table: str) -> None:
    """Write garbage over the first page of ``table``: opening still works, using it does not."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()[0]
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(bytes(range(256)) * (page_size // 256))
