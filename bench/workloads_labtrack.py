"""The labtrack worker: the shared workloads on ``labtrack`` with its SQLite store.

Run by ``run.py`` with the current interpreter and ``src/`` on ``PYTHONPATH``. Metric
points are persisted by a background thread, so "persisted" means after ``lt.flush()``.
"""

from __future__ import annotations

from pathlib import Path

from common import worker_main
from tracking_api import Tracker

# Must not be imported by `import labtrack` (they load on first use).
MUST_STAY_LAZY = ("pandas", "sqlalchemy", "plotly")


def use_store(folder: Path) -> Path:
    import labtrack

    database = folder / "labtrack.db"
    labtrack.set_tracking_uri(f"sqlite:///{database}")
    return database


def settle() -> None:
    """Persist every buffered point, and wait for the run provenance (git state) that
    labtrack records in the background, so that the timing covers all of it."""
    import labtrack
    from labtrack.tracking.fluent import wait_for_source_capture

    labtrack.flush()
    wait_for_source_capture()


class LabtrackTracker(Tracker):
    def import_time(self, size: dict, base: Path) -> dict:
        result = super().import_time(size, base)
        eager = [m for m in MUST_STAY_LAZY if m in result["modules_after_import"]]
        result["lazy_imports_ok"] = not eager
        if eager:
            result["error"] = f"`import labtrack` loaded {', '.join(eager)}"
        return result


if __name__ == "__main__":
    tracker = LabtrackTracker("labtrack", use_store=use_store, settle=settle)
    worker_main("labtrack", tracker.module.__version__, tracker.workloads())
