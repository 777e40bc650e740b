"""Datasets and the runs that used them (MLflow's ``log_inputs``) in the SQL store.

A dataset is one row per (experiment, name, digest), shared by every run of the experiment
that logs it; a run's use of it carries tags (``mlflow.data.context``: ``training``, ...).
Logging a dataset a run already has adds nothing, as in MLflow.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labtrack.entities import Dataset, DatasetInput
from labtrack.store.sql import schema
from labtrack.store.sql.base import Database, now_ms
from labtrack.store.sql.runs import Runs

d, ri, rit, r = schema.datasets, schema.run_inputs, schema.run_input_tags, schema.runs


class Datasets:
    """The datasets runs logged as inputs."""

    def __init__(self, db: Database, runs: Runs):
        self.db = db
        self.runs = runs

    def log_inputs(self, run_uuid: str, inputs: Sequence[DatasetInput]) -> None:
        """Record that the run used these datasets (with their input tags)."""
        run_pk = self.runs.run_pk(run_uuid)

        def work(conn: Connection) -> None:
            experiment_id = conn.execute(
                sa.select(r.c.experiment_id).where(r.c.id == run_pk)
            ).scalar_one()
            for item in inputs:
                pk = _dataset_pk(self.db, conn, experiment_id, item.dataset)
                statement = self.db.upsert(conn, ri)
                # RETURNING says whether the row is new (rowcount does not, on every driver).
                added = conn.execute(
                    statement.values(run_id=run_pk, dataset_pk=pk, logged_time=now_ms())
                    .on_conflict_do_nothing()
                    .returning(ri.c.run_id)
                ).first()
                if added is not None and item.tags:
                    conn.execute(
                        rit.insert(),
                        [
                            {"run_id": run_pk, "dataset_pk": pk, "key": t.key, "value": t.value}
                            for t in {t.key: t for t in item.tags}.values()
                        ],
                    )

        self.db.write(work)


def _dataset_pk(db: Database, conn: Connection, experiment_id: int, dataset: Dataset) -> int:
    """The dataset's row in the experiment, created on first use."""
    identity = (d.c.experiment_id == experiment_id, d.c.name == dataset.name)
    identity += (d.c.digest == dataset.digest,)
    statement = db.upsert(conn, d)
    conn.execute(
        statement.values(
            experiment_id=experiment_id,
            name=dataset.name,
            digest=dataset.digest,
            source_type=dataset.source_type,
            source=dataset.source,
            schema=dataset.schema,
            profile=dataset.profile,
        ).on_conflict_do_nothing()
    )
    return conn.execute(sa.select(d.c.id).where(*identity)).scalar_one()
