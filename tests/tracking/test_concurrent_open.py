"""Several processes opening a new PostgreSQL store at once all get its default experiment."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from labtrack.store.sql import connection, schema
from labtrack.store.sql.store import SqlStore

from ..waiting import wait_until


@pytest.mark.postgres_only(reason="a PostgreSQL race (SQLite's BEGIN IMMEDIATE serializes openers)")
def test_opening_a_store_while_another_opener_adds_the_default_experiment(tracking_uri):
    store = SqlStore(tracking_uri)
    with store.engine.begin() as conn:
        conn.execute(schema.experiments.delete())  # as a store whose first opener is mid-way
    started, release = threading.Event(), threading.Event()

    def first_opener(conn) -> None:
        conn.execute(
            schema.experiments.insert().values(
                experiment_id=0,
                name="Default",
                artifact_location="x",
                creation_time=1,
                last_update_time=1,
            )
        )
        started.set()
        release.wait(60)

    holder = threading.Thread(target=connection.run_write, args=(store.engine, first_opener))
    holder.start()
    assert started.wait(60)
    errors: list[BaseException] = []

    def second_opener() -> None:
        try:
            SqlStore(tracking_uri).experiments.ensure_default()
        except BaseException as error:  # reported by the assert below
            errors.append(error)

    opener = threading.Thread(target=second_opener)
    opener.start()

    def second_waits_on_the_first() -> bool:
        with store.engine.connect() as conn:
            return bool(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"
                    )
                ).scalar()
            )

    wait_until(second_waits_on_the_first, what="the second opener to wait for the first")
    release.set()
    holder.join(60)
    opener.join(60)
    assert errors == []
    with store.engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(schema.experiments)).scalar() == 1
        )
