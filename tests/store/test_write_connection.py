"""The connection a SQLite store's engine keeps for its writes (``connection._sqlite_write``):
one checkout for many writes, a pooled connection for a second writer thread, a fresh one
after a failed write, none left checked out once the engine is disposed, and a forked
child that never uses its parent's."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from labtrack.store.sql import connection, schema


@pytest.fixture
def engine(tmp_path):
    engine = connection.create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    connection.run_write(engine, lambda conn: schema.metadata.create_all(conn))
    yield engine
    engine.dispose()


def _checkouts(engine) -> list:
    seen: list = []
    event.listen(engine, "checkout", lambda dbapi, _record, _proxy: seen.append(dbapi))
    return seen


def _experiment(conn, name: str) -> None:
    e = schema.experiments
    conn.execute(e.insert().values(name=name, artifact_location=f"/a/{name}"))


def _names(engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(schema.experiments.c.name)).scalars())


def test_many_writes_share_one_checkout(engine):
    checkouts = _checkouts(engine)
    for index in range(20):
        connection.run_write(engine, lambda conn, index=index: _experiment(conn, f"e{index}"))
    assert len(checkouts) <= 1  # none, or one if the schema's write gave it back
    assert len(_names(engine)) == 20


def test_a_second_writer_thread_takes_a_pooled_connection_and_both_commit(engine):
    connection.run_write(engine, lambda conn: _experiment(conn, "first"))
    holding, release = threading.Event(), threading.Event()
    checkouts = _checkouts(engine)

    def hold(conn):  # keeps the kept connection in use until told
        _experiment(conn, "held")
        holding.set()
        assert release.wait(30)

    holder = threading.Thread(target=connection.run_write, args=(engine, hold))
    holder.start()
    assert holding.wait(30)
    # SQLite's write lock is taken: this write waits on the busy timeout, on its own
    # connection, until the holder commits.
    writer = threading.Thread(
        target=connection.run_write, args=(engine, lambda conn: _experiment(conn, "second"))
    )
    writer.start()
    release.set()
    holder.join(30)
    writer.join(30)
    assert len(checkouts) == 1  # the second writer's, from the pool
    assert _names(engine) == ["first", "held", "second"]


def test_a_failed_write_gives_its_connection_back_and_the_next_write_takes_a_fresh_one(engine):
    connection.run_write(engine, lambda conn: _experiment(conn, "kept"))
    kept = engine.__dict__[connection._KEPT].fairy
    with pytest.raises(sa.exc.IntegrityError):
        connection.run_write(engine, lambda conn: _experiment(conn, "kept"))  # unique name
    assert engine.__dict__[connection._KEPT].fairy is None
    assert kept.dbapi_connection is None  # returned to the pool
    connection.run_write(engine, lambda conn: _experiment(conn, "after"))
    assert _names(engine) == ["after", "kept"]


def test_dispose_closes_the_kept_connection(engine):
    connection.run_write(engine, lambda conn: _experiment(conn, "one"))
    assert engine.pool.checkedout() == 1  # the kept connection
    kept = engine.__dict__[connection._KEPT].fairy.driver_connection
    engine.dispose()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        kept.execute("SELECT 1")
    assert connection._KEPT not in engine.__dict__
    connection.run_write(engine, lambda conn: _experiment(conn, "two"))  # a new one is kept
    assert _names(engine) == ["one", "two"]


def _write_in_child(engine, queue) -> None:
    parent_kept = engine.__dict__[connection._KEPT]
    connection.run_write(engine, lambda conn: _experiment(conn, "child"))
    queue.put(engine.__dict__[connection._KEPT] is not parent_kept)


def test_a_forked_child_writes_on_a_connection_of_its_own(engine):
    connection.run_write(engine, lambda conn: _experiment(conn, "parent"))
    parent_kept = engine.__dict__[connection._KEPT]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_write_in_child, args=(engine, queue))
    child.start()
    assert queue.get(timeout=60) is True  # the child made its own
    child.join(60)
    assert child.exitcode == 0
    # The parent's kept connection still works after the child wrote and exited.
    assert engine.__dict__[connection._KEPT] is parent_kept
    connection.run_write(engine, lambda conn: _experiment(conn, "parent again"))
    assert _names(engine) == ["child", "parent", "parent again"]


def test_dispose_during_a_write_closes_the_kept_connection_once_that_write_commits(engine):
    connection.run_write(engine, lambda conn: _experiment(conn, "before"))
    kept = engine.__dict__[connection._KEPT].fairy.driver_connection
    holding, release = threading.Event(), threading.Event()

    def hold(conn):
        _experiment(conn, "during")
        holding.set()
        assert release.wait(30)

    holder = threading.Thread(target=connection.run_write, args=(engine, hold))
    holder.start()
    assert holding.wait(30)
    engine.dispose()  # the write in flight keeps its connection until it is done
    release.set()
    holder.join(30)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        kept.execute("SELECT 1")
    assert _names(engine) == ["before", "during"]
