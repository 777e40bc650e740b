"""The cells that produced a run, in execution order, kept as two artifacts:
``source/cells.json`` (machine-readable) and ``source/cells.py`` (readable, re-runnable)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

from labtrack.errors import NotFound

HISTORY_FILE = "source/cells.json"
SCRIPT_FILE = "source/cells.py"


@dataclass(frozen=True)
class Cell:
    execution_count: int | None
    source: str
    started: float  # seconds since the epoch
    seconds: float
    status: str  # "ok" or "error"


class CellHistory:
    """Appends cells to a run's history; a resumed run continues the history it had."""

    def __init__(self, client, run_id: str, new_run: bool = False):
        self.client = client
        self.run_id = run_id
        self.cells: list[Cell] = []
        if new_run:  # nothing to read back
            return
        try:
            saved = json.loads(client._artifacts(run_id).read_bytes(HISTORY_FILE))
            self.cells = [Cell(**cell) for cell in saved]
        except NotFound:
            self.cells = []

    def append(self, source: str, execution_count: int | None, seconds: float, ok: bool) -> None:
        started = time.time() - seconds
        self.cells.append(Cell(execution_count, source, started, round(seconds, 6), "ok" if ok else "error"))
        self.client.log_text(self.run_id, json.dumps([asdict(c) for c in self.cells], indent=1), HISTORY_FILE)
        self.client.log_text(self.run_id, self.script(), SCRIPT_FILE)

    def script(self) -> str:
        parts = []
        for cell in self.cells:
            failed = "  (raised)" if cell.status == "error" else ""
            parts.append(f"# In[{cell.execution_count or ' '}]:{failed}\n{cell.source.rstrip()}\n")
        return "\n\n".join(parts)
