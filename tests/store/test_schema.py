"""The schema is versioned: new stores match the snapshot, old stores upgrade without loss,
and stores this labtrack cannot read are refused clearly."""

from __future__ import annotations

import math
import re
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from labtrack.errors import SchemaError
from labtrack.store.sql import connection, migrations, schema
from labtrack.store.sql.store import SqlStore

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


def _ddl(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC, name"
        )
        return [re.sub(r"\s+", " ", sql).strip() for (sql,) in rows]


def _snapshot() -> list[str]:
    text = "\n".join(
        line
        for line in (RESOURCES / "schema.sql").read_text().splitlines()
        if not line.startswith("--")
    )
    return [
        re.sub(r"\s+", " ", statement).strip() for statement in text.split(";") if statement.strip()
    ]


def _shape(engine: sa.Engine) -> dict:
    """Everything about the tables that matters, independent of how the DDL text reads."""
    inspector = sa.inspect(engine)
    return {
        table: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
            "fks": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
            "checks": sorted(c["name"] or "" for c in inspector.get_check_constraints(table)),
        }
        for table in sorted(inspector.get_table_names())
    }


def _old_store(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((RESOURCES / "store_v1.sql").read_text())
    return path


def _version_2_store(tmp_path: Path) -> Path:
    """A store as labtrack with schema version 2 left it: version 1 plus migration 2."""
    path = _old_store(tmp_path)
    engine = connection.create_engine(f"sqlite:///{path}")

    def work(conn):
        migrations.MIGRATIONS[2](conn)
        conn.execute(schema.schema_info.update().values(version=2))

    connection.run_write(engine, work)
    engine.dispose()
    return path


def test_a_new_store_matches_the_schema_snapshot(tmp_path):
    SqlStore(f"sqlite:///{tmp_path / 'new.db'}").close()
    assert _ddl(tmp_path / "new.db") == _snapshot()


def test_upgrading_a_version_1_store_gives_the_current_schema(tmp_path):
    old = SqlStore(f"sqlite:///{_old_store(tmp_path)}")
    new = SqlStore(f"sqlite:///{tmp_path / 'new.db'}")
    assert old.schema_version == new.schema_version == schema.SCHEMA_VERSION
    assert _shape(old.engine) == _shape(new.engine)


def test_upgrading_keeps_every_run_param_tag_and_metric(tmp_path):
    store = SqlStore(f"sqlite:///{_old_store(tmp_path)}")
    first, second = store.runs.get_runs(["a" * 32, "b" * 32])
    assert (first.info.run_name, first.info.status, first.data.params) == (
        "first",
        "FINISHED",
        {"lr": "0.1"},
    )
    assert (second.info.status, second.data.params) == ("FAILED", {"lr": "0.01"})
    # latest_metrics is back-filled: the highest step wins, not the last row written
    assert first.data.metrics == {"loss": 0.25, "acc": 0.9}
    assert math.isnan(second.data.metrics["loss"])
    assert [m.value for m in store.metrics.get_metric_history("a" * 32, "loss")] == [1.0, 0.5, 0.25]
    assert store.experiments.get_experiment("1").tags == {"owner": "ada"}
    runs, _ = store.search.search_runs(["1"], "metrics.acc > 0.5")
    assert [run.info.run_id for run in runs] == ["a" * 32]


def test_upgrading_a_version_2_store_adds_the_registry_and_keeps_the_runs(tmp_path):
    path = _version_2_store(tmp_path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM labtrack_schema").fetchone() == (2,)
        assert "registered_models" not in {
            name for (name,) in conn.execute("SELECT name FROM sqlite_master")
        }
    store = SqlStore(f"sqlite:///{path}")
    assert store.schema_version == schema.SCHEMA_VERSION
    assert _shape(store.engine) == _shape(SqlStore(f"sqlite:///{tmp_path / 'new.db'}").engine)
    run = store.runs.get_run("a" * 32)
    assert (run.data.params, run.data.metrics) == ({"lr": "0.1"}, {"loss": 0.25, "acc": 0.9})
    version = store.registry.create_model_version(
        "old-run", f"runs:/{'a' * 32}/model", "a" * 32, create_model=True
    )
    assert (version.version, version.run_id) == (1, "a" * 32)


def test_a_store_from_a_newer_labtrack_is_refused(tmp_path):
    path = tmp_path / "future.db"
    SqlStore(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE labtrack_schema SET version = 99")
    with pytest.raises(SchemaError, match="newer"):
        SqlStore(f"sqlite:///{path}")


def test_a_database_that_is_not_a_labtrack_store_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(SchemaError, match="not a labtrack store"):
        SqlStore(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        assert [name for (name,) in conn.execute("SELECT name FROM sqlite_master")] == ["customers"]


def test_sqlite_connections_use_wal_and_a_busy_timeout(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path / 'x.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 30_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
