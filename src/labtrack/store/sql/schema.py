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

SCHEMA_VERSION = 6

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
    # When that process started (milliseconds since the epoch, v4): with the pid it names one
    # process, so a reused pid does not keep a dead run RUNNING.
    Column("pid_start", BigInteger),
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

# Other processes that log to a run (v4): each keeps the run alive while it lives, so a
# run created by one process and written by another is not reaped under the writer.
run_processes = Table(
    "run_processes",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("host", String(256), primary_key=True),
    Column("pid", Integer, primary_key=True),
    Column("pid_start", BigInteger, primary_key=True),
    Column("heartbeat_time", BigInteger, nullable=False),
)

# Batches that may reach the store twice (v4): a batch id is recorded in the same
# transaction as the rows it carries, so a spooled batch replayed twice (a crash between the
# commit here and the spool's own bookkeeping, two processes replaying at once, or a commit
# whose answer was lost before the batch was spooled) is written once. Ids of batches known
# to be committed are dropped again by the writer.
spool_batches = Table(
    "spool_batches",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("recorded_time", BigInteger, nullable=False),
)


# -- the model registry (v3) -------------------------------------------------------------

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    # The highest version number ever given: numbers of deleted versions are never reused
    # (as in MLflow), so "version 3" in the history always means one version.
    Column("last_version", Integer, nullable=False, server_default="0"),
    # Ids are never reused (SQLite would otherwise reuse a deleted model's id): the history
    # keys on them, and a new model must not inherit a deleted one's history.
    sqlite_autoincrement=True,
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "model_id", Integer, ForeignKey("registered_models.id", ondelete="CASCADE"), nullable=False
    ),
    Column("version", Integer, nullable=False),
    Column("source", Text, nullable=False),
    # The run's uuid; no foreign key, as in MLflow: a version may come from elsewhere.
    Column("run_id", String(32)),
    Column("run_link", Text),
    Column("description", Text),
    Column("current_stage", String(20), nullable=False, server_default="None"),
    Column("status", String(20), nullable=False, server_default="READY"),
    Column("user_id", String(256), nullable=False, server_default=""),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    # The logged model registered (v5): its ``m-...`` id, MLflow's ``ModelVersion.model_id``.
    Column("logged_model_id", String(64)),
    UniqueConstraint("model_id", "version", name="model_versions_number"),
    CheckConstraint(
        "current_stage IN ('None', 'Staging', 'Production', 'Archived')",
        name="model_versions_stage",
    ),
    Index("model_versions_run", "run_id"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column(
        "version_id", Integer, ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("alias", String(256), primary_key=True),
    Column(
        "version_id", Integer, ForeignKey("model_versions.id", ondelete="CASCADE"), nullable=False
    ),
)

# Every registry change. No foreign key on purpose: the history outlives what it describes
# (a deleted version or model); ``model_name`` is the name the model had at the time.
registry_history = Table(
    "registry_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, nullable=False),
    Column("model_name", String(256), nullable=False),
    Column("version", Integer),
    Column("action", String(40), nullable=False),
    Column("key", String(256)),  # the alias or tag the change is about
    Column("from_value", Text),
    Column("to_value", Text),
    Column("user_id", String(256), nullable=False, server_default=""),
    Column("timestamp", BigInteger, nullable=False),
    Column("comment", Text),
    Index("registry_history_model", "model_id", "version"),
)

# -- logged models and datasets (v5) --------------------------------------------------------

logged_models = Table(
    "logged_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(64), nullable=False, unique=True),  # MLflow's m-<32 hex>
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(500), nullable=False),
    # The run's uuid; no foreign key, as in MLflow: a model may be logged outside a run.
    Column("source_run_id", String(32)),
    # The run's step when it logged the model (MLflow's LoggedModelOutput.step).
    Column("step", BigInteger),
    Column("status", String(20), nullable=False),
    Column("status_message", Text),
    Column("model_type", String(500)),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False, server_default="active"),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    CheckConstraint(
        "status IN ('UNSPECIFIED', 'PENDING', 'READY', 'FAILED')", name="logged_models_status"
    ),
    CheckConstraint("lifecycle_stage IN ('active', 'deleted')", name="logged_models_lifecycle"),
    Index("logged_models_experiment", "experiment_id", "creation_time"),
    Index("logged_models_run", "source_run_id"),
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column(
        "model_pk", Integer, ForeignKey("logged_models.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column(
        "model_pk", Integer, ForeignKey("logged_models.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

# Metric points linked to a logged model (MLflow's ``log_metric(..., model_id=)``): the run
# that logged each and the dataset it was computed on. The run's own history keeps the point
# too (in ``metrics``).
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column("model_pk", Integer, ForeignKey("logged_models.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float),
    Column("is_nan", Boolean, nullable=False, server_default="0"),
    Column("run_id", String(32)),
    Column("dataset_name", String(500)),
    Column("dataset_digest", String(36)),
    Index("logged_model_metrics_key", "model_pk", "key", "step"),
)

# A dataset is its (name, digest) in an experiment, as in MLflow; runs that use it link to it.
datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(500), nullable=False),
    Column("digest", String(36), nullable=False),
    Column("source_type", String(36), nullable=False),
    Column("source", Text, nullable=False),
    Column("schema", Text),
    Column("profile", Text),
    UniqueConstraint("experiment_id", "name", "digest", name="datasets_identity"),
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_pk", Integer, ForeignKey("datasets.id"), primary_key=True),
    Column("logged_time", BigInteger, nullable=False),
)

run_input_tags = Table(
    "run_input_tags",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_pk", Integer, ForeignKey("datasets.id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- alerts (v6) ----------------------------------------------------------------------------

# Alerts on a run (lt.alert, lt.alert_when). The id only grows (never reused, even on SQLite):
# the sidebar's cursor is the last id it showed. An alert a condition fired names its point.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "run_uuid",
        String(32),
        ForeignKey("runs.run_uuid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("title", String(250), nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("level", String(8), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("metric_key", String(250)),
    Column("metric_value", Float),
    Column("step", BigInteger),
    CheckConstraint("level IN ('INFO', 'WARN', 'ERROR')", name="alerts_level"),
    Index("alerts_run", "run_uuid", "id"),
    sqlite_autoincrement=True,
)

LOGGED_MODEL_TABLES = (
    logged_models,
    logged_model_params,
    logged_model_tags,
    logged_model_metrics,
    datasets,
    run_inputs,
    run_input_tags,
)

REGISTRY_TABLES = (
    registered_models,
    registered_model_tags,
    model_versions,
    model_version_tags,
    registered_model_aliases,
    registry_history,
)
