"""A cheap "has the store changed?" stamp, which views (the sidebar) poll to know when to
refresh (``TrackingClient.change_stamp``).

For SQLite it is the size and modification time of the database file and its write-ahead
log: every commit, from any process, touches one of them, and reading them costs two
``stat`` calls and no query. A server database (PostgreSQL) has no file to look at: there the
stamp changes every ``SERVER_STORE_PERIOD`` seconds, so the sidebar refreshes at that pace.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

SERVER_STORE_PERIOD = 10.0


def store_stamp(database: Path | None, now: float | None = None) -> str:
    """The stamp of the store in the SQLite file ``database``, or of a server database (None)
    at time ``now`` (default: the current time)."""
    if database is None:
        return f"t{int((now if now is not None else time.time()) // SERVER_STORE_PERIOD)}"
    parts = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            status = os.stat(path)
        except FileNotFoundError:
            parts.append("-")
        else:
            parts.append(f"{status.st_size}.{status.st_mtime_ns}")
    return ":".join(parts)
