"""What several tracking tests share."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from labtrack.store.sql import schema


@pytest.fixture
def remove_run(tracking_uri) -> Callable[[str], int]:
    """``remove_run(run_id)``: remove a run and its rows outright from the test's store, as
    another process (not labtrack) might; returns the run's integer key."""

    def remove(run_id: str) -> int:
        other = sa.create_engine(tracking_uri.replace("postgresql://", "postgresql+psycopg://"))
        with other.begin() as conn:
            pk = conn.execute(
                sa.select(schema.runs.c.id).where(schema.runs.c.run_uuid == run_id)
            ).scalar()
            for table in (schema.tags, schema.params, schema.latest_metrics, schema.metrics):
                conn.execute(table.delete().where(table.c.run_id == pk))
            conn.execute(schema.runs.delete().where(schema.runs.c.id == pk))
        other.dispose()
        return pk

    return remove
