"""Statements through the driver's own cursor (``labtrack.store.sql.driver``) and SQLite's
write transaction begun on the driver (``connection.run_write``): the same results as
through SQLAlchemy, on SQLite and (in CI's second pass) PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

import labtrack as lt
from labtrack.errors import ReadOnlyStore
from labtrack.store.sql import connection, driver, schema
from labtrack.tracking.state import client as current_client

r, t = schema.runs, schema.tags


def _database():
    return current_client().store.runs.db


def _a_run() -> tuple[str, int]:
    with lt.start_run() as run:
        pass
    pk = current_client().store.runs.run_pk(run.info.run_id)
    return run.info.run_id, pk


def test_a_statement_with_a_literal_of_its_own_binds_it_beside_the_given_values(tracking_uri):
    run_id, pk = _a_run()
    db = _database()
    # The literal ('FINISHED') is the statement's; run_pk and name come from the call.
    rename_finished = (
        r.update()
        .where(r.c.id == sa.bindparam("run_pk"), r.c.status == "FINISHED")
        .values(name=sa.bindparam("new_name"))
    )
    count = db.write(
        lambda conn: driver.execute(conn, rename_finished, {"run_pk": pk, "new_name": "renamed"})
    )
    assert count == 1
    assert lt.get_run(run_id).info.run_name == "renamed"
    # The cached compilation of the same statement is reused with other values.
    assert (
        db.write(
            lambda conn: driver.execute(conn, rename_finished, {"run_pk": pk + 99, "new_name": "x"})
        )
        == 0
    )


def test_many_rows_in_one_call_report_how_many_were_written(tracking_uri):
    run_id, pk = _a_run()
    db = _database()

    def work(conn):
        statement = connection.upsert(conn, t).on_conflict_do_nothing(
            index_elements=[t.c.run_id, t.c.key]
        )
        rows = [{"run_id": pk, "key": f"k{i}", "value": str(i)} for i in range(3)]
        first = driver.execute(conn, statement, rows)
        again = driver.execute(conn, statement, [*rows, {"run_id": pk, "key": "k3", "value": "3"}])
        return first, again

    assert db.write(work) == (3, 1)  # the second call adds only the new key
    tags = lt.get_run(run_id).data.tags
    assert {k: tags[k] for k in ("k0", "k1", "k2", "k3")} == {f"k{i}": str(i) for i in range(4)}


def test_fetch_returns_plain_rows_and_what_returning_names(tracking_uri):
    run_id, pk = _a_run()
    db = _database()
    query = sa.select(r.c.run_uuid, r.c.status).where(r.c.id == sa.bindparam("pk"))
    with db.engine.connect() as conn:
        assert driver.fetch(conn, query, {"pk": pk}) == [(run_id, "FINISHED")]
        assert driver.fetch(conn, query, {"pk": pk + 99}) == []
    insert = r.insert().returning(r.c.run_uuid)
    values = {
        "run_uuid": "f" * 32,
        "experiment_id": 0,
        "name": "returned",
        "status": "FINISHED",
        "start_time": 1,
        "artifact_uri": "x",
    }
    assert db.write(lambda conn: driver.fetch(conn, insert, values)) == [("f" * 32,)]


def test_a_failed_write_leaves_nothing_whichever_layer_ran_its_statements(tracking_uri):
    run_id, pk = _a_run()
    db = _database()

    def driver_then_fail(conn):
        driver.execute(conn, t.insert(), {"run_id": pk, "key": "by_driver", "value": "1"})
        raise RuntimeError("after a statement through the driver")

    def sqlalchemy_then_fail(conn):
        driver.execute(conn, t.insert(), {"run_id": pk, "key": "by_driver_too", "value": "1"})
        conn.execute(t.insert().values(run_id=pk, key="by_sqlalchemy", value="1"))
        raise RuntimeError("after a statement through SQLAlchemy")

    for work in (driver_then_fail, sqlalchemy_then_fail):
        try:
            db.write(work)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the write should have failed")
    tags = lt.get_run(run_id).data.tags
    assert not {"by_driver", "by_driver_too", "by_sqlalchemy"} & set(tags)
    # ... and the store takes the next write as usual.
    db.write(
        lambda conn: driver.execute(conn, t.insert(), {"run_id": pk, "key": "k", "value": "v"})
    )
    assert lt.get_run(run_id).data.tags["k"] == "v"


def test_both_layers_in_one_write_commit_together(tracking_uri):
    run_id, pk = _a_run()

    def work(conn):
        driver.execute(conn, t.insert(), {"run_id": pk, "key": "a", "value": "1"})
        conn.execute(t.insert().values(run_id=pk, key="b", value="2"))
        driver.execute(conn, t.insert(), {"run_id": pk, "key": "c", "value": "3"})

    _database().write(work)
    tags = lt.get_run(run_id).data.tags
    assert (tags["a"], tags["b"], tags["c"]) == ("1", "2", "3")


def test_a_store_refusing_writes_is_reported_as_such_through_the_driver(tmp_path):
    lt.set_tracking_uri(f"sqlite:///{tmp_path / 'labtrack.db'}")
    _, pk = _a_run()
    db = _database()

    def refused(conn):
        # SQLite now answers as for a file it may not write (SQLITE_READONLY): the same
        # error that a read-only mount gives, raised here by the driver's own cursor.
        conn.connection.driver_connection.execute("PRAGMA query_only = ON")
        driver.execute(conn, t.insert(), {"run_id": pk, "key": "k", "value": "v"})

    try:
        db.write(refused)
    except ReadOnlyStore as error:
        assert "read-only" in str(error)
    else:
        raise AssertionError("the refusal must be reported as a read-only store")
    finally:
        db.engine.dispose()  # the pooled connection keeps query_only: drop it


def test_a_statement_that_needs_sqlalchemy_to_run_is_refused_at_its_first_use(tracking_uri):
    _, pk = _a_run()
    db = _database()
    rename = r.update().where(r.c.id == sa.bindparam("run_pk")).values(name=sa.bindparam("n"))
    in_list = sa.select(t.c.key).where(t.c.run_id.in_(sa.bindparam("pks", expanding=True)))
    with db.engine.connect() as conn:
        with pytest.raises(ValueError, match="no value for 'run_pk'"):
            driver.execute(conn, rename, {"n": "forgotten the run"})  # not a silent NULL
        with pytest.raises(ValueError, match="expanding"):
            driver.fetch(conn, in_list, {"pks": [pk]})


def test_a_prepared_query_binds_its_own_values_and_runs_again_as_sqlalchemy_would(
    tracking_uri,
):
    run_id, pk = _a_run()
    _, other = _a_run()
    db = _database()
    # An IN list rendered at compile time, a literal, a limit: values of the statement itself.
    query = (
        sa.select(r.c.run_uuid, r.c.status)
        .where(r.c.id.in_([pk, other, pk + 99]), r.c.status == "FINISHED")
        .order_by(r.c.id)
        .limit(1)
    )
    with db.engine.connect() as conn:
        prepared = driver.prepare(conn, query)
        assert prepared is not None
        expected = [tuple(row) for row in conn.execute(query)]
        assert driver.fetch_prepared(conn, prepared) == expected == [(run_id, "FINISHED")]
        assert driver.fetch_prepared(conn, prepared) == expected  # as often as wanted


def test_a_prepared_query_converts_its_values_as_sqlalchemy_does(tracking_uri):
    _a_run()
    db = _database()
    # Values SQLAlchemy converts on the way in, on SQLite or on both dialects: a driver given
    # the dict or the datetime itself would fail or compare something else.
    moment = datetime(2026, 1, 2, 3, 4, 5)
    query = sa.select(
        sa.literal({"a": [1, "x"]}, sa.JSON),
        sa.literal(moment, sa.DateTime),
        sa.literal(moment, _Moment()),  # a wrapped type: its dialect's conversion applies
        sa.literal(2.5, sa.Float),
        sa.literal(True),
    ).where(
        # the values of an IN list too (SQLite: converted, they equal the converted literal)
        sa.literal(moment, sa.DateTime).in_([datetime(2020, 1, 1), moment])
    )
    with db.engine.connect() as conn:
        prepared = driver.prepare(conn, query)
        assert prepared is not None
        rows = conn.execute(query).cursor.fetchall()
        assert len(rows) == 1
        assert driver.fetch_prepared(conn, prepared) == rows


class _Moment(sa.types.TypeDecorator):
    impl = sa.DateTime
    cache_ok = True


def test_only_writes_that_check_their_runs_themselves_skip_the_foreign_key_checks(tracking_uri):
    _, pk = _a_run()  # the run's two writes skipped them on SQLite
    db = _database()
    gone = pk + 1_000

    def orphan_tag(conn):
        conn.execute(t.insert().values(run_id=gone, key="k", value="v"))

    with pytest.raises(sa.exc.IntegrityError):
        db.write(orphan_tag)  # every other write is checked, as before
    if db.dialect == "postgresql":
        with pytest.raises(sa.exc.IntegrityError):
            db.write(orphan_tag, foreign_keys=False)  # PostgreSQL always checks
        return
    db.write(orphan_tag, foreign_keys=False)  # SQLite leaves it to the work
    with db.connect() as conn:
        assert conn.execute(sa.select(t.c.key).where(t.c.run_id == gone)).all() == [("k",)]
    db.write(lambda conn: conn.execute(t.delete().where(t.c.run_id == gone)))
    with pytest.raises(sa.exc.IntegrityError):
        db.write(orphan_tag)  # the unchecked engine did not change the checked one
