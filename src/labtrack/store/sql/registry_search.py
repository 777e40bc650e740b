"""Searching the registry: MLflow's registry filters compiled to SQL, ordered and paged.

A tag comparison matches only models (versions) that have the tag, as with runs. Results
without an order_by are by name, then newest version first (MLflow's tie-break).
"""

from __future__ import annotations

import sqlalchemy as sa

from labtrack.entities import ModelVersion, RegisteredModel
from labtrack.store.filter import TAG, Comparison, OrderBy
from labtrack.store.registry_filter import (
    MODEL_KEYS,
    MODEL_ORDER_KEYS,
    VERSION_KEYS,
    VERSION_ORDER_KEYS,
    parse_registry_filter,
    parse_registry_order_by,
)
from labtrack.store.sql import registry_entities as entities
from labtrack.store.sql.base import SqlStoreBase
from labtrack.store.sql.filter_sql import compare
from labtrack.store.sql.registry_entities import mv, mvt, rm, rmt
from labtrack.store.sql.search import decode_page_token, encode_page_token

_MODEL_COLUMNS = {
    "name": rm.c.name, "creation_timestamp": rm.c.creation_time,
    "last_updated_timestamp": rm.c.last_updated_time,
}
_VERSION_COLUMNS = {
    "name": rm.c.name, "run_id": mv.c.run_id, "source_path": mv.c.source, "version_number": mv.c.version,
    "creation_timestamp": mv.c.creation_time, "last_updated_timestamp": mv.c.last_updated_time,
}


class RegistrySearchStore(SqlStoreBase):
    def search_registered_models(
        self, filter_string: str | None = None, max_results: int | None = None,
        order_by: list[str] | None = None, page_token: str | None = None,
    ) -> tuple[list[RegisteredModel], str | None]:
        """Models matching e.g. ``name LIKE 'iris%' AND tags.team = 'vision'``; returns a page
        and the token of the next one (None on the last page)."""
        condition = self._registry_condition(
            parse_registry_filter(filter_string, MODEL_KEYS), _MODEL_COLUMNS, rmt, rmt.c.model_id == rm.c.id,
        )
        orders = _order_clauses(parse_registry_order_by(order_by, MODEL_ORDER_KEYS), _MODEL_COLUMNS)
        query = sa.select(rm).where(condition).order_by(*orders, rm.c.name)
        limit, offset = _window(max_results, page_token)
        with self.engine.connect() as conn:
            rows, token = _trim(conn.execute(query.limit(limit).offset(offset)).all(), max_results, offset)
            return entities.registered_models(conn, rows), token

    def search_model_versions(
        self, filter_string: str | None = None, max_results: int | None = None,
        order_by: list[str] | None = None, page_token: str | None = None,
    ) -> tuple[list[ModelVersion], str | None]:
        """Versions matching e.g. ``name = 'iris' AND run_id = '...'``; a page and the next token."""
        condition = self._registry_condition(
            parse_registry_filter(filter_string, VERSION_KEYS), _VERSION_COLUMNS, mvt, mvt.c.version_id == mv.c.id,
        )
        orders = _order_clauses(parse_registry_order_by(order_by, VERSION_ORDER_KEYS), _VERSION_COLUMNS)
        query = entities.versions_query(condition).order_by(*orders, rm.c.name, mv.c.version.desc())
        limit, offset = _window(max_results, page_token)
        with self.engine.connect() as conn:
            versions = entities.model_versions(conn, query.limit(limit).offset(offset))
        return _trim(versions, max_results, offset)

    def _registry_condition(self, comparisons: list[Comparison], columns: dict, tag_table: sa.Table, owned):
        condition = sa.true()
        for c in comparisons:
            if c.entity == TAG:
                value_matches = compare(tag_table.c.value, c.op, c.value, self.engine.dialect.name)
                condition &= sa.exists().where(owned, tag_table.c.key == c.key, value_matches)
            else:
                condition &= compare(columns[c.key], c.op, c.value, self.engine.dialect.name)
        return condition


def _order_clauses(orders: list[OrderBy], columns: dict) -> list:
    return [columns[o.key].asc() if o.ascending else columns[o.key].desc() for o in orders]


def _window(max_results: int | None, page_token: str | None) -> tuple[int | None, int | None]:
    """LIMIT and OFFSET for a page: one row more than asked tells whether a next page exists."""
    offset = decode_page_token(page_token)
    return (None if max_results is None else max_results + 1), (offset or None)


def _trim(items: list, max_results: int | None, offset: int | None) -> tuple[list, str | None]:
    """The page, and the token of the next page (None on the last)."""
    if max_results is None or len(items) <= max_results:
        return items, None
    return items[:max_results], encode_page_token((offset or 0) + max_results)
