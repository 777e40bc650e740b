"""Runs, their params and tags, and run liveness (heartbeats, reaping dead processes)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import SimpleNamespace

# For process_identity (a run's owner): loaded with the store, which a notebook's warm-up
# thread imports, rather than in the first run's start (~50 ms).
import psutil  # noqa: F401
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from labtrack import process_identity
from labtrack.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    LoggedModelOutput,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
)
from labtrack.entities.run import check_run_id
from labtrack.errors import AlreadyExists, InvalidParameter, InvalidState, NotFound
from labtrack.process_identity import LocalState
from labtrack.store.sql import driver, schema
from labtrack.store.sql.base import Database, in_order, now_ms

r, p, t = schema.runs, schema.params, schema.tags
RUN_NAME_TAG = "mlflow.runName"  # MLflow keeps a run's name in this tag too
lm, mk = schema.latest_metrics, schema.metric_keys
rp = schema.run_processes

_ENDED = (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


def run_inputs(db: Database, conn: Connection, pks: list[int]) -> dict[int, RunInputs]:
    """The datasets each of the runs ``pks`` used (by run key; only runs that used any), each
    run's in the order it logged them: one query for the uses, and one for their tags of
    only the runs that have uses, so runs without datasets cost one index probe each."""
    d, ri, rit = schema.datasets, schema.run_inputs, schema.run_input_tags
    uses = [
        row
        for statement in db.where_in(
            sa.select(ri.c.run_id, ri.c.logged_time, d).join(d, d.c.id == ri.c.dataset_pk),
            ri.c.run_id,
            pks,
        )
        for row in conn.execute(statement)
    ]
    if not uses:
        return {}
    tags: dict[tuple[int, int], list[InputTag]] = {}
    query = sa.select(rit).order_by(rit.c.key)
    for statement in db.where_in(query, rit.c.run_id, sorted({use.run_id for use in uses})):
        for tag in conn.execute(statement):
            tags.setdefault((tag.run_id, tag.dataset_pk), []).append(InputTag(tag.key, tag.value))
    by_run: dict[int, list[DatasetInput]] = {}
    for use in sorted(uses, key=lambda use: (use.logged_time, use.id)):
        dataset = Dataset(
            use.name, use.digest, use.source_type, use.source, use.schema, use.profile
        )
        by_run.setdefault(use.run_id, []).append(
            DatasetInput(dataset, tags.get((use.run_id, use.id), []))
        )
    return {pk: RunInputs(items) for pk, items in by_run.items()}


def run_outputs(db: Database, conn: Connection, uuids: list[str]) -> dict[str, RunOutputs]:
    """The models each of the runs ``uuids`` logged (by run uuid; only runs that logged any),
    in the order they were logged: one query over ``logged_models.source_run_id``. Deleted
    models stay listed, as MLflow keeps a run's outputs when a model is deleted."""
    lm_ = schema.logged_models
    query = sa.select(lm_.c.source_run_id, lm_.c.model_id, lm_.c.step).order_by(
        lm_.c.creation_time, lm_.c.id
    )
    by_run: dict[str, list[LoggedModelOutput]] = {}
    for statement in db.where_in(query, lm_.c.source_run_id, uuids):
        for run_id, model_id, step in conn.execute(statement):
            by_run.setdefault(run_id, []).append(LoggedModelOutput(model_id, step or 0))
    return {run_id: RunOutputs(items) for run_id, items in by_run.items()}


class Runs:
    """Runs, their params and tags, and their liveness. Keeps the cache of run keys
    (``run_pk``): the integer key the other tables refer to a run by."""

    def __init__(self, db: Database):
        self.db = db
        self._pks: dict[str, int] = {}  # run uuid -> key; a run's key never changes

    def create_run(
        self,
        experiment_id: str,
        run_name: str,
        start_time: int | None = None,
        tags: Mapping[str, str] | None = None,
        user_id: str = "",
    ) -> RunInfo:
        """Insert a RUNNING run owned by this process; one transaction, no read-back."""
        run_uuid = uuid.uuid4().hex
        start = start_time or now_ms()
        owner = _owner_columns()

        # Through the driver's cursor (``driver``): every run makes this write.
        def work(conn: Connection) -> tuple[RunInfo, int]:
            found = driver.fetch(conn, _EXPERIMENT, {"experiment_id": int(experiment_id)})
            if not found:
                raise NotFound(f"no experiment with id {experiment_id!r}")
            name, location, stage = found[0]
            if stage != LifecycleStage.ACTIVE:
                raise InvalidState(f"experiment {name!r} is deleted; restore it first")
            values = dict(
                run_uuid=run_uuid,
                experiment_id=int(experiment_id),
                name=run_name,
                status=RunStatus.RUNNING,
                start_time=start,
                user_id=user_id,
                artifact_uri=f"{location}/{run_uuid}/artifacts",
                lifecycle_stage=LifecycleStage.ACTIVE,
                heartbeat_time=start,
                **owner,
            )
            pk = driver.fetch(conn, _INSERT_RUN, values)[0][0]
            if tags:
                driver.execute(
                    conn,
                    _INSERT_TAG,
                    [{"run_id": pk, "key": k, "value": v} for k, v in tags.items()],
                )
            # The entity the row reads back as (get_run), from the values just inserted.
            return run_info(SimpleNamespace(**values, end_time=None)), pk

        # Its rows' parents are the experiment read above and the run inserted: no foreign-key
        # lookup per row needed (SQLite's cost a run more than the read).
        info, pk = self.db.write(work, foreign_keys=False)
        self._pks[run_uuid] = pk  # only once committed
        return info

    def import_run(self, info: RunInfo) -> RunInfo:
        """Insert a run with the id, name, times, status, lifecycle and user of ``info``, as
        another store has it (``labtrack.transfer`` copies runs with their ids); its
        artifacts go under its experiment's location, as for a new run. No process owns it,
        so a RUNNING one is reaped once its heartbeat (now) is older than the timeout.
        ``AlreadyExists`` if a run has this id, ``NotFound`` for an unknown experiment."""
        check_run_id(info.run_id)
        e = schema.experiments

        def work(conn: Connection) -> tuple[RunInfo, int]:
            location = conn.execute(
                sa.select(e.c.artifact_location).where(e.c.experiment_id == int(info.experiment_id))
            ).scalar()
            if location is None:
                raise NotFound(f"no experiment with id {info.experiment_id!r}")
            if conn.execute(sa.select(r.c.id).where(r.c.run_uuid == info.run_id)).first():
                raise AlreadyExists(f"a run with id {info.run_id!r} exists already")
            values = dict(
                run_uuid=info.run_id,
                experiment_id=int(info.experiment_id),
                name=info.run_name,
                status=RunStatus.from_string(info.status),
                start_time=info.start_time,
                end_time=info.end_time,
                user_id=info.user_id or "",
                artifact_uri=f"{location}/{info.run_id}/artifacts",
                lifecycle_stage=info.lifecycle_stage,
                heartbeat_time=now_ms(),
            )
            pk = conn.execute(r.insert().values(**values)).inserted_primary_key[0]
            return run_info(SimpleNamespace(**values)), pk

        imported, pk = self.db.write(work)
        self._pks[info.run_id] = pk
        return imported

    def run_pk(self, run_uuid: str) -> int:
        """The integer key of a run (cached: a run's key never changes)."""
        pk = self._pks.get(run_uuid)
        if pk is None:
            with self.db.connect() as conn:
                pk = conn.execute(sa.select(r.c.id).where(r.c.run_uuid == run_uuid)).scalar()
            if pk is None:
                raise NotFound(f"no run with id {run_uuid!r}")
            self._pks[run_uuid] = pk
        return pk

    def run_uuids_by_pk(self) -> dict[int, str]:
        """The runs whose keys this process knows already (no query): key -> uuid."""
        return {pk: run_uuid for run_uuid, pk in self._pks.items()}

    def get_run(self, run_uuid: str) -> Run:
        runs = self.get_runs([run_uuid])
        if not runs:
            raise NotFound(f"no run with id {run_uuid!r}")
        return runs[0]

    def get_runs(self, run_uuids: list[str]) -> list[Run]:
        """Full runs (info, params, tags, latest metrics, dataset inputs, model outputs), in
        the order of ``run_uuids``."""
        if not run_uuids:
            return []
        db = self.db
        with db.connect() as conn:
            infos = [
                row
                for statement in db.where_in(sa.select(r), r.c.run_uuid, list(set(run_uuids)))
                for row in conn.execute(statement)
            ]
            pks = [row.id for row in infos]
            params = db.tuples(
                conn, db.where_in(sa.select(p.c.run_id, p.c.key, p.c.value), p.c.run_id, pks)
            )
            tags = db.tuples(
                conn, db.where_in(sa.select(t.c.run_id, t.c.key, t.c.value), t.c.run_id, pks)
            )
            metrics = db.tuples(
                conn,
                db.where_in(
                    sa.select(
                        lm.c.run_id, mk.c.key, lm.c.value, lm.c.is_nan, lm.c.timestamp, lm.c.step
                    ).join(mk, mk.c.id == lm.c.key_id),
                    lm.c.run_id,
                    pks,
                ),
            )
            inputs = run_inputs(db, conn, pks)
            outputs = run_outputs(db, conn, [row.run_uuid for row in infos])
        by_pk: dict[int, dict] = {
            row.id: {"params": {}, "tags": {}, "metrics": []} for row in infos
        }
        for pk, key, value in params:
            by_pk[pk]["params"][key] = value
        for pk, key, value in tags:
            by_pk[pk]["tags"][key] = value
        for pk, key, value, is_nan, timestamp, step in metrics:
            value = float("nan") if is_nan else value
            by_pk[pk]["metrics"].append(Metric(key, value, timestamp, step))
        runs = {}
        for row in infos:
            data = by_pk[row.id]
            runs[row.run_uuid] = Run(
                info=run_info(row),
                data=RunData(
                    params=data["params"],
                    tags=data["tags"],
                    metrics={m.key: m.value for m in data["metrics"]},
                    latest_metrics=tuple(data["metrics"]),
                ),
                inputs=inputs.get(row.id, RunInputs()),
                outputs=outputs.get(row.run_uuid, RunOutputs()),
            )
        return [runs[run_uuid] for run_uuid in run_uuids if run_uuid in runs]

    def update_run(
        self,
        run_uuid: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        if status is not None or end_time is not None or run_name is not None:
            self.db.write(self.run_update(run_uuid, status, end_time, run_name))

    def run_update(
        self,
        run_uuid: str,
        status: str | None = None,
        end_time: int | None = None,
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
        if status == RunStatus.RUNNING:  # resumed: this process now owns it
            values.update(end_time=None, heartbeat_time=now_ms(), **_owner_columns())
        pk = self.run_pk(run_uuid)

        def work(conn: Connection) -> None:  # the end of every run: through the driver
            updated = driver.execute(conn, _UPDATE_RUN, {**values, "run_pk": pk}) if values else 0
            if values.get("status") in _ENDED:  # who kept it alive no longer matters
                driver.execute(conn, _DELETE_KEEPERS, {"run_pk": pk})
            # MLflow mirrors the name in a tag; keep both in step (a run that is gone gets no
            # tag: the writer's transactions on SQLite skip the foreign-key checks).
            if run_name is not None and updated:
                self._upsert_rows(conn, t, [{"run_id": pk, "key": RUN_NAME_TAG, "value": run_name}])

        return work

    def set_run_lifecycle(self, run_uuid: str, stage: str) -> None:
        pk = self.run_pk(run_uuid)
        self.db.write(
            lambda conn: conn.execute(r.update().where(r.c.id == pk).values(lifecycle_stage=stage))
        )

    def log_params(self, run_uuid: str, params: Mapping[str, str]) -> None:
        """Insert params; re-logging the same value is fine, a different one is an error."""
        self.log_params_and_tags(run_uuid, params, {})

    def set_tags(self, run_uuid: str, tags: Mapping[str, str]) -> None:
        self.log_params_and_tags(run_uuid, {}, tags)

    def log_params_and_tags(
        self, run_uuid: str, params: Mapping[str, str], tags: Mapping[str, str]
    ) -> None:
        """Params and tags in one transaction: a conflicting param leaves nothing written."""
        self.db.write(self.params_and_tags_work(run_uuid, params, tags))

    def set_tags_of_runs(self, run_uuids: Sequence[str], tags: Mapping[str, str]) -> None:
        """The same tags on several runs, in one transaction: the git state shared by the
        short runs that started while git ran for their folder. A run no longer in the store
        is left out."""
        works = []
        for run_uuid in run_uuids:
            try:
                # A list for what it cannot write: a run removed since its key was cached is
                # then left out, not an error.
                works.append(self.params_and_tags_work(run_uuid, {}, tags, []))
            except NotFound:
                continue
        if works:
            self.db.write(in_order(works))

    def params_and_tags_work(
        self,
        run_uuid: str,
        params: Mapping[str, str],
        tags: Mapping[str, str],
        conflicts: list[InvalidState] | None = None,
    ) -> Callable[[Connection], None]:
        """``log_params_and_tags``' work, to run inside another write (the writer persists a
        run's params and tags with its points). A param stored with another value raises
        ``InvalidState``; with ``conflicts`` it is left out and its error appended there
        instead (the rest is written), so one param cannot hold a batch of points hostage.
        A run removed from the store meanwhile raises ``NotFound`` (with ``conflicts``: an
        ``InvalidState`` there, and nothing written)."""
        pk = self.run_pk(run_uuid)

        def work(conn: Connection) -> None:
            if conflicts is not None:
                conflicts.clear()  # the work may run again, in a retried transaction
            # Checked here, not left to the foreign keys: the writer's transactions on SQLite
            # skip them (``Metrics.insert_metrics``).
            if not driver.fetch(conn, _RUN_EXISTS, {"run_pk": pk}):
                gone = f"run {run_uuid} no longer exists in the store: its params and tags"
                if conflicts is None:
                    raise NotFound(f"{gone} cannot be written")
                conflicts.append(InvalidState(f"{gone} were not written"))
                return
            if params:
                self._insert_params(conn, pk, run_uuid, params, conflicts)
            self._upsert_rows(
                conn, t, [{"run_id": pk, "key": k, "value": v} for k, v in tags.items()]
            )
            if RUN_NAME_TAG in tags:  # as in MLflow, the tag is the run's name: rename it
                conn.execute(r.update().where(r.c.id == pk).values(name=tags[RUN_NAME_TAG]))

        return work

    @staticmethod
    def _insert_params(
        conn: Connection,
        pk: int,
        run_uuid: str,
        params: Mapping[str, str],
        conflicts: list[InvalidState] | None = None,
    ) -> None:
        # Insert what is new; only if some key was there already (the driver counts fewer
        # rows), read those back: the same value again is fine, another one a conflict.
        rows = [{"run_id": pk, "key": k, "value": v} for k, v in params.items()]
        if driver.execute(conn, _insert_new(conn, p), rows) == len(rows):
            return
        existing = dict(conn.execute(_PARAMS_OF_RUN, {"pk": pk, "keys": list(params)}).all())
        for key, value in params.items():
            if existing.get(key, value) != value:
                error = param_conflict(run_uuid, key, existing[key], value)
                if conflicts is None:
                    raise error
                conflicts.append(error)

    def delete_tag(self, run_uuid: str, key: str) -> None:
        pk = self.run_pk(run_uuid)

        def work(conn: Connection) -> None:
            if conn.execute(t.delete().where(t.c.run_id == pk, t.c.key == key)).rowcount == 0:
                raise NotFound(f"run {run_uuid} has no tag {key!r}")

        self.db.write(work)

    def _upsert_rows(self, conn: Connection, table: sa.Table, rows: list[dict]) -> None:
        driver.execute(conn, _value_upsert(conn, table), rows)

    # -- liveness -------------------------------------------------------------------------
    #
    # A RUNNING run names the process that owns it (runs.host/pid/pid_start: the one that
    # created or last resumed it); every other process that logs to it registers itself in
    # run_processes with its first heartbeat. The run is alive while any of them is.

    def heartbeat(self, run_uuids: Iterable[str] = (), run_pks: Iterable[int] = ()) -> None:
        """Say that this process is alive and logging to these runs (by id or integer key).

        Refreshes the heartbeat of those still RUNNING, and registers this process as a
        keeper of the ones another process owns, so that they stay alive while this process
        logs to them. One write transaction; runs that ended are left alone.
        """
        self.db.write(self.heartbeat_work(run_uuids, run_pks))

    def heartbeat_work(
        self, run_uuids: Iterable[str] = (), run_pks: Iterable[int] = ()
    ) -> Callable[[Connection], None]:
        """``heartbeat``'s work, to run inside another write (``insert_metrics(..., also=)``):
        a process that persists its first points for a run and registers as its keeper in
        one transaction is never seen writing to a run it does not keep alive."""
        pks = sorted(
            {
                *(self.run_pk(run_uuid) for run_uuid in _ids(run_uuids, str, "run ids")),
                *_ids(run_pks, int, "run keys"),
            }
        )
        me = process_identity.current()

        def work(conn: Connection) -> None:
            if not pks:
                return
            now = now_ms()
            running = sa.and_(r.c.id.in_(pks), r.c.status == RunStatus.RUNNING)
            conn.execute(r.update().where(running).values(heartbeat_time=now))
            owned_elsewhere = sa.or_(
                r.c.host.is_distinct_from(me.host),
                r.c.pid.is_distinct_from(me.pid),
                r.c.pid_start.is_distinct_from(me.start_ms),
            )
            keeper = {
                "host": me.host,
                "pid": me.pid,
                "pid_start": me.start_ms,
                "heartbeat_time": now,
            }
            insert = self.db.upsert(conn, rp).from_select(
                [rp.c.run_id, *(rp.c[name] for name in keeper)],
                sa.select(
                    r.c.id, *(sa.literal(value, rp.c[name].type) for name, value in keeper.items())
                ).where(running, owned_elsewhere),
            )
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[rp.c.run_id, rp.c.host, rp.c.pid, rp.c.pid_start],
                    set_={"heartbeat_time": insert.excluded.heartbeat_time},
                )
            )

        return work

    def reap_dead_runs(self, heartbeat_timeout_ms: int) -> int:
        """Mark KILLED the RUNNING runs whose every process is gone. Returns how many.

        A process of this host is gone once no process has its pid or only a zombie does,
        and for certain alive while the process under its pid started when recorded. A
        different start time means the pid was most likely reused, but a stepped clock shifts
        start times too: such a process counts as gone only once its heartbeat is also older
        than the timeout. A process on another host is gone once its heartbeat is. Nothing
        to reap costs one read.
        """
        dead = self._find_dead_runs(heartbeat_timeout_ms)
        return self._mark_killed(dead) if dead else 0

    def _find_dead_runs(self, heartbeat_timeout_ms: int) -> list[Row]:
        """The RUNNING runs (their ``runs`` rows as read) whose owner and keepers are all gone."""
        cutoff = now_ms() - heartbeat_timeout_ms
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(
                    r.c.id,
                    r.c.host,
                    r.c.pid,
                    r.c.pid_start,
                    r.c.heartbeat_time,
                    rp.c.host.label("keeper_host"),
                    rp.c.pid.label("keeper_pid"),
                    rp.c.pid_start.label("keeper_pid_start"),
                    rp.c.heartbeat_time.label("keeper_heartbeat_time"),
                )
                .select_from(r.outerjoin(rp, rp.c.run_id == r.c.id))
                .where(r.c.status == RunStatus.RUNNING)
            ).all()
        local: dict[tuple[int, int | None], LocalState] = {}  # one look per process

        def alive(
            host: str | None, pid: int | None, pid_start: int | None, heartbeat: int | None
        ) -> bool:
            fresh = (heartbeat or 0) >= cutoff
            if host != process_identity.HOST or pid is None:
                return fresh
            state = local.get((pid, pid_start))
            if state is None:
                state = local[(pid, pid_start)] = process_identity.local_state(pid, pid_start)
            return state is LocalState.ALIVE or (state is LocalState.REPLACED and fresh)

        runs: dict[int, Row] = {}
        living: set[int] = set()
        for row in rows:
            if row.id in living:
                continue
            runs[row.id] = row
            # The owner's heartbeat is the run's: keepers refresh it too, so it can only make
            # the owner look alive longer, never gone sooner.
            if alive(row.host, row.pid, row.pid_start, row.heartbeat_time) or (
                row.keeper_host is not None
                and alive(
                    row.keeper_host, row.keeper_pid, row.keeper_pid_start, row.keeper_heartbeat_time
                )
            ):
                living.add(row.id)
        return [runs[pk] for pk in sorted(runs.keys() - living)]  # in key order: no deadlocks

    def _mark_killed(self, dead: Sequence[Row]) -> int:
        """KILL the runs found dead, each only if nothing touched it since it was read (a
        resume or a heartbeat moves its owner or heartbeat); one transaction. Returns how many."""

        def work(conn: Connection) -> int:
            killed = 0
            for row in dead:
                if conn.execute(
                    r.update()
                    .where(
                        r.c.id == row.id,
                        r.c.status == RunStatus.RUNNING,
                        r.c.heartbeat_time.is_not_distinct_from(row.heartbeat_time),
                        r.c.pid.is_not_distinct_from(row.pid),
                        r.c.pid_start.is_not_distinct_from(row.pid_start),
                    )
                    .values(status=RunStatus.KILLED, end_time=row.heartbeat_time or now_ms())
                ).rowcount:
                    killed += 1
                    conn.execute(rp.delete().where(rp.c.run_id == row.id))
            return killed

        return self.db.write(work)


# Built once: composing a statement costs more than running it on a short run's rows.
_PARAMS_OF_RUN = sa.select(p.c.key, p.c.value).where(
    p.c.run_id == sa.bindparam("pk"), p.c.key.in_(sa.bindparam("keys", expanding=True))
)
_EXPERIMENT = sa.select(
    schema.experiments.c.name,
    schema.experiments.c.artifact_location,
    schema.experiments.c.lifecycle_stage,
).where(schema.experiments.c.experiment_id == sa.bindparam("experiment_id"))
_INSERT_RUN = r.insert().returning(r.c.id)
_INSERT_TAG = t.insert()
_UPDATE_RUN = r.update().where(r.c.id == sa.bindparam("run_pk"))  # SET: the columns given
_RUN_EXISTS = sa.select(r.c.id).where(r.c.id == sa.bindparam("run_pk"))
_DELETE_KEEPERS = rp.delete().where(rp.c.run_id == sa.bindparam("run_pk"))
_value_upserts: dict[tuple[str, str], sa.Insert] = {}


def _value_upsert(conn: Connection, table: sa.Table) -> sa.Insert:
    """INSERT of (run_id, key, value) rows replacing a key's value, built once per dialect and
    table (SQLAlchemy rebuilds ``excluded`` on every access: about a millisecond)."""
    statement = _value_upserts.get((conn.dialect.name, table.name))
    if statement is None:
        insert = Database.upsert(conn, table)
        statement = _value_upserts[(conn.dialect.name, table.name)] = insert.on_conflict_do_update(
            index_elements=[table.c.run_id, table.c.key], set_={"value": insert.excluded.value}
        )
    return statement


_new_inserts: dict[tuple[str, str], sa.Insert] = {}


def _insert_new(conn: Connection, table: sa.Table) -> sa.Insert:
    """INSERT of (run_id, key, value) rows that leaves a key already there as it is (built
    once per dialect and table, like ``_value_upsert``)."""
    statement = _new_inserts.get((conn.dialect.name, table.name))
    if statement is None:
        statement = _new_inserts[(conn.dialect.name, table.name)] = Database.upsert(
            conn, table
        ).on_conflict_do_nothing(index_elements=[table.c.run_id, table.c.key])
    return statement


def param_conflict(run_uuid: str, key: str, logged: str, value: str) -> InvalidState:
    """The error for a param logged again with another value (params do not change)."""
    return InvalidState(
        f"param {key!r} of run {run_uuid} was already logged as {logged!r}; "
        f"it cannot change to {value!r} (params are immutable: log a new run, "
        "or use a tag or a metric for values that change)"
    )


def _owner_columns() -> dict:
    """The ``runs`` columns that name this process as a run's owner."""
    me = process_identity.current()
    return {"host": me.host, "pid": me.pid, "pid_start": me.start_ms}


def _ids(values: Iterable, kind: type, what: str) -> list:
    """``values`` as a list, each checked to be a ``kind`` (a lone string is not a list)."""
    if isinstance(values, (str, bytes)):
        raise InvalidParameter(f"heartbeat takes a list of {what}, got the single value {values!r}")
    values = list(values)
    for value in values:
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidParameter(
                f"{what} must be {kind.__name__}s, got {value!r} ({type(value).__name__})"
            )
    return values


def run_info(row) -> RunInfo:
    return RunInfo(
        run_id=row.run_uuid,
        experiment_id=str(row.experiment_id),
        run_name=row.name,
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        lifecycle_stage=row.lifecycle_stage,
        artifact_uri=row.artifact_uri,
        user_id=row.user_id,
    )
