"""Searching the registry: MLflow's registry filters compiled to SQL, ordered and paged.

Filters are parsed by the one filter parser (``labtrack.store.filter``, with
``REGISTERED_MODELS`` or ``MODEL_VERSIONS``) and compiled by ``filter_sql``. A tag comparison
matches only models (versions) that have the tag, as with runs. Results without an order_by
are by name, then newest version first (MLflow's tie-break).
"""

from __future__ import annotations

import sqlalchemy as sa

from labtrack.entities import ModelVersion, RegisteredModel
from labtrack.store.filter import (
    MODEL_VERSIONS,
    REGISTERED_MODELS,
    TAG,
    OrderBy,
    Searchable,
    parse_filter,
    parse_order_by,
)
from labtrack.store.sql import registry_entities as entities
from labtrack.store.sql.base import Database
from labtrack.store.sql.filter_sql import SearchTarget, search_condition
from labtrack.store.sql.paging import decode_page_token, page_query, split_page
from labtrack.store.sql.registry_entities import mv, mvt, rm, rmt

_MODEL_COLUMNS = {
    "name": rm.c.name,
    "creation_timestamp": rm.c.creation_time,
    "last_updated_timestamp": rm.c.last_updated_time,
}
_VERSION_COLUMNS = {
    "name": rm.c.name,
    "run_id": mv.c.run_id,
    "source_path": mv.c.source,
    "version_number": mv.c.version,
    "creation_timestamp": mv.c.creation_time,
    "last_updated_timestamp": mv.c.last_updated_time,
}
_MODELS = SearchTarget(rm, _MODEL_COLUMNS, {TAG: (rmt, rmt.c.model_id, rm.c.id)})
_VERSIONS = SearchTarget(mv, _VERSION_COLUMNS, {TAG: (mvt, mvt.c.version_id, mv.c.id)})


def search_registered_models(
    db: Database,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
    page_token: str | None,
) -> tuple[list[RegisteredModel], str | None]:
    """``Registry.search_registered_models``: a page of models and the next page's token."""
    condition = _condition(db, filter_string, REGISTERED_MODELS, _MODELS)
    orders = _order_clauses(order_by, REGISTERED_MODELS, _MODEL_COLUMNS)
    query = sa.select(rm).where(condition).order_by(*orders, rm.c.name)
    offset = decode_page_token(page_token)
    with db.connect() as conn:
        rows = conn.execute(page_query(query, max_results, offset)).all()
        rows, token = split_page(rows, max_results, offset)
        return entities.registered_models(conn, rows), token


def search_model_versions(
    db: Database,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
    page_token: str | None,
) -> tuple[list[ModelVersion], str | None]:
    """``Registry.search_model_versions``: a page of versions and the next page's token."""
    condition = _condition(db, filter_string, MODEL_VERSIONS, _VERSIONS)
    orders = _order_clauses(order_by, MODEL_VERSIONS, _VERSION_COLUMNS)
    query = entities.versions_query(condition).order_by(*orders, rm.c.name, mv.c.version.desc())
    offset = decode_page_token(page_token)
    with db.connect() as conn:
        versions = entities.model_versions(conn, page_query(query, max_results, offset))
    return split_page(versions, max_results, offset)


def _condition(
    db: Database, filter_string: str | None, searchable: Searchable, target: SearchTarget
):
    node = parse_filter(filter_string, searchable)
    if node is None:
        return sa.true()
    return search_condition(node, target, dialect_name=db.dialect)


def _order_clauses(clauses: list[str] | None, searchable: Searchable, columns: dict) -> list:
    """``["name ASC", "version_number DESC"]`` as ORDER BY expressions; ``timestamp`` means
    ``creation_timestamp``, as in MLflow."""
    orders: list[OrderBy] = [parse_order_by(clause, searchable) for clause in clauses or []]
    return [columns[o.key].asc() if o.ascending else columns[o.key].desc() for o in orders]
