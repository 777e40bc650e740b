"""The model registry: registered models, versions, tags, stages, aliases and their history.

Every change and its history entry are written in one transaction, so the history never
misses or invents a change. Arguments arrive validated (``labtrack.registry.client``):
names are strings, versions ints, stages canonical.

Version numbers come from a counter on the model's row, incremented in the transaction that
inserts the version: on SQLite ``BEGIN IMMEDIATE`` serializes writers, on PostgreSQL the
UPDATE locks the row until commit, so concurrent registrations queue up and never share a
number (the unique (model, version) constraint is the backstop).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labtrack.entities import (
    LifecycleStage,
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    RegisteredModel,
    RegistryAction,
    RegistryEvent,
)
from labtrack.entities.model_registry import logged_model_id_of
from labtrack.errors import AlreadyExists, NotFound
from labtrack.store.sql import registry_entities as entities
from labtrack.store.sql import registry_search, schema
from labtrack.store.sql.base import Database, now_ms
from labtrack.store.sql.registry_entities import mv, mvt, ra, rh, rm, rmt

A = RegistryAction


class Registry:
    """Registered models, their versions, tags, stages and aliases, and the history of
    every change; needs nothing of the store but its database."""

    def __init__(self, db: Database):
        self.db = db

    # -- registered models ----------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        user: str = "",
    ) -> RegisteredModel:
        def work(conn: Connection) -> RegisteredModel:
            if not self._insert_model(conn, name, description, user):
                raise AlreadyExists(f"registered model {name!r} already exists")
            model = self._model(conn, name)
            self._set_tags(conn, rmt, "model_id", model.id, tags or {})
            return entities.registered_models(conn, [model])[0]

        return self.db.write(work)

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self.db.connect() as conn:
            return entities.registered_models(conn, [self._model(conn, name)])[0]

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[RegisteredModel], str | None]:
        """Models matching e.g. ``name LIKE 'iris%' AND tags.team = 'vision'``; returns a page
        and the token of the next one (None on the last page)."""
        return registry_search.search_registered_models(
            self.db, filter_string, max_results, order_by, page_token
        )

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[ModelVersion], str | None]:
        """Versions matching e.g. ``name = 'iris' AND run_id = '...'``; a page and the next token."""
        return registry_search.search_model_versions(
            self.db, filter_string, max_results, order_by, page_token
        )

    def rename_registered_model(self, name: str, new_name: str, user: str = "") -> RegisteredModel:
        def work(conn: Connection) -> RegisteredModel:
            model = self._model(conn, name, lock=True)
            if conn.execute(sa.select(rm.c.id).where(rm.c.name == new_name)).first():
                raise AlreadyExists(f"registered model {new_name!r} already exists")
            conn.execute(
                rm.update()
                .where(rm.c.id == model.id)
                .values(name=new_name, last_updated_time=now_ms())
            )
            self._record(
                conn, model.id, new_name, A.RENAME_MODEL, user, from_value=name, to_value=new_name
            )
            return entities.registered_models(conn, [self._model(conn, new_name)])[0]

        try:
            return self.db.write(work)
        except sa.exc.IntegrityError:
            raise AlreadyExists(f"registered model {new_name!r} already exists") from None

    def update_registered_model(
        self, name: str, description: str | None, user: str = ""
    ) -> RegisteredModel:
        def work(conn: Connection) -> RegisteredModel:
            model = self._model(conn, name, lock=True)
            conn.execute(
                rm.update()
                .where(rm.c.id == model.id)
                .values(description=description, last_updated_time=now_ms())
            )
            self._record(
                conn,
                model.id,
                name,
                A.UPDATE_MODEL,
                user,
                from_value=model.description,
                to_value=description,
            )
            return entities.registered_models(conn, [self._model(conn, name)])[0]

        return self.db.write(work)

    def delete_registered_model(self, name: str, user: str = "") -> None:
        """Delete a model with its versions, tags and aliases (foreign keys cascade); its
        history stays."""

        def work(conn: Connection) -> None:
            model = self._model(conn, name, lock=True)
            conn.execute(rm.delete().where(rm.c.id == model.id))
            self._record(conn, model.id, name, A.DELETE_MODEL, user)

        self.db.write(work)

    def set_registered_model_tag(self, name: str, key: str, value: str, user: str = "") -> None:
        def work(conn: Connection) -> None:
            model = self._model(conn, name, lock=True)
            old = self._set_tags(conn, rmt, "model_id", model.id, {key: value}).get(key)
            self._touch(conn, model.id)
            self._record(
                conn, model.id, name, A.SET_MODEL_TAG, user, key=key, from_value=old, to_value=value
            )

        self.db.write(work)

    def delete_registered_model_tag(self, name: str, key: str, user: str = "") -> None:
        def work(conn: Connection) -> None:
            model = self._model(conn, name, lock=True)
            old = self._delete_tag(
                conn, rmt, rmt.c.model_id == model.id, key, f"registered model {name!r}"
            )
            self._touch(conn, model.id)
            self._record(conn, model.id, name, A.DELETE_MODEL_TAG, user, key=key, from_value=old)

        self.db.write(work)

    # -- versions -------------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        run_link: str | None = None,
        user: str = "",
        create_model: bool = False,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Add the next version of ``name``; with ``create_model``, create the model first if
        it does not exist (in the same transaction, so concurrent first registrations agree).

        ``model_id`` is the logged model the version registers. As in MLflow's store, a
        version of a logged model (``model_id``, or a ``models:/<model_id>`` source) without
        a ``run_id`` gets the run that logged the model; ``NotFound`` if there is no such
        live model."""

        def work(conn: Connection) -> ModelVersion:
            logged = model_id or logged_model_id_of(source)
            model_run = self._logged_model_run(conn, logged) if logged else None
            now = now_ms()
            if create_model:
                self._insert_model(conn, name, None, user)
            model = self._model(conn, name)
            conn.execute(
                rm.update()
                .where(rm.c.id == model.id)
                .values(last_version=rm.c.last_version + 1, last_updated_time=now)
            )
            number = conn.execute(
                sa.select(rm.c.last_version).where(rm.c.id == model.id)
            ).scalar_one()
            conn.execute(
                mv.insert().values(
                    model_id=model.id,
                    version=number,
                    source=source,
                    run_id=run_id or model_run,
                    run_link=run_link,
                    description=description,
                    logged_model_id=model_id,
                    current_stage=ModelVersionStage.NONE,
                    status=ModelVersionStatus.READY,
                    user_id=user,
                    creation_time=now,
                    last_updated_time=now,
                )
            )
            version = self._version(conn, model, number)
            self._set_tags(conn, mvt, "version_id", version.id, tags or {})
            self._record(
                conn, model.id, name, A.CREATE_VERSION, user, version=number, to_value=source
            )
            return self._version_entity(conn, version.id)

        return self.db.write(work)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        with self.db.connect() as conn:
            row = self._version(conn, self._model(conn, name), version)
            return self._version_entity(conn, row.id)

    def update_model_version(
        self, name: str, version: int, description: str | None, user: str = ""
    ) -> ModelVersion:
        def work(conn: Connection) -> ModelVersion:
            model = self._model(conn, name, lock=True)
            row = self._version(conn, model, version)
            self._update_version(conn, row.id, description=description)
            self._record(
                conn,
                model.id,
                name,
                A.UPDATE_VERSION,
                user,
                version=version,
                from_value=row.description,
                to_value=description,
            )
            return self._version_entity(conn, row.id)

        return self.db.write(work)

    def delete_model_version(self, name: str, version: int, user: str = "") -> None:
        """Delete a version with its tags and aliases; each alias's removal is recorded. Its
        number is never given again."""

        def work(conn: Connection) -> None:
            model = self._model(conn, name, lock=True)
            row = self._version(conn, model, version)
            aliases = (
                conn.execute(sa.select(ra.c.alias).where(ra.c.version_id == row.id)).scalars().all()
            )
            conn.execute(mv.delete().where(mv.c.id == row.id))
            self._touch(conn, model.id)
            for alias in aliases:
                self._record(
                    conn,
                    model.id,
                    name,
                    A.DELETE_ALIAS,
                    user,
                    version=version,
                    key=alias,
                    from_value=str(version),
                    comment=f"version {version} was deleted",
                )
            self._record(
                conn,
                model.id,
                name,
                A.DELETE_VERSION,
                user,
                version=version,
                from_value=row.current_stage,
            )

        self.db.write(work)

    def set_model_version_tag(
        self, name: str, version: int, key: str, value: str, user: str = ""
    ) -> None:
        def work(conn: Connection) -> None:
            model = self._model(conn, name, lock=True)
            row = self._version(conn, model, version)
            old = self._set_tags(conn, mvt, "version_id", row.id, {key: value}).get(key)
            self._update_version(conn, row.id)
            self._record(
                conn,
                model.id,
                name,
                A.SET_VERSION_TAG,
                user,
                version=version,
                key=key,
                from_value=old,
                to_value=value,
            )

        self.db.write(work)

    def delete_model_version_tag(self, name: str, version: int, key: str, user: str = "") -> None:
        def work(conn: Connection) -> None:
            model = self._model(conn, name, lock=True)
            row = self._version(conn, model, version)
            old = self._delete_tag(
                conn, mvt, mvt.c.version_id == row.id, key, f"version {version} of {name!r}"
            )
            self._update_version(conn, row.id)
            self._record(
                conn,
                model.id,
                name,
                A.DELETE_VERSION_TAG,
                user,
                version=version,
                key=key,
                from_value=old,
            )

        self.db.write(work)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] = ModelVersionStage.ALL
    ) -> list[ModelVersion]:
        with self.db.connect() as conn:
            model = self._model(conn, name)
            return entities.latest_versions(conn, [model.id], stages)[model.id]

    # -- stages and aliases ---------------------------------------------------------------

    def transition_model_version_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing_versions: bool = False,
        user: str = "",
        comment: str | None = None,
    ) -> ModelVersion:
        """Move a version to ``stage``; with ``archive_existing_versions``, first archive the
        other versions in that stage (each archiving recorded in the history)."""

        def work(conn: Connection) -> ModelVersion:
            model = self._model(conn, name, lock=True)
            row = self._version(conn, model, version)
            if archive_existing_versions:
                others = conn.execute(
                    sa.select(mv.c.id, mv.c.version)
                    .where(
                        mv.c.model_id == model.id, mv.c.current_stage == stage, mv.c.id != row.id
                    )
                    .order_by(mv.c.version)
                ).all()
                for other in others:
                    self._update_version(conn, other.id, current_stage=ModelVersionStage.ARCHIVED)
                    self._record(
                        conn,
                        model.id,
                        name,
                        A.TRANSITION_STAGE,
                        user,
                        version=other.version,
                        from_value=stage,
                        to_value=ModelVersionStage.ARCHIVED,
                        comment=f"archived: version {version} moved to {stage}",
                    )
            self._update_version(conn, row.id, current_stage=stage)
            self._touch(conn, model.id)
            self._record(
                conn,
                model.id,
                name,
                A.TRANSITION_STAGE,
                user,
                version=version,
                from_value=row.current_stage,
                to_value=stage,
                comment=comment,
            )
            return self._version_entity(conn, row.id)

        return self.db.write(work)

    def set_registered_model_alias(
        self, name: str, alias: str, version: int, user: str = "", comment: str | None = None
    ) -> None:
        """Point ``alias`` at ``version``, moving it if it pointed elsewhere."""

        def work(conn: Connection) -> None:
            model = self._model(conn, name, lock=True)
            row = self._version(conn, model, version)
            old = self._alias_version(conn, model.id, alias)
            if old is None:
                conn.execute(ra.insert().values(model_id=model.id, alias=alias, version_id=row.id))
            else:
                conn.execute(
                    ra.update()
                    .where(ra.c.model_id == model.id, ra.c.alias == alias)
                    .values(version_id=row.id)
                )
            self._touch(conn, model.id)
            self._record(
                conn,
                model.id,
                name,
                A.SET_ALIAS,
                user,
                version=version,
                key=alias,
                from_value=None if old is None else str(old.version),
                to_value=str(version),
                comment=comment,
            )

        self.db.write(work)

    def delete_registered_model_alias(
        self, name: str, alias: str, user: str = "", comment: str | None = None
    ) -> None:
        def work(conn: Connection) -> None:
            model = self._model(conn, name, lock=True)
            old = self._alias_version(conn, model.id, alias)
            if old is None:
                raise NotFound(f"registered model {name!r} has no alias {alias!r}")
            conn.execute(ra.delete().where(ra.c.model_id == model.id, ra.c.alias == alias))
            self._touch(conn, model.id)
            self._record(
                conn,
                model.id,
                name,
                A.DELETE_ALIAS,
                user,
                version=old.version,
                key=alias,
                from_value=str(old.version),
                comment=comment,
            )

        self.db.write(work)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        with self.db.connect() as conn:
            target = self._alias_version(conn, self._model(conn, name).id, alias)
            if target is None:
                raise NotFound(f"registered model {name!r} has no alias {alias!r}")
            return self._version_entity(conn, target.id)

    # -- history --------------------------------------------------------------------------

    def get_registry_history(self, name: str, version: int | None = None) -> list[RegistryEvent]:
        """The changes to a model (or one of its versions), newest first."""
        with self.db.connect() as conn:
            condition = rh.c.model_id == self._model(conn, name).id
            if version is not None:
                condition &= rh.c.version == version
            rows = conn.execute(sa.select(rh).where(condition).order_by(rh.c.id.desc())).all()
        return [entities.registry_event(row) for row in rows]

    # -- helpers --------------------------------------------------------------------------

    def _insert_model(
        self, conn: Connection, name: str, description: str | None, user: str
    ) -> bool:
        """Insert the model unless it exists; True if this call created it. ON CONFLICT DO
        NOTHING waits for a concurrent creator on PostgreSQL instead of failing."""
        now = now_ms()
        statement = (
            self.db.upsert(conn, rm)
            .values(
                name=name,
                description=description,
                creation_time=now,
                last_updated_time=now,
                last_version=0,
            )
            .on_conflict_do_nothing(index_elements=[rm.c.name])
            .returning(rm.c.id)
        )
        # RETURNING tells whether a row went in (rowcount is -1 with it on PostgreSQL).
        model_id = conn.execute(statement).scalar()
        if model_id is None:
            return False
        self._record(conn, model_id, name, A.CREATE_MODEL, user)
        return True

    @staticmethod
    def _model(conn: Connection, name: str, lock: bool = False):
        query = sa.select(rm).where(rm.c.name == name)
        if lock:  # PostgreSQL: writers of one model take turns (SQLite ignores FOR UPDATE)
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"no registered model named {name!r}")
        return row

    @staticmethod
    def _version(conn: Connection, model, version: int):
        row = conn.execute(
            sa.select(mv).where(mv.c.model_id == model.id, mv.c.version == version)
        ).first()
        if row is None:
            raise NotFound(f"registered model {model.name!r} has no version {version}")
        return row

    @staticmethod
    def _logged_model_run(conn: Connection, model_id: str) -> str | None:
        """The run that logged the live logged model ``model_id`` (None if none did)."""
        lm = schema.logged_models
        row = conn.execute(
            sa.select(lm.c.source_run_id).where(
                lm.c.model_id == model_id, lm.c.lifecycle_stage == LifecycleStage.ACTIVE
            )
        ).first()
        if row is None:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return row.source_run_id

    @staticmethod
    def _version_entity(conn: Connection, version_id: int) -> ModelVersion:
        return entities.model_versions(conn, entities.versions_query(mv.c.id == version_id))[0]

    @staticmethod
    def _alias_version(conn: Connection, model_id: int, alias: str):
        """The (id, version) an alias points at, or None."""
        return conn.execute(
            sa.select(mv.c.id, mv.c.version)
            .join(ra, ra.c.version_id == mv.c.id)
            .where(ra.c.model_id == model_id, ra.c.alias == alias)
        ).first()

    @staticmethod
    def _touch(conn: Connection, model_id: int) -> None:
        conn.execute(rm.update().where(rm.c.id == model_id).values(last_updated_time=now_ms()))

    @staticmethod
    def _update_version(conn: Connection, version_id: int, **values) -> None:
        conn.execute(
            mv.update().where(mv.c.id == version_id).values(last_updated_time=now_ms(), **values)
        )

    def _set_tags(
        self, conn: Connection, table: sa.Table, owner: str, owner_id: int, tags: Mapping[str, str]
    ) -> dict[str, str]:
        """Upsert tags of one model or version; returns the previous values of those keys."""
        if not tags:
            return {}
        old = dict(
            conn.execute(
                sa.select(table.c.key, table.c.value).where(
                    table.c[owner] == owner_id, table.c.key.in_(list(tags))
                )
            ).all()
        )
        statement = self.db.upsert(conn, table)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c[owner], table.c.key],
                set_={"value": statement.excluded.value},
            ),
            [{owner: owner_id, "key": key, "value": value} for key, value in tags.items()],
        )
        return old

    @staticmethod
    def _delete_tag(conn: Connection, table: sa.Table, owned, key: str, what: str) -> str:
        """Delete one tag; returns its value. NotFound if there is none."""
        old = conn.execute(sa.select(table.c.value).where(owned, table.c.key == key)).scalar()
        if old is None:
            raise NotFound(f"{what} has no tag {key!r}")
        conn.execute(table.delete().where(owned, table.c.key == key))
        return old

    @staticmethod
    def _record(
        conn: Connection,
        model_id: int,
        name: str,
        action: str,
        user: str,
        *,
        version: int | None = None,
        key: str | None = None,
        from_value: str | None = None,
        to_value: str | None = None,
        comment: str | None = None,
    ) -> None:
        conn.execute(
            rh.insert().values(
                model_id=model_id,
                model_name=name,
                version=version,
                action=action,
                key=key,
                from_value=from_value,
                to_value=to_value,
                user_id=user,
                timestamp=now_ms(),
                comment=comment,
            )
        )
