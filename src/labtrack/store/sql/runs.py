"""Runs, their params and tags, and run liveness (heartbeats, reaping dead processes)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labtrack.entities import LifecycleStage, Metric, Run, RunData, RunInfo, RunStatus
from labtrack.errors import InvalidState, NotFound
from labtrack.store.sql import schema
from labtrack.store.sql.base import SqlStoreBase, now_ms

r, p, t = schema.runs, schema.params, schema.tags
lm, mk = schema.latest_metrics, schema.metric_keys

HOST = socket.gethostname()


class RunStore(SqlStoreBase):
    def create_run(
        self, experiment_id: str, run_name: str, start_time: int | None = None,
        tags: Mapping[str, str] | None = None, user_id: str = "",
    ) -> RunInfo:
        """Insert a RUNNING run owned by this process; one transaction, no read-back."""
        run_uuid = uuid.uuid4().hex
        start = start_time or now_ms()
        e = schema.experiments

        def work(conn: Connection) -> tuple[RunInfo, int]:
            experiment = conn.execute(
                sa.select(e.c.name, e.c.artifact_location, e.c.lifecycle_stage)
                .where(e.c.experiment_id == int(experiment_id))
            ).first()
            if experiment is None:
                raise NotFound(f"no experiment with id {experiment_id!r}")
            if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
                raise InvalidState(f"experiment {experiment.name!r} is deleted; restore it first")
            values = dict(
                run_uuid=run_uuid, experiment_id=int(experiment_id), name=run_name,
                status=RunStatus.RUNNING, start_time=start, user_id=user_id,
                artifact_uri=f"{experiment.artifact_location}/{run_uuid}/artifacts",
                lifecycle_stage=LifecycleStage.ACTIVE, heartbeat_time=start, host=HOST, pid=os.getpid(),
            )
            pk = conn.execute(r.insert().values(**values)).inserted_primary_key[0]
            if tags:
                conn.execute(t.insert(), [{"run_id": pk, "key": k, "value": v} for k, v in tags.items()])
            info = RunInfo(
                run_id=run_uuid, experiment_id=str(experiment_id), run_name=run_name,
                status=RunStatus.RUNNING, start_time=start, end_time=None,
                lifecycle_stage=LifecycleStage.ACTIVE, artifact_uri=values["artifact_uri"], user_id=user_id,
            )
            return info, pk

        info, pk = self._write(work)
        self._run_pks[run_uuid] = pk  # only once committed
        return info

    def run_pk(self, run_uuid: str) -> int:
        """The integer key of a run (cached: a run's key never changes)."""
        pk = self._run_pks.get(run_uuid)
        if pk is None:
            with self.engine.connect() as conn:
                pk = conn.execute(sa.select(r.c.id).where(r.c.run_uuid == run_uuid)).scalar()
            if pk is None:
                raise NotFound(f"no run with id {run_uuid!r}")
            self._run_pks[run_uuid] = pk
        return pk

    def get_run(self, run_uuid: str) -> Run:
        runs = self.get_runs([run_uuid])
        if not runs:
            raise NotFound(f"no run with id {run_uuid!r}")
        return runs[0]

    def get_runs(self, run_uuids: list[str]) -> list[Run]:
        """Full runs (info, params, tags, latest metrics), in the order of ``run_uuids``."""
        if not run_uuids:
            return []
        with self.engine.connect() as conn:
            ids = sa.select(r.c.id).where(r.c.run_uuid.in_(run_uuids)).scalar_subquery()
            infos = conn.execute(sa.select(r).where(r.c.id.in_(ids))).all()
            params = conn.execute(sa.select(p).where(p.c.run_id.in_(ids))).all()
            tags = conn.execute(sa.select(t).where(t.c.run_id.in_(ids))).all()
            metrics = conn.execute(
                sa.select(lm.c.run_id, mk.c.key, lm.c.value, lm.c.is_nan, lm.c.timestamp, lm.c.step)
                .join(mk, mk.c.id == lm.c.key_id).where(lm.c.run_id.in_(ids))
            ).all()
        by_pk: dict[int, dict] = {row.id: {"params": {}, "tags": {}, "metrics": []} for row in infos}
        for row in params:
            by_pk[row.run_id]["params"][row.key] = row.value
        for row in tags:
            by_pk[row.run_id]["tags"][row.key] = row.value
        for row in metrics:
            value = float("nan") if row.is_nan else row.value
            by_pk[row.run_id]["metrics"].append(Metric(row.key, value, row.timestamp, row.step))
        runs = {}
        for row in infos:
            data = by_pk[row.id]
            runs[row.run_uuid] = Run(
                info=run_info(row),
                data=RunData(
                    params=data["params"], tags=data["tags"],
                    metrics={m.key: m.value for m in data["metrics"]},
                    latest_metrics=tuple(data["metrics"]),
                ),
            )
        return [runs[run_uuid] for run_uuid in run_uuids if run_uuid in runs]

    def update_run(
        self, run_uuid: str, status: str | None = None, end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        if status is not None or end_time is not None or run_name is not None:
            self._write(self.run_update(run_uuid, status, end_time, run_name))

    def run_update(
        self, run_uuid: str, status: str | None = None, end_time: int | None = None,
        run_name: str | None = None,
    ) -> Callable[[Connection], None]:
        """``update_run``'s work, to run inside another write (``insert_metrics(..., also=)``)."""
        values: dict = {}
        if status is not None:
            values["status"] = RunStatus.from_string(status)
        if end_time is not None:
            values["end_time"] = end_time
        if run_name is not None:
            values["name"] = run_name
        if status == RunStatus.RUNNING:  # resumed: this process now keeps it alive
            values.update(end_time=None, heartbeat_time=now_ms(), host=HOST, pid=os.getpid())
        pk = self.run_pk(run_uuid)

        def work(conn: Connection) -> None:
            if values:
                conn.execute(r.update().where(r.c.id == pk).values(**values))
            if run_name is not None:  # MLflow mirrors the name in a tag; keep both in step
                self._upsert_rows(conn, t, [{"run_id": pk, "key": "mlflow.runName", "value": run_name}])

        return work

    def set_run_lifecycle(self, run_uuid: str, stage: str) -> None:
        pk = self.run_pk(run_uuid)
        self._write(lambda conn: conn.execute(r.update().where(r.c.id == pk).values(lifecycle_stage=stage)))

    def log_params(self, run_uuid: str, params: Mapping[str, str]) -> None:
        """Insert params; re-logging the same value is fine, a different one is an error."""
        self.log_params_and_tags(run_uuid, params, {})

    def set_tags(self, run_uuid: str, tags: Mapping[str, str]) -> None:
        self.log_params_and_tags(run_uuid, {}, tags)

    def log_params_and_tags(self, run_uuid: str, params: Mapping[str, str], tags: Mapping[str, str]) -> None:
        """Params and tags in one transaction: a conflicting param leaves nothing written."""
        pk = self.run_pk(run_uuid)

        def work(conn: Connection) -> None:
            if params:
                self._insert_params(conn, pk, run_uuid, params)
            self._upsert_rows(conn, t, [{"run_id": pk, "key": k, "value": v} for k, v in tags.items()])

        self._write(work)

    @staticmethod
    def _insert_params(conn: Connection, pk: int, run_uuid: str, params: Mapping[str, str]) -> None:
        existing = dict(conn.execute(
            sa.select(p.c.key, p.c.value).where(p.c.run_id == pk, p.c.key.in_(list(params)))
        ).all())
        for key, value in params.items():
            if key in existing and existing[key] != value:
                raise InvalidState(
                    f"param {key!r} of run {run_uuid} was already logged as {existing[key]!r}; "
                    f"it cannot change to {value!r} (params are immutable: log a new run, "
                    "or use a tag or a metric for values that change)"
                )
        new = [{"run_id": pk, "key": k, "value": v} for k, v in params.items() if k not in existing]
        if new:
            conn.execute(p.insert(), new)

    def delete_tag(self, run_uuid: str, key: str) -> None:
        pk = self.run_pk(run_uuid)

        def work(conn: Connection) -> None:
            if conn.execute(t.delete().where(t.c.run_id == pk, t.c.key == key)).rowcount == 0:
                raise NotFound(f"run {run_uuid} has no tag {key!r}")

        self._write(work)

    def _upsert_rows(self, conn: Connection, table: sa.Table, rows: list[dict]) -> None:
        if rows:
            statement = self._upsert(conn, table)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.run_id, table.c.key], set_={"value": statement.excluded.value}
                ),
                rows,
            )

    # -- liveness -------------------------------------------------------------------------

    def heartbeat(self, run_uuids: Iterable[str]) -> None:
        pks = [self.run_pk(run_uuid) for run_uuid in run_uuids]
        if pks:
            self._write(lambda conn: conn.execute(
                r.update().where(r.c.id.in_(pks), r.c.status == RunStatus.RUNNING)
                .values(heartbeat_time=now_ms())
            ))

    def reap_dead_runs(self, heartbeat_timeout_ms: int) -> int:
        """Mark KILLED the RUNNING runs whose process is gone. Returns how many.

        On this host the process id tells for sure; elsewhere a heartbeat older than the
        timeout does. Reading first keeps the common case (nothing to reap) write-free.
        """
        cutoff = now_ms() - heartbeat_timeout_ms
        with self.engine.connect() as conn:
            candidates = conn.execute(
                sa.select(r.c.id, r.c.host, r.c.pid, r.c.heartbeat_time).where(r.c.status == RunStatus.RUNNING)
            ).all()
        dead = [
            (row.id, row.heartbeat_time)
            for row in candidates
            if (_process_gone(row.pid) if row.host == HOST else (row.heartbeat_time or 0) < cutoff)
        ]
        for pk, last_seen in dead:
            self._write(lambda conn, pk=pk, last_seen=last_seen: conn.execute(
                r.update().where(r.c.id == pk, r.c.status == RunStatus.RUNNING)
                .values(status=RunStatus.KILLED, end_time=last_seen or now_ms())
            ))
        return len(dead)


def _process_gone(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child not yet reaped by its parent still answers kill(0)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def run_info(row) -> RunInfo:
    return RunInfo(
        run_id=row.run_uuid, experiment_id=str(row.experiment_id), run_name=row.name,
        status=row.status, start_time=row.start_time, end_time=row.end_time,
        lifecycle_stage=row.lifecycle_stage, artifact_uri=row.artifact_uri, user_id=row.user_id,
    )
