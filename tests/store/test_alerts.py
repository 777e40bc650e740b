"""Alerts stored on runs (schema v6): the SQL store's ``alerts`` part, and the migration that
adds its table to a v5 store without touching the rest."""

from __future__ import annotations

import math
import sqlite3

import pytest
import sqlalchemy as sa

from labtrack.errors import NotFound
from labtrack.store.sql import connection, migrations, schema
from labtrack.store.sql.store import SqlStore


@pytest.fixture
def store(tracking_uri):
    store = SqlStore(tracking_uri)
    yield store
    store.close()


def _run(store: SqlStore, experiment_id: str = "0") -> str:
    return store.runs.create_run(experiment_id, "r").run_id


def test_alerts_are_stored_on_their_run_and_read_back_oldest_first(store):
    first, second = _run(store), _run(store)
    a = store.alerts.add_alert(first, "started", "", "INFO", timestamp=1000)
    b = store.alerts.add_alert(
        second, "val_loss above 2", "val_loss = 3.5 at step 7", "WARN", 2000, "val_loss", 3.5, 7
    )
    c = store.alerts.add_alert(first, "diverged", "loss is inf", "ERROR", 3000, "loss", math.inf, 9)
    assert a.id < b.id < c.id
    assert (b.run_id, b.experiment_id, b.metric_key, b.metric_value, b.step) == (
        second,
        "0",
        "val_loss",
        3.5,
        7,
    )
    every = store.alerts.search_alerts()
    assert [x.title for x in every] == ["started", "val_loss above 2", "diverged"]
    assert every[2].metric_value == math.inf and every[2].to_dictionary()["metric_value"] == "inf"
    assert [x.id for x in store.alerts.search_alerts(run_uuids=[first])] == [a.id, c.id]
    assert [x.id for x in store.alerts.search_alerts(since=2000)] == [b.id, c.id]
    assert [x.id for x in store.alerts.search_alerts(after_id=a.id)] == [b.id, c.id]
    assert [x.id for x in store.alerts.search_alerts(levels=["ERROR", "WARN"])] == [b.id, c.id]
    assert [x.id for x in store.alerts.search_alerts(max_results=1)] == [a.id]
    assert store.alerts.search_alerts(run_uuids=[]) == []
    assert store.alerts.last_alert_id() == c.id


def test_an_alert_on_an_unknown_run_is_refused(store):
    with pytest.raises(NotFound, match="f" * 32):
        store.alerts.add_alert("f" * 32, "t", "", "INFO")


def test_the_store_refuses_a_level_it_does_not_know(store):
    run_id = _run(store)
    with pytest.raises(sa.exc.IntegrityError):
        store.alerts.add_alert(run_id, "t", "", "LOUD")


def test_a_search_over_many_runs_is_one_ordered_list(store):
    runs = [_run(store) for _ in range(3)]
    for i in range(1000):  # over SQLite's chunk of 900 run ids per statement
        store.alerts.add_alert(runs[i % 3], f"a{i}", "", "INFO", timestamp=i)
    many = runs + [f"{i:032x}" for i in range(1000)]
    found = store.alerts.search_alerts(run_uuids=many, max_results=5000)
    assert [x.title for x in found] == [f"a{i}" for i in range(1000)]


def test_a_deleted_run_row_takes_its_alerts_with_it(store):
    run_id = _run(store)
    store.alerts.add_alert(run_id, "t", "", "INFO")
    with store.engine.begin() as conn:  # as `labtrack gc` removes a run for good
        conn.execute(sa.delete(schema.runs).where(schema.runs.c.run_uuid == run_id))
    assert store.alerts.search_alerts() == []


def test_a_version_5_store_gets_the_alerts_table_and_keeps_its_runs(tmp_path):
    path = tmp_path / "v5.db"
    SqlStore(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:  # back to v5: as labtrack before alerts left it
        conn.execute("DROP INDEX alerts_run")
        conn.execute("DROP TABLE alerts")
        conn.execute("UPDATE labtrack_schema SET version = 5")
    engine = connection.create_engine(f"sqlite:///{path}")
    assert migrations.current_version(engine) == 5
    engine.dispose()
    store = SqlStore(f"sqlite:///{path}")
    assert store.schema_version == schema.SCHEMA_VERSION == 6
    run_id = _run(store)
    assert store.alerts.add_alert(run_id, "after the upgrade", "", "WARN").level == "WARN"
    store.close()


def test_an_alert_reads_as_one_short_line(store):
    alert = store.alerts.add_alert(_run(store), "val_loss diverged", "a long text " * 50, "WARN")
    assert repr(alert) == f"<Alert {alert.id} WARN 'val_loss diverged' on run {alert.run_id}>"
