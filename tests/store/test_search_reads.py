"""search_runs into a DataFrame reads a page's params, tags and metrics with one statement
each, whatever the number of runs (lists of run keys, chunked under SQLite's variable limit,
cost more to bind than the rows cost to read), and the page it reads them for is the page
of runs it returns. A search repeated with the same arguments runs the queries compiled
for the first, and still finds what was logged since."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import labtrack as lt
from labtrack.store.sql import driver, search
from labtrack.tracking.fluent import wait_for_source_capture
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


@pytest.fixture
def prepared(monkeypatch) -> list[str]:
    """The queries compiled for the driver (``driver.prepare``) from here on, as SQL."""
    texts: list[str] = []

    def prepare(conn, statement):
        found = original(conn, statement)
        texts.append(found.sql if found else "(not prepared)")
        return found

    original = driver.prepare
    monkeypatch.setattr(driver, "prepare", prepare)
    return texts


def test_a_search_reads_each_kind_of_data_with_one_statement(tracking_uri, statements):
    experiment = lt.create_experiment("many")
    _fill(experiment)
    watched = statements(current_client().store.engine)
    for _ in range(2):  # the first search compiles its queries, the second reuses them
        watched.seen.clear()
        frame = lt.search_runs(experiment_ids=[experiment])
        reads = [s for s in watched.sql if s.lstrip().upper().startswith("SELECT")]
        # the runs, params, tags, metrics (and a reaping check)
        assert 4 <= len(reads) <= 5, reads
        assert sum("FROM params" in s for s in reads) == 1
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


def _queries_of_a_search(tracking_uri: str) -> int:
    """The queries a whole search compiles: its page of runs, and on SQLite their params,
    tags and metrics (PostgreSQL reads those by the page's run keys: nothing to keep)."""
    return 4 if tracking_uri.startswith("sqlite") else 1


def test_a_repeated_search_runs_the_queries_compiled_for_the_first(tracking_uri, prepared):
    experiment = lt.create_experiment("again")
    with lt.start_run(experiment_id=experiment):
        lt.log_param("lr", "0.1")
    wait_for_source_capture()  # its git state, tagged in the background: no change below
    first = lt.search_runs(experiment_ids=[experiment])
    assert len(prepared) == _queries_of_a_search(tracking_uri)
    prepared.clear()
    assert lt.search_runs(experiment_ids=[experiment]).equals(first)
    assert prepared == []
    # What was logged since is found: the queries are kept, never their rows.
    with lt.start_run(experiment_id=experiment):
        lt.log_param("lr", "0.2")
        lt.log_metric("loss", 0.5)
    again = lt.search_runs(experiment_ids=[experiment])
    assert prepared == []
    assert list(again["params.lr"]) == ["0.2", "0.1"]
    assert again["metrics.loss"].iloc[0] == 0.5
    # Other arguments, other queries; their errors are raised, never kept.
    lt.search_runs(experiment_ids=[experiment], filter_string="params.lr = '0.1'")
    assert len(prepared) == _queries_of_a_search(tracking_uri)
    for _ in range(2):
        with pytest.raises(lt.MlflowException):
            lt.search_runs(experiment_ids=[experiment], filter_string="params.lr ==")
    # Arguments are read once (an iterator of orders is not spent by the key), and the page
    # size is part of it.
    for order_by in (iter(["params.lr ASC"]), ["params.lr ASC"]):
        ordered = lt.search_runs(experiment_ids=[experiment], order_by=order_by)
        assert list(ordered["params.lr"]) == ["0.1", "0.2"]
    assert len(lt.search_runs(experiment_ids=[experiment], max_results=1)) == 1


def test_a_store_keeps_a_bounded_number_of_compiled_queries(tracking_uri, prepared, monkeypatch):
    monkeypatch.setattr(search, "QUERIES_KEPT", 6)
    experiment = lt.create_experiment("bounded")
    with lt.start_run(experiment_id=experiment):
        lt.log_param("n", "1")
    for n in range(7):
        lt.search_runs(experiment_ids=[experiment], filter_string=f"params.n != '{n}'")
    assert len(current_client().store.search._queries) <= 6
    prepared.clear()
    lt.search_runs(experiment_ids=[experiment], filter_string="params.n != '0'")
    # the oldest went first, and are compiled again
    assert len(prepared) == _queries_of_a_search(tracking_uri)


def test_a_search_sqlalchemy_must_run_still_reads_the_same(tracking_uri, monkeypatch):
    experiment = lt.create_experiment("unprepared")
    _fill(experiment)
    expected = lt.search_runs(experiment_ids=[experiment])
    current_client().store.search._queries.clear()
    monkeypatch.setattr(driver, "prepare", lambda conn, statement: None)
    for _ in range(2):
        assert lt.search_runs(experiment_ids=[experiment]).equals(expected)


def test_counts_and_searches_for_runs_reuse_their_compiled_queries_too(tracking_uri, prepared):
    client = lt.Client()
    experiment = lt.create_experiment("counted")
    for runs in (1, 2):
        with lt.start_run(experiment_id=experiment):
            lt.log_param("n", str(runs))
        prepared.clear()
        assert client.count_runs(experiment, "params.n != 'x'") == runs
        found = client.search_runs([experiment], "params.n != 'x'", max_results=10)
        assert [run.data.params["n"] for run in found] == [str(n) for n in range(runs, 0, -1)]
        # compiled for the first round; the second finds its new run with the same queries
        assert len(prepared) == (2 if runs == 1 else 0)
