"""Experiments and their tags."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labtrack.entities import Experiment, LifecycleStage, ViewType
from labtrack.errors import AlreadyExists, InvalidParameter, NotFound
from labtrack.store.filter import EXPERIMENTS, TAG, parse_filter, parse_order_by
from labtrack.store.sql import schema
from labtrack.store.sql.base import Database, now_ms
from labtrack.store.sql.filter_sql import SearchTarget, search_condition
from labtrack.store.sql.paging import decode_page_token, page_query, split_page

DEFAULT_EXPERIMENT_ID = 0
DEFAULT_EXPERIMENT_NAME = "Default"

e, et = schema.experiments, schema.experiment_tags
_COLUMNS = {
    "name": e.c.name,
    # Ids are strings to MLflow (experiment_id = '3', IN ('1', '2')): compared as text.
    "experiment_id": sa.cast(e.c.experiment_id, sa.String),
    "creation_time": e.c.creation_time,
    "last_update_time": e.c.last_update_time,
}
_SEARCH_TARGET = SearchTarget(e, _COLUMNS, {TAG: (et, et.c.experiment_id, e.c.experiment_id)})
# order_by names the integer id: "10" sorts after "9".
_ORDER_COLUMNS = {**_COLUMNS, "experiment_id": e.c.experiment_id}


class Experiments:
    """Experiments and their tags. New experiments keep their artifacts under
    ``artifact_root`` (a folder or a URI such as ``s3://bucket/prefix``), one folder each."""

    def __init__(self, db: Database, artifact_root: str):
        self.db = db
        self.artifact_root = artifact_root

    def ensure_default(self) -> None:
        """Create the default experiment (id 0) unless it exists."""
        self.db.write(self.default_work)

    def default_work(self, conn: Connection) -> None:
        """``ensure_default``'s work, to run inside another write (a new store's creation)."""
        exists = conn.execute(
            sa.select(e.c.experiment_id).where(e.c.experiment_id == DEFAULT_EXPERIMENT_ID)
        ).first()
        if exists is None:
            # Several processes may open a new store at once: on PostgreSQL the check
            # above does not see another's uncommitted insert, so a conflict is fine.
            conn.execute(
                self.db.upsert(conn, e)
                .values(
                    experiment_id=DEFAULT_EXPERIMENT_ID,
                    name=DEFAULT_EXPERIMENT_NAME,
                    artifact_location=self.experiment_artifact_location(DEFAULT_EXPERIMENT_ID),
                    creation_time=now_ms(),
                    last_update_time=now_ms(),
                )
                .on_conflict_do_nothing()
            )

    def experiment_artifact_location(self, experiment_id: int) -> str:
        """Where a new experiment keeps its artifacts: ``<artifact_root>/<id>`` (joined with
        "/" whatever the root: a URI is not a local path)."""
        return f"{self.artifact_root.rstrip('/')}/{experiment_id}"

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameter("experiment name must be a non-empty string")

        def work(conn: Connection) -> int:
            if conn.execute(sa.select(e.c.experiment_id).where(e.c.name == name)).first():
                raise AlreadyExists(f"experiment {name!r} already exists")
            now = now_ms()
            experiment_id = conn.execute(
                e.insert().values(
                    name=name,
                    artifact_location=artifact_location or "",
                    creation_time=now,
                    last_update_time=now,
                )
            ).inserted_primary_key[0]
            if not artifact_location:
                conn.execute(
                    e.update()
                    .where(e.c.experiment_id == experiment_id)
                    .values(artifact_location=self.experiment_artifact_location(experiment_id))
                )
            if tags:
                conn.execute(
                    et.insert(),
                    [
                        {"experiment_id": experiment_id, "key": k, "value": str(v)}
                        for k, v in tags.items()
                    ],
                )
            return experiment_id

        try:
            return str(self.db.write(work))
        except sa.exc.IntegrityError:
            # Another process created it between our check and our insert (PostgreSQL does
            # not serialize writers the way SQLite's BEGIN IMMEDIATE does).
            raise AlreadyExists(f"experiment {name!r} already exists") from None

    def get_experiment(self, experiment_id: str) -> Experiment:
        found = self._experiments(e.c.experiment_id == _int_id(experiment_id))
        if not found:
            raise NotFound(f"no experiment with id {experiment_id!r}")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        found = self._experiments(e.c.name == name)
        return found[0] if found else None

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        filter_string: str | None = None,
        max_results: int | None = None,
    ) -> list[Experiment]:
        """Experiments in ``view_type`` matching ``filter_string`` (e.g. ``name LIKE 'svm%'
        AND tags.team = 'vision'``; name, experiment_id, creation_time, last_update_time and
        tags, AND only), oldest first."""
        return self.search_experiments_page(view_type, filter_string, max_results)[0]

    def search_experiments_page(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[Experiment], str | None]:
        """A page of ``search_experiments`` ordered by ``order_by`` (MLflow's clauses on name,
        experiment_id, creation_time and last_update_time, e.g. ``["name DESC"]``; oldest
        first without), and the next page's token (None on the last page)."""
        condition = e.c.lifecycle_stage.in_(ViewType.stages(view_type))
        node = parse_filter(filter_string, EXPERIMENTS)
        if node is not None:
            condition = condition & search_condition(
                node, _SEARCH_TARGET, dialect_name=self.db.dialect
            )
        orders = [parse_order_by(clause, EXPERIMENTS) for clause in order_by or []]
        columns = [
            _ORDER_COLUMNS[o.key].asc() if o.ascending else _ORDER_COLUMNS[o.key].desc()
            for o in orders
        ]
        if orders and not any(o.key == "experiment_id" for o in orders):
            columns.append(e.c.experiment_id.desc())  # MLflow's tie-breaker under an order_by
        offset = decode_page_token(page_token)
        rows = self._experiments(condition, max_results, offset, columns)
        return split_page(rows, max_results, offset)

    def _experiments(
        self, condition, max_results: int | None = None, offset: int = 0, order=()
    ) -> list[Experiment]:
        """The matching experiments in ``order`` (then by id), from ``offset``: a page of
        ``max_results`` and one more (``page_query``), or all of them."""
        query = sa.select(e).where(condition).order_by(*order, e.c.experiment_id)
        with self.db.connect() as conn:
            rows = conn.execute(page_query(query, max_results, offset)).all()
            ids = [row.experiment_id for row in rows]
            tag_rows = (
                conn.execute(sa.select(et).where(et.c.experiment_id.in_(ids))).all() if ids else []
            )
        tags: dict[int, dict[str, str]] = {}
        for tag in tag_rows:
            tags.setdefault(tag.experiment_id, {})[tag.key] = tag.value
        return [
            Experiment(
                experiment_id=str(row.experiment_id),
                name=row.name,
                artifact_location=row.artifact_location,
                lifecycle_stage=row.lifecycle_stage,
                tags=tags.get(row.experiment_id, {}),
                creation_time=row.creation_time,
                last_update_time=row.last_update_time,
            )
            for row in rows
        ]

    def _set_experiment_fields(self, experiment_id: str, **values) -> None:
        def work(conn: Connection) -> None:
            result = conn.execute(
                e.update()
                .where(e.c.experiment_id == _int_id(experiment_id))
                .values(last_update_time=now_ms(), **values)
            )
            if result.rowcount == 0:
                raise NotFound(f"no experiment with id {experiment_id!r}")

        self.db.write(work)

    def delete_experiment(self, experiment_id: str) -> None:
        if _int_id(experiment_id) == DEFAULT_EXPERIMENT_ID:
            raise InvalidParameter("the default experiment cannot be deleted")
        self._set_experiment_fields(experiment_id, lifecycle_stage=LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_experiment_fields(experiment_id, lifecycle_stage=LifecycleStage.ACTIVE)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        if self.get_experiment_by_name(new_name) is not None:
            raise AlreadyExists(f"experiment {new_name!r} already exists")
        self._set_experiment_fields(experiment_id, name=new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self.get_experiment(experiment_id)

        def work(conn: Connection) -> None:
            statement = self.db.upsert(conn, et).values(
                experiment_id=_int_id(experiment_id), key=key, value=value
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[et.c.experiment_id, et.c.key], set_={"value": value}
                )
            )

        self.db.write(work)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment; ``NotFound`` if the experiment has no such tag."""
        self.get_experiment(experiment_id)

        def work(conn: Connection) -> None:
            deleted = conn.execute(
                et.delete().where(et.c.experiment_id == _int_id(experiment_id), et.c.key == key)
            )
            if deleted.rowcount == 0:
                raise NotFound(f"experiment {experiment_id} has no tag {key!r}")

        self.db.write(work)


_MAX_ID = 2**31 - 1


def _int_id(experiment_id: str | int) -> int:
    try:
        number = int(experiment_id)
    except (TypeError, ValueError):
        raise InvalidParameter(
            f"experiment id must be an integer string, got {experiment_id!r}"
        ) from None
    if abs(number) > _MAX_ID:  # an INTEGER column: 32 bits on PostgreSQL
        raise InvalidParameter(
            f"experiment id {str(experiment_id)[:30]} is out of range (at most {_MAX_ID})"
        )
    return number
