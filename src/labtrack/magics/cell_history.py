"""The cells that produced a run, in execution order, kept as two artifacts:
``source/cells.json`` (machine-readable) and ``source/cells.py`` (readable, re-runnable),
written by the background writer (``MetricWriter.defer``) so the cell does not wait."""

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
            client.writer.run_deferred()  # an earlier append may still be on its way to disk
            saved = json.loads(client._artifacts(run_id).read_bytes(HISTORY_FILE))
            self.cells = [Cell(**cell) for cell in saved]
        except NotFound:
            self.cells = []

    def append(self, source: str, execution_count: int | None, seconds: float, ok: bool) -> None:
        started = time.time() - seconds
        self.cells.append(
            Cell(execution_count, source, started, round(seconds, 6), "ok" if ok else "error")
        )
        history, script = json.dumps([asdict(c) for c in self.cells], indent=1), self.script()
        client, run_id = self.client, self.run_id

        def write() -> None:
            client.log_text(run_id, history, HISTORY_FILE)
            client.log_text(run_id, script, SCRIPT_FILE)

        # Two small files cost a cell a millisecond or two: the writer thread writes them
        # within ~100 ms (and any read of the run's artifacts from here waits for them).
        client.writer.defer(write)

    def script(self) -> str:
        parts = []
        for cell in self.cells:
            failed = "  (raised)" if cell.status == "error" else ""
            parts.append(f"# In[{cell.execution_count or ' '}]:{failed}\n{cell.source.rstrip()}\n")
        return "\n\n".join(parts)
