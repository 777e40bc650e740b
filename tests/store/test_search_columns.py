"""The column-wise search (``RunSearch.search_run_columns``) on a real store: the ordered page
is read once, then each page's params, tags and metrics by run key (a whole result on
SQLite: by the same condition); metric ordering through
``order_runs``' join keeps MLflow's numbers, then NaN, then missing order."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from labtrack.client import Client
from labtrack.entities import Metric, Param, RunTag
from labtrack.store.filter import OrderBy
from labtrack.store.sql import base, schema
from labtrack.store.sql.filter_sql import order_runs

# name: latest loss (NaN, or None for no loss at all)
LOSSES = {"a": 0.5, "b": math.nan, "c": 0.1, "d": None, "e": 0.9, "f": 0.5}


@pytest.fixture
def store(tracking_uri):
    client = Client(tracking_uri)
    experiment_id = client.create_experiment("columns")
    for i, (name, loss) in enumerate(LOSSES.items()):
        run = client.create_run(experiment_id, run_name=name, start_time=1000 + i)
        metrics = [Metric("other", float(i), 0, 0)]
        if loss is not None:
            metrics += [Metric("loss", 7.0, 0, 0), Metric("loss", loss, 0, 1)]  # latest counts
        client.log_batch(
            run.info.run_id,
            metrics=metrics,
            params=[Param("p", f"p-{name}")],
            tags=[RunTag("t", f"t-{name}")],
        )
    client.flush()
    yield client, experiment_id
    client.close()


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        # numbers, then NaN (b), then missing (d); ties (a, f) newest first
        (["metrics.loss DESC"], ["e", "f", "a", "c", "b", "d"]),
        (["metrics.loss ASC"], ["c", "f", "a", "e", "b", "d"]),
        (["metrics.loss DESC", "metrics.other ASC"], ["e", "a", "f", "c", "b", "d"]),
    ],
)
@pytest.mark.parametrize("max_results", [4, None])  # pages read by run keys; one whole result
def test_pages_are_ordered_and_carry_only_their_runs_data(
    store, monkeypatch, order_by, expected, max_results
):
    client, experiment_id = store
    # Fewer keys per IN list than a page has runs, so SQLite reads a page in several chunks.
    monkeypatch.setattr(base, "_VALUES_PER_STATEMENT", 2)
    name_of = _names(client, experiment_id)
    names, token = [], None
    for _ in range(len(LOSSES) + 1):  # a page that never ends the paging fails below
        page = client.store.search.search_run_columns(
            [experiment_id],
            "metrics.other >= 0",
            max_results=max_results,
            order_by=order_by,
            page_token=token,
        )
        pks = {row[0]: name_of[row[1]] for row in page.runs}  # RUN_FIELDS: id, run_uuid, ...
        names += list(pks.values())
        assert sorted(pks.values()) == sorted({pks[pk] for pk, _, _ in page.params})
        assert {(pks[pk], value) for pk, _, value in page.params} == {
            (name, f"p-{name}") for name in pks.values()
        }
        assert {(pks[pk], value) for pk, key, value in page.tags if key == "t"} == {
            (name, f"t-{name}") for name in pks.values()
        }
        losses = {pks[pk]: value for pk, key, value in page.metrics if key == "loss"}
        assert {pks[pk] for pk, key, _ in page.metrics if key == "other"} == set(pks.values())
        for name in pks.values():
            if LOSSES[name] is None:
                assert name not in losses
            elif math.isnan(LOSSES[name]):
                assert math.isnan(losses[name])
            else:
                assert losses[name] == LOSSES[name]
        token = page.next_page_token
        if token is None:
            break
    assert names == expected


def _names(client, experiment_id) -> dict[str, str]:
    """Run id -> run name, for the runs of the experiment."""
    return {run.info.run_id: run.info.run_name for run in client.search_runs([experiment_id])}


def test_a_whole_result_carries_only_the_matching_runs_data(store):
    client, experiment_id = store
    name_of = _names(client, experiment_id)
    # One page holds every match: the runs' data is read by the filter itself, not by keys.
    found = client.store.search.search_run_columns([experiment_id], "metrics.other >= 2")
    pks = {row[0]: name_of[row[1]] for row in found.runs}
    assert sorted(pks.values()) == ["c", "d", "e", "f"]  # "other" is 0 to 5, a to f
    assert sorted((pks[pk], value) for pk, _, value in found.params) == [
        (name, f"p-{name}") for name in "cdef"
    ]
    assert {pk for pk, _, _ in found.tags} == set(pks)
    assert {pk for pk, _, _ in found.metrics} == set(pks)
    assert found.next_page_token is None


def test_a_whole_result_is_read_in_one_snapshot_by_the_search_itself(
    store, tracking_uri, statements
):
    client, experiment_id = store
    name_of = _names(client, experiment_id)
    engine = client.store.engine
    late: list[str] = []

    def after(statement: str) -> None:
        if statement.lstrip().startswith("SELECT runs.id") and not late:
            # Another process adds a matching run once the runs are read, before their data
            # (its statements, on the same engine here, are not the search's).
            watched.after = None
            searched = len(watched.seen)
            other = Client(tracking_uri)
            run = other.create_run(experiment_id, run_name="late")
            other.log_batch(
                run.info.run_id, metrics=[Metric("other", 9.0, 0, 0)], params=[Param("p", "x")]
            )
            other.flush()
            other.close()
            del watched.seen[searched:]
            late.append(run.info.run_id)

    watched = statements(engine)
    watched.after = after
    found = client.store.search.search_run_columns([experiment_id], "metrics.other >= 2")
    assert late, "the runs were not read by the statement this test waits for"
    pks = {row[0]: name_of[row[1]] for row in found.runs}  # the late run is not among them
    assert sorted(pks.values()) == ["c", "d", "e", "f"]
    for triples in (found.params, found.tags, found.metrics):
        assert {pk for pk, _, _ in triples} == set(pks)
    data_reads = [
        (sql, params)
        for sql, params in watched.seen
        if sql.lstrip().startswith("SELECT") and "FROM runs" not in sql.split("WHERE")[0]
    ]
    assert len(data_reads) == 3, data_reads  # params, tags, metrics
    if engine.dialect.name == "sqlite":
        # By the search's own condition (its values bound, no run key), however many match.
        runs_params = next(params for sql, params in watched.seen if "SELECT runs.id" in sql)
        for sql, params in data_reads:
            assert "IN (SELECT runs.id" in sql and params == runs_params, (sql, params)
    assert len(client.store.search.search_run_columns([experiment_id], "").runs) == 7


def test_order_runs_joins_each_metric_once_with_the_key_bound():
    hostile = "x') OR 1=1 --"
    query = order_runs(
        sa.select(schema.runs.c.id),
        [OrderBy("metric", hostile, False), OrderBy("metric", "loss", True)],
        schema.runs,
    )
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        compiled = query.compile(dialect=dialect)
        sql = str(compiled)
        assert hostile not in sql
        assert {hostile, "loss"} <= set(compiled.params.values())
        assert sql.count("LEFT OUTER JOIN latest_metrics") == 2
        # no correlated lookups per run: the only subqueries are the two key ids
        assert sql.count("SELECT") == 3


def test_get_runs_reads_every_run_whole_in_the_order_asked(store, monkeypatch):
    client, experiment_id = store
    # Fewer values per IN list than runs asked for: SQLite reads them in several chunks.
    monkeypatch.setattr(base, "_VALUES_PER_STATEMENT", 2)
    by_name = {run.info.run_name: run.info.run_id for run in client.search_runs([experiment_id])}
    order = ["d", "a", "f", "b", "e", "c"]
    runs = client.get_runs([by_name[name] for name in order] + [by_name["a"]])
    assert [run.info.run_name for run in runs] == [*order, "a"]
    for run in runs:
        name = run.info.run_name
        assert run.data.params == {"p": f"p-{name}"}
        assert run.data.tags["t"] == f"t-{name}"
        assert run.data.metrics["other"] == float(list(LOSSES).index(name))
        loss = LOSSES[name]
        if loss is None:
            assert "loss" not in run.data.metrics
        elif math.isnan(loss):
            assert math.isnan(run.data.metrics["loss"])
        else:
            assert run.data.metrics["loss"] == loss
