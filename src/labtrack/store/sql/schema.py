"""The current schema, as SQLAlchemy Core tables. Migrations (``migrations.py``) build it.

Integer surrogate keys keep the big ``metrics`` table small: a metric point is
(run pk, key pk, step, timestamp, value). NaN is stored as NULL in ``value`` with
``is_nan`` set, because SQLite turns NaN into NULL silently; +-inf are stored as is.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_VERSION = 2

metadata = MetaData()

schema_info = Table(
    "labtrack_schema",
    metadata,
    Column("version", Integer, nullable=False),
)

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(500), nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False, server_default="active"),
    Column("creation_time", BigInteger),
    Column("last_update_time", BigInteger),
    CheckConstraint("lifecycle_stage IN ('active', 'deleted')", name="experiments_lifecycle"),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_uuid", String(32), nullable=False, unique=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(250), nullable=False),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger),
    Column("lifecycle_stage", String(32), nullable=False, server_default="active"),
    Column("artifact_uri", Text, nullable=False),
    Column("user_id", String(256), nullable=False, server_default=""),
    # Liveness: the writing process heartbeats; a RUNNING run whose process is gone reads KILLED.
    Column("heartbeat_time", BigInteger),
    Column("host", String(256)),
    Column("pid", Integer),
    CheckConstraint(
        "status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')", name="runs_status"
    ),
    CheckConstraint("lifecycle_stage IN ('active', 'deleted')", name="runs_lifecycle"),
    Index("runs_experiment_start", "experiment_id", "start_time"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

metric_keys = Table(
    "metric_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(250), nullable=False),
    UniqueConstraint("key", name="metric_keys_key"),
)

metrics = Table(
    "metrics",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key_id", Integer, ForeignKey("metric_keys.id"), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float),
    Column("is_nan", Boolean, nullable=False, server_default="0"),
    Index("metrics_run_key_step", "run_id", "key_id", "step"),
)

# The last point of each (run, key): highest step, then latest timestamp. Run tables and
# metric filters read this instead of scanning the history.
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key_id", Integer, ForeignKey("metric_keys.id"), primary_key=True),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float),
    Column("is_nan", Boolean, nullable=False, server_default="0"),
    Index("latest_metrics_key_value", "key_id", "value"),
)
