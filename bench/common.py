"""Shared by the orchestrator and every worker: workload sizes, the rows every system logs,
timing helpers, store sizes, and the worker's JSON protocol.

Standard library only: the MLflow worker imports this module from the bench virtualenv,
where labtrack is not installed.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

WORKLOADS = ("import", "hot_loop", "many_runs", "search", "history")
SYSTEMS = ("raw", "labtrack", "mlflow", "trackio")
# The workloads a system has a counterpart for (all of them where not listed): Trackio's
# Python API has no search into a DataFrame and no history read.
SYSTEM_WORKLOADS = {"trackio": ("import", "hot_loop", "many_runs")}

# What each workload measures at full size ("target") and what each system actually runs.
# A system that runs fewer units than the target (MLflow: its calls cost milliseconds) has
# its size-dependent figures scaled linearly to the target; the report marks them.
SIZES: dict[str, dict[str, dict]] = {
    "full": {
        "import": {"target": {"repeats": 5}},
        "hot_loop": {"target": {"keys": 3, "steps": 10_000}, "mlflow": {"steps": 300}},
        "many_runs": {
            "target": {"runs": 1_000, "params": 10, "tags": 5, "keys": 3, "steps": 100},
            "mlflow": {"runs": 4},
            "trackio": {"runs": 20},
        },
        "search": {
            "target": {"runs": 10_000, "params": 10, "tags": 5, "keys": 3, "repeats": 5},
            "mlflow": {"runs": 1_000, "repeats": 3},
        },
        "history": {"target": {"points": 100_000, "repeats": 5}, "mlflow": {"repeats": 3}},
    },
    "quick": {
        "import": {"target": {"repeats": 5}, "mlflow": {"repeats": 3}},
        "hot_loop": {"target": {"keys": 3, "steps": 10_000}, "mlflow": {"steps": 100}},
        "many_runs": {
            "target": {"runs": 200, "params": 10, "tags": 5, "keys": 3, "steps": 100},
            "mlflow": {"runs": 3, "repeats": 1},
            "trackio": {"runs": 10, "repeats": 1},
        },
        "search": {
            "target": {"runs": 2_000, "params": 10, "tags": 5, "keys": 3, "repeats": 5},
            "mlflow": {"runs": 200, "repeats": 3},
        },
        "history": {
            "target": {"points": 100_000, "repeats": 5},
            "mlflow": {"points": 10_000, "repeats": 3},
        },
    },
}
DEFAULT_REPEATS = 3
# Units by which each workload's size-dependent figures scale.
SCALE_UNIT = {"hot_loop": "steps", "many_runs": "runs", "search": "runs", "history": "points"}


def set_runs(mode: str, workload: str, runs: int) -> None:
    """Make ``workload`` of ``mode`` run over ``runs`` runs (a system measured on fewer, such
    as MLflow, stays at its own size if that is smaller still)."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, not {runs}")
    spec = SIZES[mode][workload]
    spec["target"]["runs"] = runs
    for system, override in spec.items():
        if system != "target" and "runs" in override:
            override["runs"] = min(override["runs"], runs)


def size_for(mode: str, workload: str, system: str) -> dict:
    """The size ``system`` runs ``workload`` at: the target, with its overrides applied."""
    spec = SIZES[mode][workload]
    return {"repeats": DEFAULT_REPEATS, **spec["target"], **spec.get(system, {})}


# -- the data: identical rows for every system ----------------------------------------------

METRIC_KEYS = ("loss", "accuracy", "learning_rate", "val_loss", "val_accuracy")


def metric_keys(count: int) -> list[str]:
    return [METRIC_KEYS[i] if i < len(METRIC_KEYS) else f"metric_{i}" for i in range(count)]


def metric_value(key_index: int, step: int) -> float:
    return 1.0 / (step + 1) + 0.1 * key_index


def metric_rows(keys: int, steps: int) -> list[tuple[str, float, int]]:
    """(key, value, step) in logging order: every key at step 0, then at step 1, ..."""
    names = metric_keys(keys)
    return [(names[k], metric_value(k, step), step) for step in range(steps) for k in range(keys)]


def run_params(run: int, count: int) -> dict[str, str]:
    return {f"param_{j}": str((run * 31 + j * 7) % 997) for j in range(count)}


def run_tags(run: int, count: int) -> dict[str, str]:
    return {f"tag_{j}": f"group-{(run + j) % 13}" for j in range(count)}


def now_ms() -> int:
    return int(time.time() * 1000)


# -- timing ---------------------------------------------------------------------------------

clock = time.perf_counter


def summarize(samples: list[dict[str, float]]) -> dict[str, dict]:
    """Per figure: the median over repetitions and every sample (for the JSON)."""
    names = samples[0].keys() if samples else ()
    return {
        name: {
            "median": statistics.median(s[name] for s in samples),
            "samples": [s[name] for s in samples],
        }
        for name in names
    }


def repeat(times: int, once: Callable[[int], dict[str, float]]) -> dict[str, dict]:
    """Run ``once(i)`` ``times`` times; each call returns {figure: value}."""
    return summarize([once(i) for i in range(times)])


def import_cost(module: str, repeats: int, python: str = sys.executable) -> dict[str, dict]:
    """The cost of ``import module`` in a fresh interpreter, two ways, per repetition.

    ``import_s``: the wall time of ``python -c "import module"`` beyond ``python -c "pass"``
    (what a user waits; noisy, since it is the difference of two process start-ups).
    ``import_inside_s``: the import statement timed inside that interpreter (steadier).
    """
    timed_import = (
        f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    )

    def wall(code: str) -> tuple[float, str]:
        start = clock()
        done = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
        return clock() - start, done.stdout

    def once(_: int) -> dict[str, float]:
        with_import, printed = wall(timed_import)
        baseline, _ = wall("pass")
        return {"import_s": with_import - baseline, "import_inside_s": float(printed.split()[-1])}

    wall("pass")  # warm the file cache
    wall(timed_import)
    return repeat(repeats, once)


HEAVY_MODULES = ("pandas", "numpy", "sqlalchemy", "plotly", "matplotlib", "alembic", "pydantic")


def modules_loaded_by(module: str, python: str = sys.executable) -> list[str]:
    """Which of ``HEAVY_MODULES`` a fresh ``import module`` leaves in ``sys.modules``."""
    code = (
        f"import sys, json, {module}; "
        f"print(json.dumps([m for m in {list(HEAVY_MODULES)!r} if m in sys.modules]))"
    )
    output = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# -- stores ---------------------------------------------------------------------------------


def store_bytes(database: Path) -> int:
    """Bytes of a SQLite store on disk (database + WAL) after a full checkpoint."""
    conn = sqlite3.connect(database)
    try:
        if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return sum(p.stat().st_size for p in (database, Path(f"{database}-wal")) if p.exists())


def repetition_dir(base: Path, index: int) -> Path:
    """A fresh, empty folder for one repetition's store."""
    folder = base / f"rep{index}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


# -- the worker protocol --------------------------------------------------------------------


def worker_main(
    system: str, version: str, workloads: dict[str, Callable[[dict, Path], dict]]
) -> None:
    """Run the workload named in argv[1] (a JSON config) and print its result as JSON.

    The config is {"workload": name, "size": {...}, "store_dir": path}. Anything the system
    prints while it runs goes to stderr, so stdout carries exactly one JSON document.
    """
    config = json.loads(sys.argv[1])
    store_dir = Path(config["store_dir"])
    stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        result = workloads[config["workload"]](config["size"], store_dir)
    finally:
        sys.stdout = stdout
    json.dump(
        {
            "system": system,
            "version": version,
            "workload": config["workload"],
            "size": config["size"],
            **result,
        },
        stdout,
    )
    stdout.write("\n")
    stdout.flush()
