"""Registry rows into entities: a few set-based queries per call, never one per version."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labtrack.entities import ModelVersion, ModelVersionStage, RegisteredModel, RegistryEvent
from labtrack.store.sql import schema

rm, rmt = schema.registered_models, schema.registered_model_tags
mv, mvt = schema.model_versions, schema.model_version_tags
ra, rh = schema.registered_model_aliases, schema.registry_history


def versions_query(condition) -> sa.Select:
    """Versions (with their model's name as ``model_name``) matching ``condition``."""
    return (
        sa.select(mv, rm.c.name.label("model_name"))
        .join(rm, rm.c.id == mv.c.model_id)
        .where(condition)
    )


def _tags(conn: Connection, owner: sa.Column, ids: list[int]) -> dict[int, dict[str, str]]:
    """The tags of each of ``ids`` (those that have any), from the tag table whose foreign key
    column is ``owner``."""
    if not ids:
        return {}
    table = owner.table
    tags: dict[int, dict[str, str]] = {}
    query = sa.select(owner, table.c.key, table.c.value).where(owner.in_(ids))
    for owner_id, key, value in conn.execute(query):
        tags.setdefault(owner_id, {})[key] = value
    return tags


def model_versions(conn: Connection, query: sa.Select) -> list[ModelVersion]:
    """The versions a ``versions_query`` selects, in its order, with tags and aliases."""
    rows = conn.execute(query).all()
    ids = [row.id for row in rows]
    tags = _tags(conn, mvt.c.version_id, ids)
    aliases: dict[int, list[str]] = {}
    if ids:
        for alias in conn.execute(
            sa.select(ra).where(ra.c.version_id.in_(ids)).order_by(ra.c.alias)
        ):
            aliases.setdefault(alias.version_id, []).append(alias.alias)
    return [
        ModelVersion(
            name=row.model_name,
            version=row.version,
            creation_timestamp=row.creation_time,
            last_updated_timestamp=row.last_updated_time,
            description=row.description,
            user_id=row.user_id,
            current_stage=row.current_stage,
            source=row.source,
            run_id=row.run_id,
            status=row.status,
            tags=tags.get(row.id, {}),
            aliases=aliases.get(row.id, []),
            run_link=row.run_link,
            model_id=row.logged_model_id,
        )
        for row in rows
    ]


def latest_versions(
    conn: Connection, model_ids: Iterable[int], stages: Sequence[str] = ModelVersionStage.ALL
) -> dict[int, list[ModelVersion]]:
    """Per model, the highest-numbered version in each of ``stages`` that has one, in the
    order of ``stages``."""
    model_ids = list(model_ids)
    if not model_ids:
        return {}
    newest = (
        sa.select(mv.c.model_id, sa.func.max(mv.c.version))
        .where(mv.c.model_id.in_(model_ids), mv.c.current_stage.in_(list(stages)))
        .group_by(mv.c.model_id, mv.c.current_stage)
    )
    found = model_versions(conn, versions_query(sa.tuple_(mv.c.model_id, mv.c.version).in_(newest)))
    by_model: dict[int, list[ModelVersion]] = {model_id: [] for model_id in model_ids}
    ids_by_name = dict(
        conn.execute(sa.select(rm.c.name, rm.c.id).where(rm.c.id.in_(model_ids))).all()
    )
    for version in sorted(found, key=lambda v: stages.index(v.current_stage)):
        by_model[ids_by_name[version.name]].append(version)
    return by_model


def registered_models(conn: Connection, rows: Sequence) -> list[RegisteredModel]:
    """Entities for rows of ``registered_models``, in their order."""
    ids = [row.id for row in rows]
    tags = _tags(conn, rmt.c.model_id, ids)
    aliases: dict[int, dict[str, int]] = {}
    if ids:
        alias_rows = conn.execute(
            sa.select(ra.c.model_id, ra.c.alias, mv.c.version)
            .join(mv, mv.c.id == ra.c.version_id)
            .where(ra.c.model_id.in_(ids))
            .order_by(ra.c.alias)
        )
        for alias in alias_rows:
            aliases.setdefault(alias.model_id, {})[alias.alias] = alias.version
    latest = latest_versions(conn, ids)
    return [
        RegisteredModel(
            name=row.name,
            creation_timestamp=row.creation_time,
            last_updated_timestamp=row.last_updated_time,
            description=row.description,
            latest_versions=latest.get(row.id, []),
            tags=tags.get(row.id, {}),
            aliases=aliases.get(row.id, {}),
        )
        for row in rows
    ]


def registry_event(row) -> RegistryEvent:
    return RegistryEvent(
        action=row.action,
        name=row.model_name,
        version=row.version,
        key=row.key,
        from_value=row.from_value,
        to_value=row.to_value,
        user_id=row.user_id,
        timestamp=row.timestamp,
        comment=row.comment,
    )
