"""The Trackio worker: the workloads that apply to ``trackio``, a local-first SQLite store with
a wandb-style API (``init`` / ``log`` / ``finish``), the closest local-first rival.

Run by ``run.py`` with the bench virtualenv's python, like MLflow's (Trackio is never a
dependency of labtrack). ``TRACKIO_DIR`` is the worker's scratch folder, and each
repetition logs to a project of its own: a project is a new SQLite file there. The same rows as the other systems:
- ``hot_loop``: one run, one ``trackio.log({key: value}, step=step)`` per point, as
  ``log_metric`` is one call per point; "persisted" is after ``finish()``, which waits for
  the background writer.
- ``many_runs``: per run ``init(config=params and tags)`` (Trackio has no tags apart from
  the config), one ``log`` per point, ``finish()``.
- ``import``: as for the others. ``search`` and ``history`` have no counterpart in Trackio's
  Python API (its dashboard reads the file), so they are not run.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from common import (
    clock,
    import_cost,
    metric_rows,
    modules_loaded_by,
    repeat,
    run_params,
    run_tags,
    store_bytes,
    worker_main,
)

logging.getLogger("trackio").setLevel(logging.WARNING)


def _trackio(base: Path):
    """Trackio with its files under ``base``: imported once the variable is set (its modules
    read ``TRACKIO_DIR`` on import)."""
    os.environ["TRACKIO_DIR"] = str(base / "trackio")
    import trackio

    return trackio


def hot_loop(size: dict, base: Path) -> dict:
    rows = metric_rows(size["keys"], size["steps"])

    def once(i: int) -> dict[str, float]:
        trackio = _trackio(base)
        trackio.init(project=f"hot-loop-{i}", name="run")
        log = trackio.log
        start = clock()
        for key, value, step in rows:
            log({key: value}, step=step)
        looped = clock()
        trackio.finish()
        persisted = clock()
        return {
            "caller_us_per_point": (looped - start) / len(rows) * 1e6,
            "loop_s": looped - start,
            "persisted_s": persisted - start,
            "flush_s": persisted - looped,
        }

    return {"figures": repeat(size["repeats"], once), "points": len(rows)}


def many_runs(size: dict, base: Path) -> dict:
    rows = metric_rows(size["keys"], size["steps"])

    def once(i: int) -> dict[str, float]:
        trackio = _trackio(base)
        project = f"many-runs-{i}"
        start = clock()
        for run in range(size["runs"]):
            config = {**run_params(run, size["params"]), **run_tags(run, size["tags"])}
            trackio.init(project=project, name=f"run-{run}", config=config)
            for key, value, step in rows:
                trackio.log({key: value}, step=step)
            trackio.finish()
        total = clock() - start
        database = base / "trackio" / f"{project}.db"
        return {"total_s": total, "store_bytes": store_bytes(database), "empty_store_bytes": 0}

    return {"figures": repeat(size["repeats"], once)}


def import_time(size: dict, base: Path) -> dict:
    return {
        "figures": import_cost("trackio", size["repeats"]),
        "modules_after_import": modules_loaded_by("trackio"),
    }


if __name__ == "__main__":
    from importlib.metadata import version

    worker_main(
        "trackio",
        version("trackio"),
        {"import": import_time, "hot_loop": hot_loop, "many_runs": many_runs},
    )
