"""The floor: the same rows written and read with plain ``sqlite3`` and ``executemany``.

The schema mirrors labtrack's (integer run and metric-key ids, an index on
(run, key, step), a table of each run's latest metric values) and the connection uses
the same pragmas (WAL, synchronous=NORMAL), so the gap to labtrack is what its API,
validation, buffering and SQL layer cost. The floor does no validation and no
provenance, and commits once per logical unit: the hot loop's points, or one run.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from common import (
    clock,
    import_cost,
    metric_keys,
    metric_rows,
    metric_value,
    modules_loaded_by,
    now_ms,
    repeat,
    repetition_dir,
    run_params,
    run_tags,
    store_bytes,
)

SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, run_uuid TEXT NOT NULL UNIQUE, experiment_id INTEGER NOT NULL,
    name TEXT NOT NULL, status TEXT NOT NULL, start_time INTEGER NOT NULL, end_time INTEGER,
    artifact_uri TEXT NOT NULL);
CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time);
CREATE TABLE params (
    run_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key));
CREATE TABLE tags (
    run_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key));
CREATE TABLE metric_keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE metrics (
    run_id INTEGER NOT NULL, key_id INTEGER NOT NULL, step INTEGER NOT NULL,
    timestamp INTEGER NOT NULL, value REAL);
CREATE INDEX metrics_run_key_step ON metrics (run_id, key_id, step);
CREATE TABLE latest_metrics (
    run_id INTEGER NOT NULL, key_id INTEGER NOT NULL, step INTEGER NOT NULL,
    timestamp INTEGER NOT NULL, value REAL, PRIMARY KEY (run_id, key_id));
"""
EXPERIMENT = 1


class Store:
    """One SQLite file with the floor's schema, and the few statements the workloads need."""

    def __init__(self, folder: Path):
        self.path = folder / "raw.db"
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.executescript(SCHEMA)
        self.key_ids: dict[str, int] = {}

    def key_id(self, key: str) -> int:
        if key not in self.key_ids:
            self.conn.execute("INSERT OR IGNORE INTO metric_keys (key) VALUES (?)", (key,))
            self.key_ids[key] = self.conn.execute(
                "SELECT id FROM metric_keys WHERE key = ?", (key,)
            ).fetchone()[0]
        return self.key_ids[key]

    def insert_run(self, index: int, start: int) -> int:
        run_uuid = uuid.uuid4().hex
        return self.conn.execute(
            "INSERT INTO runs (run_uuid, experiment_id, name, status, start_time, end_time,"
            " artifact_uri) VALUES (?, ?, ?, 'FINISHED', ?, ?, ?)",
            (run_uuid, EXPERIMENT, f"run-{index}", start, start, f"/artifacts/{run_uuid}"),
        ).lastrowid

    def insert_run_data(self, run: int, params: dict, tags: dict, points: list[tuple]) -> None:
        """A run's params, tags, metric points (key, value, step, timestamp), latest values."""
        execute_many = self.conn.executemany
        execute_many(
            "INSERT INTO params VALUES (?, ?, ?)", [(run, k, v) for k, v in params.items()]
        )
        execute_many("INSERT INTO tags VALUES (?, ?, ?)", [(run, k, v) for k, v in tags.items()])
        rows = [(run, self.key_id(key), step, ts, value) for key, value, step, ts in points]
        execute_many("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", rows)
        latest = {row[1]: row for row in sorted(rows, key=lambda row: (row[2], row[3]))}
        execute_many(
            "INSERT OR REPLACE INTO latest_metrics VALUES (?, ?, ?, ?, ?)", list(latest.values())
        )


def hot_loop(size: dict, base: Path) -> dict:
    """30,000 points of one run: executemany + commit (the floor has no caller-side buffer)."""
    rows = metric_rows(size["keys"], size["steps"])

    def once(i: int) -> dict[str, float]:
        store = Store(repetition_dir(base, i))
        run = store.insert_run(0, now_ms())
        start = clock()
        store.conn.execute("BEGIN")
        timestamp = now_ms()
        store.conn.executemany(
            "INSERT INTO metrics VALUES (?, ?, ?, ?, ?)",
            [(run, store.key_id(key), step, timestamp, value) for key, value, step in rows],
        )
        store.conn.execute("COMMIT")
        persisted = clock() - start
        store.conn.close()
        return {"caller_us_per_point": persisted / len(rows) * 1e6, "persisted_s": persisted}

    return {"figures": repeat(size["repeats"], once), "points": len(rows)}


def many_runs(size: dict, base: Path) -> dict:
    """One transaction per run: the run row, its params, tags, metric points, latest values."""
    rows = metric_rows(size["keys"], size["steps"])

    def once(i: int) -> dict[str, float]:
        store = Store(repetition_dir(base, i))
        empty = store_bytes(store.path)
        start = clock()
        for index in range(size["runs"]):
            store.conn.execute("BEGIN")
            timestamp = now_ms()
            run = store.insert_run(index, timestamp)
            store.insert_run_data(
                run,
                run_params(index, size["params"]),
                run_tags(index, size["tags"]),
                [(key, value, step, timestamp) for key, value, step in rows],
            )
            store.conn.execute("COMMIT")
        total = clock() - start
        store.conn.close()
        return {
            "total_s": total,
            "store_bytes": store_bytes(store.path),
            "empty_store_bytes": empty,
        }

    return {"figures": repeat(size["repeats"], once)}


def search(size: dict, base: Path) -> dict:
    """Runs, params, tags and latest metrics of one experiment, pivoted into a DataFrame
    column by column (what any search_runs must at least do)."""
    import pandas as pd

    store = Store(repetition_dir(base, 0))
    keys = metric_keys(size["keys"])
    store.conn.execute("BEGIN")
    timestamp = now_ms()
    for index in range(size["runs"]):
        run = store.insert_run(index, timestamp + index)
        points = [(key, metric_value(k, 99), 99, timestamp) for k, key in enumerate(keys)]
        store.insert_run_data(
            run, run_params(index, size["params"]), run_tags(index, size["tags"]), points
        )
    store.conn.execute("COMMIT")

    def query() -> float:
        start = clock()
        frame = runs_frame(store.conn, pd)
        elapsed = clock() - start
        if len(frame) != size["runs"]:
            raise AssertionError(f"query returned {len(frame)} rows, expected {size['runs']}")
        return elapsed

    first = query()
    figures = repeat(size["repeats"], lambda _: {"query_s": query()})
    overhead = max(0.0, first - figures["query_s"]["median"])
    figures["first_call_overhead_s"] = {"median": overhead, "samples": [overhead]}
    return {"figures": figures}


def runs_frame(conn: sqlite3.Connection, pd):
    runs = conn.execute(
        "SELECT id, run_uuid, experiment_id, status, artifact_uri, start_time, end_time FROM runs"
        " WHERE experiment_id = ? ORDER BY start_time DESC",
        (EXPERIMENT,),
    ).fetchall()
    position = {row[0]: i for i, row in enumerate(runs)}
    names = ("id", "run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")
    columns = {name: [row[i] for row in runs] for i, name in enumerate(names)}
    del columns["id"]
    columns["start_time"] = pd.to_datetime(columns["start_time"], unit="ms", utc=True)
    columns["end_time"] = pd.to_datetime(columns["end_time"], unit="ms", utc=True)
    for prefix, sql in (
        (
            "metrics",
            "SELECT m.run_id, k.key, m.value FROM latest_metrics m"
            " JOIN metric_keys k ON k.id = m.key_id",
        ),
        ("params", "SELECT run_id, key, value FROM params"),
        ("tags", "SELECT run_id, key, value FROM tags"),
    ):
        pivot: dict[str, list] = {}
        for run, key, value in conn.execute(
            f"SELECT t.* FROM ({sql}) t JOIN runs r ON r.id = t.run_id WHERE r.experiment_id = ?",
            (EXPERIMENT,),
        ):
            column = pivot.get(key)
            if column is None:
                column = pivot[key] = [None] * len(runs)
            column[position[run]] = value
        for key in sorted(pivot):
            columns[f"{prefix}.{key}"] = pivot[key]
    return pd.DataFrame(columns)


def history(size: dict, base: Path) -> dict:
    """SELECT step, timestamp, value ... WHERE run = ? AND key = ? ORDER BY step."""
    store = Store(repetition_dir(base, 0))
    store.conn.execute("BEGIN")
    run = store.insert_run(0, now_ms())
    timestamp = now_ms()
    store.insert_run_data(
        run, {}, {}, [("loss", metric_value(0, s), s, timestamp) for s in range(size["points"])]
    )
    store.conn.execute("COMMIT")
    key = store.key_id("loss")

    def once(_: int) -> dict[str, float]:
        start = clock()
        points = store.conn.execute(
            "SELECT step, timestamp, value FROM metrics WHERE run_id = ? AND key_id = ?"
            " ORDER BY step",
            (run, key),
        ).fetchall()
        elapsed = clock() - start
        if len(points) != size["points"]:
            raise AssertionError(f"history has {len(points)} points, expected {size['points']}")
        return {"read_s": elapsed}

    once(-1)
    return {"figures": repeat(size["repeats"], once)}


def import_time(size: dict, base: Path) -> dict:
    return {
        "figures": import_cost("sqlite3", size["repeats"]),
        "modules_after_import": modules_loaded_by("sqlite3"),
    }


if __name__ == "__main__":
    from common import worker_main

    worker_main(
        "raw",
        f"sqlite {sqlite3.sqlite_version}",
        {
            "import": import_time,
            "hot_loop": hot_loop,
            "many_runs": many_runs,
            "search": search,
            "history": history,
        },
    )
