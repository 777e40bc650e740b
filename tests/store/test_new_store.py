"""A new SQLite store's fast path: its tables come from DDL compiled ahead of time
(``new_store_ddl.py``), not compiled in the first cell that opens it, and it is created with
its default experiment in one write transaction."""

from __future__ import annotations

import sqlalchemy as sa

from labtrack.store.sql import migrations, new_store_ddl, schema
from labtrack.store.sql.store import SqlStore


def _layout(path) -> dict:
    """Every table's columns, indexes and constraints, as SQLite reports them."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        names = [
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        layout = {
            name: {
                "columns": conn.exec_driver_sql(f"PRAGMA table_info('{name}')").all(),
                "indexes": sorted(  # without their position: create_all's order is a set's
                    row[1:] for row in conn.exec_driver_sql(f"PRAGMA index_list('{name}')")
                ),
                "foreign_keys": conn.exec_driver_sql(f"PRAGMA foreign_key_list('{name}')").all(),
                "sql": new_store_ddl._tidy(  # the file holds it without trailing spaces
                    conn.exec_driver_sql(
                        "SELECT sql FROM sqlite_master WHERE name = ?", (name,)
                    ).scalar()
                ),
            }
            for name in names
        }
    engine.dispose()
    return layout


def test_the_compiled_ddl_is_what_the_tables_in_schema_py_compile_to():
    # Fails after a change to schema.py until `python -m labtrack.store.sql.new_store_ddl`
    # writes new_store_ddl.py again.
    assert new_store_ddl.SCHEMA_VERSION == schema.SCHEMA_VERSION
    compiled = [new_store_ddl._tidy(s) for s in migrations.compile_new_store_ddl("sqlite")]
    assert new_store_ddl.statements() == compiled


def test_a_new_store_compiles_no_ddl_and_has_the_tables_create_all_makes(tmp_path, monkeypatch):
    reference = tmp_path / "reference.db"
    engine = sa.create_engine(f"sqlite:///{reference}")
    schema.metadata.create_all(engine)
    engine.dispose()

    def no_compiling(*args, **kwargs):
        raise AssertionError("a new SQLite store compiled its DDL")

    monkeypatch.setattr(schema.metadata, "create_all", no_compiling)
    store = SqlStore(f"sqlite:///{tmp_path / 'new.db'}")
    assert store.schema_version == schema.SCHEMA_VERSION
    assert store.experiments.get_experiment("0").name == "Default"
    store.close()
    assert _layout(tmp_path / "new.db") == _layout(reference)


def test_a_new_store_is_created_with_its_default_experiment_in_one_transaction(tmp_path):
    database = tmp_path / "new.db"
    begun = []

    def count(conn) -> None:
        if conn.engine.url.database == str(database):  # not other tests' engines, still alive
            begun.append(conn)

    sa.event.listen(sa.engine.Engine, "begin", count)
    try:
        store = SqlStore(f"sqlite:///{database}")
    finally:
        sa.event.remove(sa.engine.Engine, "begin", count)
    assert len(begun) == 1
    store.close()
    reopened = SqlStore(f"sqlite:///{tmp_path / 'new.db'}")  # an existing store: no change
    assert [e.name for e in reopened.experiments.search_experiments()] == ["Default"]
    reopened.close()
