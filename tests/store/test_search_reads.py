"""search_runs into a DataFrame reads a page's params, tags and metrics with one statement
each, whatever the number of runs (lists of run keys, chunked under SQLite's variable limit,
cost more to bind than the rows cost to read), and the page it reads them for is the page
of runs it returns."""

from __future__ import annotations

import sqlalchemy as sa

import labtrack as lt
from labtrack.tracking.state import client as current_client

RUNS = 1_200  # more than one chunk of run keys (900)


def _fill(experiment_id: str) -> None:
    """RUNS finished runs with two params, a tag and a metric each, inserted in bulk."""
    engine = current_client().store.engine
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO runs (run_uuid, experiment_id, name, status, start_time, end_time, "
                "lifecycle_stage, artifact_uri, user_id) VALUES (:uuid, :experiment, :name, "
                "'FINISHED', :start, :start, 'active', 'file:///tmp/a', '')"
            ),
            [
                {"uuid": f"{i:032x}", "experiment": int(experiment_id), "name": f"r{i}", "start": i}
                for i in range(RUNS)
            ],
        )
        ids = dict(conn.execute(sa.text("SELECT run_uuid, id FROM runs")).all())
        conn.execute(
            sa.text("INSERT INTO params (run_id, key, value) VALUES (:run, :key, :value)"),
            [
                {"run": ids[f"{i:032x}"], "key": key, "value": str(i)}
                for i in range(RUNS)
                for key in ("a", "b")
            ],
        )
        conn.execute(
            sa.text("INSERT INTO tags (run_id, key, value) VALUES (:run, 'stage', :value)"),
            [{"run": ids[f"{i:032x}"], "value": f"s{i}"} for i in range(RUNS)],
        )
        conn.execute(sa.text("INSERT INTO metric_keys (key) VALUES ('loss')"))
        key = conn.execute(sa.text("SELECT id FROM metric_keys WHERE key = 'loss'")).scalar()
        conn.execute(
            sa.text(
                "INSERT INTO latest_metrics (run_id, key_id, step, timestamp, value, is_nan) "
                "VALUES (:run, :key, 0, 0, :value, :nan)"
            ),
            [
                {"run": ids[f"{i:032x}"], "key": key, "value": i / 2, "nan": False}
                for i in range(RUNS)
            ],
        )


def test_a_search_reads_each_kind_of_data_with_one_statement(tracking_uri):
    lt.set_tracking_uri(tracking_uri)
    experiment = lt.create_experiment("many")
    _fill(experiment)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = current_client().store.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        frame = lt.search_runs(experiment_ids=[experiment])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 5, reads  # the runs, params, tags, metrics (and a reaping check)
    assert len(frame) == RUNS
    newest = frame.iloc[0]
    assert newest["params.a"] == str(RUNS - 1) and newest["tags.stage"] == f"s{RUNS - 1}"
    assert newest["metrics.loss"] == (RUNS - 1) / 2


def test_a_page_reads_the_data_of_its_own_runs(tracking_uri):
    lt.set_tracking_uri(tracking_uri)
    experiment = lt.create_experiment("many")
    _fill(experiment)
    client = current_client()
    token = None
    seen = []
    for _ in range(3):
        columns = client.store.search.search_run_columns(
            [experiment], max_results=500, page_token=token
        )
        keys = {row[0] for row in columns.runs}  # RUN_FIELDS: id, run_uuid, ...
        assert {pk for pk, _, _ in columns.params} == keys
        assert {pk for pk, _, _ in columns.tags} == keys
        assert {pk for pk, _, _ in columns.metrics} == keys
        seen += [row[1] for row in columns.runs]
        token = columns.next_page_token
    assert token is None
    assert seen == [f"{i:032x}" for i in reversed(range(RUNS))]
