"""MLflow 3's logged models in the SQL store: a model with its own id, params, tags, status
and the metric points linked to it; searched with MLflow's filter language.

A model logged in a run keeps its files beside the run's other artifacts (``<run's artifact
root>/<name>``, so ``runs:/<run_id>/<name>`` names them too); one logged without a run under
``<experiment's artifact location>/models/<model_id>/artifacts``, as in MLflow.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labtrack.entities import LifecycleStage, LoggedModelOutput
from labtrack.entities.logged_model import (
    MODEL_ID,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelStatus,
)
from labtrack.errors import AlreadyExists, InvalidParameter, InvalidState, NotFound
from labtrack.store.filter import (
    ATTRIBUTE,
    METRIC,
    PARAM,
    TAG,
    And,
    Node,
    Or,
    Searchable,
    parse_filter,
)
from labtrack.store.sql import schema
from labtrack.store.sql.base import Database, now_ms
from labtrack.store.sql.filter_sql import SearchTarget, compare, search_condition
from labtrack.store.sql.paging import decode_page_token, page_query, split_page

lm, lmp, lmt, lmm = (
    schema.logged_models,
    schema.logged_model_params,
    schema.logged_model_tags,
    schema.logged_model_metrics,
)

# What MLflow's search_logged_models filters and orders by.
LOGGED_MODELS = Searchable(
    "logged models",
    "name = 'model', metrics.accuracy > 0.9 or params.lr = '0.1'",
    (METRIC, PARAM, TAG),
    ("model_id", "name", "model_type", "source_run_id", "status"),
    ("creation_timestamp", "last_updated_timestamp"),
    aliases={"creation_time": "creation_timestamp", "run_id": "source_run_id"},
    order_entities=(METRIC,),
    order_attributes=(
        "creation_timestamp",
        "last_updated_timestamp",
        "model_id",
        "name",
        "model_type",
        "source_run_id",
        "status",
    ),
)
_ATTRIBUTES = {
    "model_id": lm.c.model_id,
    "name": lm.c.name,
    "model_type": lm.c.model_type,
    "source_run_id": lm.c.source_run_id,
    "status": lm.c.status,
    "creation_timestamp": lm.c.creation_time,
    "last_updated_timestamp": lm.c.last_updated_time,
}
_TARGET = SearchTarget(
    lm, _ATTRIBUTES, {PARAM: (lmp, lmp.c.model_pk, lm.c.id), TAG: (lmt, lmt.c.model_pk, lm.c.id)}
)


def new_model_id() -> str:
    """A fresh logged-model id, MLflow's form: ``m-`` and 32 hex digits."""
    return f"m-{secrets.token_hex(16)}"


class LoggedModels:
    """Logged models: create, read, finalize, tag, give params, link metrics, search."""

    # Linking a point to a model here does not log it to the run: the client's writer does.
    logs_run_points = False

    def __init__(self, db: Database):
        self.db = db

    # -- writing --------------------------------------------------------------------------

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        step: int | None = None,
        model_id: str | None = None,
    ) -> LoggedModel:
        """A new ``PENDING`` logged model (``model_id`` given only to import one); its
        artifact location follows from its run or experiment (see the module's docstring)."""
        model_id = model_id or new_model_id()
        if not MODEL_ID.fullmatch(model_id):
            raise InvalidParameter(f"invalid logged model id {model_id!r}: expected m-<32 hex>")
        name = name or model_id

        def work(conn: Connection) -> None:
            location = _location(conn, experiment_id, source_run_id, name, model_id)
            now = now_ms()
            pk = conn.execute(
                lm.insert().values(
                    model_id=model_id,
                    experiment_id=_int_id(experiment_id),
                    name=name,
                    source_run_id=source_run_id or None,
                    step=step,
                    status=LoggedModelStatus.PENDING,
                    model_type=model_type or None,
                    artifact_location=location,
                    creation_time=now,
                    last_updated_time=now,
                )
            ).inserted_primary_key[0]
            self._upsert(conn, lmt, pk, tags or {})
            self._upsert(conn, lmp, pk, params or {})

        self.db.write(work)
        return self.get_logged_model(model_id)

    def import_logged_model(
        self, model: LoggedModel, experiment_id: str, artifact_path: str | None = None
    ) -> LoggedModel:
        """Make this store hold ``model`` as another store has it (``labtrack.transfer``):
        its id, name, times, status, type, source run, tags, params and linked metric
        points, in the experiment ``experiment_id``. Its files are at ``artifact_path`` in
        its run's artifacts (its name by default), or without a run where a new model's are.

        A model already here (an earlier or interrupted copy) is brought up to date: its
        fields and times set, tags and params set, the points it lacks added; nothing is
        removed or duplicated. ``AlreadyExists`` if the id is taken in another experiment."""
        if not MODEL_ID.fullmatch(model.model_id or ""):
            raise InvalidParameter(
                f"invalid logged model id {model.model_id!r}: expected m-<32 hex>"
            )
        path = _relative(artifact_path or model.name)
        status = LoggedModelStatus.canonical(model.status)

        def work(conn: Connection) -> None:
            row = conn.execute(
                sa.select(lm.c.id, lm.c.experiment_id).where(lm.c.model_id == model.model_id)
            ).first()
            values = dict(
                name=model.name,
                source_run_id=model.source_run_id or None,
                status=status,
                status_message=model.status_message,
                model_type=model.model_type or None,
                creation_time=model.creation_timestamp,
                last_updated_time=model.last_updated_timestamp,
                lifecycle_stage=LifecycleStage.ACTIVE,
            )
            if row is None:
                location = _location(conn, experiment_id, model.source_run_id, path, model.model_id)
                pk = conn.execute(
                    lm.insert().values(
                        model_id=model.model_id,
                        experiment_id=_int_id(experiment_id),
                        artifact_location=location,
                        **values,
                    )
                ).inserted_primary_key[0]
            elif str(row.experiment_id) != str(_int_id(experiment_id)):
                raise AlreadyExists(
                    f"logged model {model.model_id} exists in experiment {row.experiment_id}, "
                    f"not in {experiment_id}"
                )
            else:
                pk = row.id
                conn.execute(lm.update().where(lm.c.id == pk).values(**values))
            self._upsert(conn, lmt, pk, model.tags)
            self._upsert(conn, lmp, pk, model.params)
            have = [
                _point_key(m)
                for m in self._models(conn, sa.select(lm).where(lm.c.id == pk))[0].metrics
            ]
            missing = _missing(model.metrics, have)
            if missing:
                conn.execute(lmm.insert(), [_point_row(pk, m) for m in missing])

        self.db.write(work)
        return self.get_logged_model(model.model_id)

    def finalize_logged_model(
        self, model_id: str, status: str, status_message: str | None = None
    ) -> LoggedModel:
        """Set a model's status (``READY`` once its files are written, or ``FAILED``)."""
        status = LoggedModelStatus.canonical(status)
        self._update(model_id, lambda conn, pk: None, status=status, status_message=status_message)
        return self.get_logged_model(model_id)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        """Set (or overwrite) tags of a model."""
        self._update(model_id, lambda conn, pk: self._upsert(conn, lmt, pk, tags))

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Set params of a model (a param logged again with the same key is overwritten)."""
        self._update(model_id, lambda conn, pk: self._upsert(conn, lmp, pk, params))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Remove a tag; ``NotFound`` if the model has no such tag."""

        def remove(conn: Connection, pk: int) -> None:
            gone = conn.execute(lmt.delete().where(lmt.c.model_pk == pk, lmt.c.key == key))
            if not gone.rowcount:
                raise NotFound(f"No tag with key {key!r} on logged model {model_id}")

        self._update(model_id, remove)

    def delete_logged_model(self, model_id: str) -> None:
        """Mark a model deleted: reads and searches no longer find it (its files are kept)."""
        self._update(model_id, lambda conn, pk: None, lifecycle_stage=LifecycleStage.DELETED)

    def log_logged_model_metrics(self, metrics: Sequence[LoggedModelMetric]) -> None:
        """Link metric points to their models (``LoggedModelMetric.model_id``)."""
        if not metrics:
            return

        def work(conn: Connection) -> None:
            pks = {m.model_id: self._pk(conn, m.model_id) for m in metrics}
            conn.execute(lmm.insert(), [_point_row(pks[m.model_id], m) for m in metrics])
            conn.execute(
                lm.update()
                .where(lm.c.id.in_(sorted(set(pks.values()))))
                .values(last_updated_time=now_ms())
            )

        self.db.write(work)

    def log_outputs(self, run_id: str, outputs: Sequence[LoggedModelOutput]) -> None:
        """Record that run ``run_id`` logged these models at their steps (MLflow's
        ``log_outputs``), all or none. A model's run is its ``source_run_id``, so a model
        logged without a run gets this run and step; one already this run's output at the
        same step needs nothing. A model can be the output of one run at one step only:
        another run or another step is ``InvalidState`` (MLflow would list it twice, which
        would take a table of its own); an unknown or deleted model is ``NotFound``."""

        def work(conn: Connection) -> None:
            for output in outputs:
                pk = self._pk(conn, output.model_id)
                row = conn.execute(sa.select(lm.c.source_run_id, lm.c.step).where(lm.c.id == pk))
                source_run_id, step = row.one()
                if source_run_id not in (None, run_id):
                    raise InvalidState(
                        f"logged model {output.model_id} was logged by run {source_run_id}; "
                        f"labtrack records one run per model, so run {run_id} cannot log it"
                    )
                if source_run_id == run_id and step not in (None, output.step):
                    raise InvalidState(
                        f"logged model {output.model_id} was logged by run {run_id} at step "
                        f"{step}; labtrack records one step per model, not step {output.step}"
                    )
                conn.execute(
                    lm.update()
                    .where(lm.c.id == pk)
                    .values(source_run_id=run_id, step=output.step, last_updated_time=now_ms())
                )

        self.db.write(work)

    def _update(self, model_id: str, change, **values: Any) -> None:
        def work(conn: Connection) -> None:
            pk = self._pk(conn, model_id)
            change(conn, pk)
            conn.execute(
                lm.update().where(lm.c.id == pk).values(last_updated_time=now_ms(), **values)
            )

        self.db.write(work)

    def _upsert(self, conn: Connection, table: sa.Table, pk: int, values: Mapping[str, str]):
        if values:
            statement = self.db.upsert(conn, table)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.model_pk, table.c.key],
                    set_={"value": statement.excluded.value},
                ),
                [{"model_pk": pk, "key": k, "value": v} for k, v in values.items()],
            )

    @staticmethod
    def _pk(conn: Connection, model_id: str | None, allow_deleted: bool = False) -> int:
        query = sa.select(lm.c.id).where(lm.c.model_id == model_id)
        if not allow_deleted:
            query = query.where(lm.c.lifecycle_stage == LifecycleStage.ACTIVE)
        pk = conn.execute(query).scalar() if MODEL_ID.fullmatch(model_id or "") else None
        if pk is None:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return pk

    # -- reading --------------------------------------------------------------------------

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        """The model with this id; ``NotFound`` if there is none (or it was deleted, unless
        ``allow_deleted``)."""
        with self.db.connect() as conn:
            pk = self._pk(conn, model_id, allow_deleted)
            return self._models(conn, sa.select(lm).where(lm.c.id == pk))[0]

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, str]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[LoggedModel], str | None]:
        """A page of the live models of those experiments that match ``filter_string``
        (MLflow's filter language on attributes, ``metrics.``, ``params.`` and ``tags.``),
        newest first unless ``order_by`` says otherwise, and the next page's token.

        ``datasets`` (``[{"dataset_name": ..., "dataset_digest": ...}]``) restricts metric
        comparisons to points computed on those datasets. A metric comparison reads each
        model's latest point of that metric (highest step, then latest time)."""
        node = parse_filter(filter_string, LOGGED_MODELS)
        scope = _dataset_scope(datasets)
        condition = sa.true() if node is None else self._condition(node, scope)
        ids = [_int_id(i) for i in experiment_ids]
        query = (
            sa.select(lm)
            .where(
                lm.c.experiment_id.in_(ids),
                lm.c.lifecycle_stage == LifecycleStage.ACTIVE,
                condition,
            )
            .order_by(*_order_clauses(order_by), lm.c.creation_time.desc(), lm.c.id.desc())
        )
        offset = decode_page_token(page_token)
        with self.db.connect() as conn:
            models = self._models(conn, page_query(query, max_results, offset))
        return split_page(models, max_results, offset)

    def _condition(self, node: Node, scope) -> sa.ColumnElement[bool]:
        if isinstance(node, (And, Or)):
            combine = sa.and_ if isinstance(node, And) else sa.or_
            return combine(*(self._condition(item, scope) for item in node.items))
        if node.entity == METRIC:
            # NaN is stored as NULL, so it matches no comparison (as for runs).
            return compare(
                _latest_metric(node.key, scope), node.op, float(node.value), self.db.dialect
            )
        return search_condition(node, _TARGET, dialect_name=self.db.dialect)

    @staticmethod
    def _models(conn: Connection, query) -> list[LoggedModel]:
        rows = conn.execute(query).all()
        pks = [row.id for row in rows]
        tags, params = _key_values(conn, lmt, pks), _key_values(conn, lmp, pks)
        points: dict[int, list[LoggedModelMetric]] = {}
        by_pk = {row.id: row.model_id for row in rows}
        for m in conn.execute(
            sa.select(lmm).where(lmm.c.model_pk.in_(pks)).order_by(lmm.c.step, lmm.c.timestamp)
        ):
            points.setdefault(m.model_pk, []).append(
                LoggedModelMetric(
                    m.key,
                    math.nan if m.is_nan else m.value,
                    m.timestamp,
                    m.step,
                    by_pk[m.model_pk],
                    m.dataset_name,
                    m.dataset_digest,
                    m.run_id,
                )
            )
        return [
            LoggedModel(
                experiment_id=str(row.experiment_id),
                model_id=row.model_id,
                name=row.name,
                artifact_location=row.artifact_location,
                creation_timestamp=row.creation_time,
                last_updated_timestamp=row.last_updated_time,
                model_type=row.model_type,
                source_run_id=row.source_run_id,
                status=row.status,
                status_message=row.status_message,
                tags=tags.get(row.id, {}),
                params=params.get(row.id, {}),
                metrics=points.get(row.id, []),
            )
            for row in rows
        ]


def _location(
    conn: Connection, experiment_id: str, source_run_id: str | None, path: str, model_id: str
) -> str:
    """Where a new model's files go: ``path`` in its run's artifacts, or without a run under
    its experiment's location (see the module's docstring)."""
    e, r = schema.experiments, schema.runs
    location = conn.execute(
        sa.select(e.c.artifact_location).where(e.c.experiment_id == _int_id(experiment_id))
    ).scalar()
    if location is None:
        raise NotFound(f"no experiment with id {experiment_id!r}")
    if source_run_id:
        run_root = conn.execute(
            sa.select(r.c.artifact_uri).where(r.c.run_uuid == source_run_id)
        ).scalar()
        if run_root is None:
            raise NotFound(f"no run with id {source_run_id!r}")
        return f"{run_root.rstrip('/')}/{path.strip('/')}"
    return f"{location.rstrip('/')}/models/{model_id}/artifacts"


def _relative(path: str) -> str:
    """A model's folder in its run's artifacts: it must stay inside the run."""
    parts = path.replace("\\", "/").split("/")
    if not path or path.startswith("/") or ".." in parts:
        raise InvalidParameter(
            f"a logged model's path in its run's artifacts is relative, without '..': {path!r}"
        )
    return path


def _point_row(pk: int, m: LoggedModelMetric) -> dict:
    return {
        "model_pk": pk,
        "key": m.key,
        "step": m.step,
        "timestamp": m.timestamp,
        "value": None if math.isnan(m.value) else m.value,
        "is_nan": math.isnan(m.value),
        "run_id": m.run_id,
        "dataset_name": m.dataset_name,
        "dataset_digest": m.dataset_digest,
    }


def _point_key(m: LoggedModelMetric) -> tuple:
    value = "nan" if math.isnan(m.value) else repr(float(m.value))
    return (m.key, m.step, m.timestamp, value, m.run_id, m.dataset_name, m.dataset_digest)


def _missing(points: Sequence[LoggedModelMetric], have: Iterable[tuple]) -> list:
    """The points a model lacks, counting repeats (a point twice here and once there is
    missing once)."""
    from collections import Counter

    count = Counter(have)
    missing = []
    for m in points:
        key = _point_key(m)
        if count[key]:
            count[key] -= 1
        else:
            missing.append(m)
    return missing


def _int_id(experiment_id: object) -> int:
    try:
        return int(str(experiment_id))
    except ValueError:
        raise NotFound(f"no experiment with id {experiment_id!r}") from None


def _key_values(conn: Connection, table: sa.Table, pks: Iterable[int]) -> dict[int, dict]:
    found: dict[int, dict] = {}
    for row in conn.execute(sa.select(table).where(table.c.model_pk.in_(list(pks)))):
        found.setdefault(row.model_pk, {})[row.key] = row.value
    return found


def _dataset_scope(datasets: Sequence[Mapping[str, str]] | None):
    """A condition on ``logged_model_metrics`` rows: computed on one of ``datasets``."""
    if not datasets:
        return sa.true()
    terms = []
    for d in datasets:
        if not isinstance(d, Mapping) or not d.get("dataset_name"):
            raise InvalidParameter(
                f"each dataset of a logged model search needs a dataset_name, got {d!r}"
            )
        term = lmm.c.dataset_name == d["dataset_name"]
        if d.get("dataset_digest"):
            term = sa.and_(term, lmm.c.dataset_digest == d["dataset_digest"])
        terms.append(term)
    return sa.or_(*terms)


def _latest_metric(key: str, scope=None):
    """The value of a model's latest point of ``key`` (within ``scope``), per model row."""
    return (
        sa.select(lmm.c.value)
        .where(lmm.c.model_pk == lm.c.id, lmm.c.key == key, sa.true() if scope is None else scope)
        .order_by(lmm.c.step.desc(), lmm.c.timestamp.desc())
        .limit(1)
        .correlate(lm)
        .scalar_subquery()
    )


def _order_clauses(order_by: Sequence[Mapping[str, Any]] | None) -> list:
    """MLflow's ``order_by`` dicts (``field_name``, ``ascending``, optional dataset for a
    metric) as ORDER BY expressions; models without the metric come last."""
    from labtrack.store.filter import parse_order_by

    clauses: list = []
    for item in order_by or ():
        if isinstance(item, str):  # "name DESC" also works
            order = parse_order_by(item, LOGGED_MODELS)
            field, ascending, scope = f"{order.entity}.{order.key}", order.ascending, None
        elif isinstance(item, Mapping) and item.get("field_name"):
            field, ascending = str(item["field_name"]), bool(item.get("ascending", True))
            scope = (
                _dataset_scope(
                    [{k: item[k] for k in ("dataset_name", "dataset_digest") if k in item}]
                )
                if item.get("dataset_name")
                else None
            )
            order = parse_order_by(field, LOGGED_MODELS)
        else:
            raise InvalidParameter(
                f"an order_by item is a dict with field_name (and ascending), got {item!r}"
            )
        if order.entity == METRIC:
            value = _latest_metric(order.key, scope)
            clauses += [
                sa.case((value.is_(None), 1), else_=0),
                value if ascending else value.desc(),
            ]
        elif order.entity == ATTRIBUTE:
            column = _ATTRIBUTES[order.key]
            clauses.append(column.asc() if ascending else column.desc())
        else:
            raise InvalidParameter(f"logged models cannot be ordered by {field!r}")
    return clauses


__all__ = ["LOGGED_MODELS", "LoggedModels", "new_model_id"]
