"""Alerts on runs in the SQL store (``lt.alert``, and ``lt.alert_when``'s conditions).

An alert is one row; its id only grows, so "alerts after id N" is how a poller (the sidebar)
sees each new alert once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labtrack.entities.alert import Alert
from labtrack.errors import NotFound
from labtrack.store.sql import schema
from labtrack.store.sql.base import Database, now_ms

a, r = schema.alerts, schema.runs
# The most alerts one search returns.
MAX_RESULTS = 10_000


class Alerts:
    """The alerts of every run."""

    def __init__(self, db: Database):
        self.db = db

    def add_alert(
        self,
        run_uuid: str,
        title: str,
        text: str,
        level: str,
        timestamp: int | None = None,
        metric_key: str | None = None,
        metric_value: float | None = None,
        step: int | None = None,
    ) -> Alert:
        """Store an alert on the run (checked by the caller); the alert as stored.
        ``NotFound`` if there is no such run."""
        values = {
            "run_uuid": run_uuid,
            "title": title,
            "text": text,
            "level": level,
            "timestamp": timestamp if timestamp is not None else now_ms(),
            "metric_key": metric_key,
            "metric_value": metric_value,
            "step": step,
        }

        def work(conn: Connection) -> Alert:
            experiment_id = conn.execute(
                sa.select(r.c.experiment_id).where(r.c.run_uuid == run_uuid)
            ).scalar()
            if experiment_id is None:
                raise NotFound(f"Run with id={run_uuid} not found")
            alert_id = conn.execute(a.insert().values(**values).returning(a.c.id)).scalar_one()
            return _alert({**values, "id": alert_id, "experiment_id": experiment_id})

        return self.db.write(work)

    def search_alerts(
        self,
        run_uuids: Sequence[str] | None = None,
        since: int | None = None,
        after_id: int | None = None,
        levels: Sequence[str] | None = None,
        max_results: int = 1000,
    ) -> list[Alert]:
        """Alerts, oldest first (by id): of ``run_uuids`` (every run's when None), at or after
        the time ``since`` (ms), with an id above ``after_id``, of ``levels``; at most
        ``max_results``."""
        query = (
            sa.select(a, r.c.experiment_id)
            .join(r, r.c.run_uuid == a.c.run_uuid)
            .order_by(a.c.id)
            .limit(max(1, min(max_results, MAX_RESULTS)))
        )
        if since is not None:
            query = query.where(a.c.timestamp >= since)
        if after_id is not None:
            query = query.where(a.c.id > after_id)
        if levels:
            query = query.where(a.c.level.in_(list(levels)))
        with self.db.connect() as conn:
            if run_uuids is None:
                rows = list(conn.execute(query).mappings())
            else:
                if not run_uuids:
                    return []
                rows = [
                    row
                    for statement in self.db.where_in(query, a.c.run_uuid, list(run_uuids))
                    for row in conn.execute(statement).mappings()
                ]
        rows.sort(key=lambda row: row["id"])  # several statements (SQLite's chunks): one order
        return [_alert(row) for row in rows[:max_results]]

    def last_alert_id(self) -> int:
        """The id of the newest alert (0 when there is none): where a poller starts."""
        with self.db.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(a.c.id))).scalar() or 0)


def _alert(row) -> Alert:
    value = row["metric_value"]
    step = row["step"]
    return Alert(
        id=int(row["id"]),
        run_id=row["run_uuid"],
        title=row["title"],
        text=row["text"] or "",
        level=row["level"],
        timestamp=int(row["timestamp"]),
        experiment_id=str(row["experiment_id"]),
        metric_key=row["metric_key"],
        metric_value=None if value is None else float(value),
        step=None if step is None else int(step),
    )
