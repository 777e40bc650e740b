# ruff: noqa: E501  (generated: SQL lines as SQLAlchemy compiles them)
"""The SQL that creates a new store on SQLite, compiled ahead of time from ``schema.py``.

Generated: ``python -m labtrack.store.sql.new_store_ddl`` writes this file again from the
tables in ``schema.py`` (do so after changing them; ``tests/store/test_new_store.py`` fails
until then). ``migrations.create_new_store`` runs these statements instead of compiling the
DDL in the first cell that opens a new store.
"""

from __future__ import annotations

SCHEMA_VERSION = 6

# The statements, in create_all's order, separated by blank lines.
SQLITE_SCRIPT = """
CREATE TABLE labtrack_schema (
	version INTEGER NOT NULL
);

CREATE TABLE experiments (
	experiment_id INTEGER NOT NULL,
	name VARCHAR(500) NOT NULL,
	artifact_location TEXT NOT NULL,
	lifecycle_stage VARCHAR(32) DEFAULT 'active' NOT NULL,
	creation_time BIGINT,
	last_update_time BIGINT,
	PRIMARY KEY (experiment_id),
	CONSTRAINT experiments_lifecycle CHECK (lifecycle_stage IN ('active', 'deleted')),
	UNIQUE (name)
);

CREATE TABLE metric_keys (
	id INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT metric_keys_key UNIQUE ("key")
);

CREATE TABLE spool_batches (
	batch_id VARCHAR(64) NOT NULL,
	recorded_time BIGINT NOT NULL,
	PRIMARY KEY (batch_id)
);

CREATE TABLE registered_models (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	name VARCHAR(256) NOT NULL,
	description TEXT,
	creation_time BIGINT NOT NULL,
	last_updated_time BIGINT NOT NULL,
	last_version INTEGER DEFAULT '0' NOT NULL,
	UNIQUE (name)
);

CREATE TABLE registry_history (
	id INTEGER NOT NULL,
	model_id INTEGER NOT NULL,
	model_name VARCHAR(256) NOT NULL,
	version INTEGER,
	action VARCHAR(40) NOT NULL,
	"key" VARCHAR(256),
	from_value TEXT,
	to_value TEXT,
	user_id VARCHAR(256) DEFAULT '' NOT NULL,
	timestamp BIGINT NOT NULL,
	comment TEXT,
	PRIMARY KEY (id)
);

CREATE INDEX registry_history_model ON registry_history (model_id, version);

CREATE TABLE experiment_tags (
	experiment_id INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (experiment_id, "key"),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);

CREATE TABLE runs (
	id INTEGER NOT NULL,
	run_uuid VARCHAR(32) NOT NULL,
	experiment_id INTEGER NOT NULL,
	name VARCHAR(250) NOT NULL,
	status VARCHAR(20) NOT NULL,
	start_time BIGINT NOT NULL,
	end_time BIGINT,
	lifecycle_stage VARCHAR(32) DEFAULT 'active' NOT NULL,
	artifact_uri TEXT NOT NULL,
	user_id VARCHAR(256) DEFAULT '' NOT NULL,
	heartbeat_time BIGINT,
	host VARCHAR(256),
	pid INTEGER,
	pid_start BIGINT,
	PRIMARY KEY (id),
	CONSTRAINT runs_status CHECK (status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')),
	CONSTRAINT runs_lifecycle CHECK (lifecycle_stage IN ('active', 'deleted')),
	UNIQUE (run_uuid),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);

CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time);

CREATE TABLE registered_model_tags (
	model_id INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (model_id, "key"),
	FOREIGN KEY(model_id) REFERENCES registered_models (id) ON DELETE CASCADE
);

CREATE TABLE model_versions (
	id INTEGER NOT NULL,
	model_id INTEGER NOT NULL,
	version INTEGER NOT NULL,
	source TEXT NOT NULL,
	run_id VARCHAR(32),
	run_link TEXT,
	description TEXT,
	current_stage VARCHAR(20) DEFAULT 'None' NOT NULL,
	status VARCHAR(20) DEFAULT 'READY' NOT NULL,
	user_id VARCHAR(256) DEFAULT '' NOT NULL,
	creation_time BIGINT NOT NULL,
	last_updated_time BIGINT NOT NULL,
	logged_model_id VARCHAR(64),
	PRIMARY KEY (id),
	CONSTRAINT model_versions_number UNIQUE (model_id, version),
	CONSTRAINT model_versions_stage CHECK (current_stage IN ('None', 'Staging', 'Production', 'Archived')),
	FOREIGN KEY(model_id) REFERENCES registered_models (id) ON DELETE CASCADE
);

CREATE INDEX model_versions_run ON model_versions (run_id);

CREATE TABLE logged_models (
	id INTEGER NOT NULL,
	model_id VARCHAR(64) NOT NULL,
	experiment_id INTEGER NOT NULL,
	name VARCHAR(500) NOT NULL,
	source_run_id VARCHAR(32),
	step BIGINT,
	status VARCHAR(20) NOT NULL,
	status_message TEXT,
	model_type VARCHAR(500),
	artifact_location TEXT NOT NULL,
	lifecycle_stage VARCHAR(32) DEFAULT 'active' NOT NULL,
	creation_time BIGINT NOT NULL,
	last_updated_time BIGINT NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT logged_models_status CHECK (status IN ('UNSPECIFIED', 'PENDING', 'READY', 'FAILED')),
	CONSTRAINT logged_models_lifecycle CHECK (lifecycle_stage IN ('active', 'deleted')),
	UNIQUE (model_id),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);

CREATE INDEX logged_models_experiment ON logged_models (experiment_id, creation_time);

CREATE INDEX logged_models_run ON logged_models (source_run_id);

CREATE TABLE datasets (
	id INTEGER NOT NULL,
	experiment_id INTEGER NOT NULL,
	name VARCHAR(500) NOT NULL,
	digest VARCHAR(36) NOT NULL,
	source_type VARCHAR(36) NOT NULL,
	source TEXT NOT NULL,
	schema TEXT,
	profile TEXT,
	PRIMARY KEY (id),
	CONSTRAINT datasets_identity UNIQUE (experiment_id, name, digest),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);

CREATE TABLE params (
	run_id INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (run_id, "key"),
	FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
);

CREATE TABLE tags (
	run_id INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (run_id, "key"),
	FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
);

CREATE TABLE metrics (
	run_id INTEGER NOT NULL,
	key_id INTEGER NOT NULL,
	step BIGINT NOT NULL,
	timestamp BIGINT NOT NULL,
	value FLOAT,
	is_nan BOOLEAN DEFAULT '0' NOT NULL,
	FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE,
	FOREIGN KEY(key_id) REFERENCES metric_keys (id)
);

CREATE INDEX metrics_run_key_step ON metrics (run_id, key_id, step);

CREATE TABLE latest_metrics (
	run_id INTEGER NOT NULL,
	key_id INTEGER NOT NULL,
	step BIGINT NOT NULL,
	timestamp BIGINT NOT NULL,
	value FLOAT,
	is_nan BOOLEAN DEFAULT '0' NOT NULL,
	PRIMARY KEY (run_id, key_id),
	FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE,
	FOREIGN KEY(key_id) REFERENCES metric_keys (id)
);

CREATE INDEX latest_metrics_key_value ON latest_metrics (key_id, value);

CREATE TABLE run_processes (
	run_id INTEGER NOT NULL,
	host VARCHAR(256) NOT NULL,
	pid INTEGER NOT NULL,
	pid_start BIGINT NOT NULL,
	heartbeat_time BIGINT NOT NULL,
	PRIMARY KEY (run_id, host, pid, pid_start),
	FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
);

CREATE TABLE model_version_tags (
	version_id INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (version_id, "key"),
	FOREIGN KEY(version_id) REFERENCES model_versions (id) ON DELETE CASCADE
);

CREATE TABLE registered_model_aliases (
	model_id INTEGER NOT NULL,
	alias VARCHAR(256) NOT NULL,
	version_id INTEGER NOT NULL,
	PRIMARY KEY (model_id, alias),
	FOREIGN KEY(model_id) REFERENCES registered_models (id) ON DELETE CASCADE,
	FOREIGN KEY(version_id) REFERENCES model_versions (id) ON DELETE CASCADE
);

CREATE TABLE logged_model_params (
	model_pk INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (model_pk, "key"),
	FOREIGN KEY(model_pk) REFERENCES logged_models (id) ON DELETE CASCADE
);

CREATE TABLE logged_model_tags (
	model_pk INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (model_pk, "key"),
	FOREIGN KEY(model_pk) REFERENCES logged_models (id) ON DELETE CASCADE
);

CREATE TABLE logged_model_metrics (
	model_pk INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	step BIGINT NOT NULL,
	timestamp BIGINT NOT NULL,
	value FLOAT,
	is_nan BOOLEAN DEFAULT '0' NOT NULL,
	run_id VARCHAR(32),
	dataset_name VARCHAR(500),
	dataset_digest VARCHAR(36),
	FOREIGN KEY(model_pk) REFERENCES logged_models (id) ON DELETE CASCADE
);

CREATE INDEX logged_model_metrics_key ON logged_model_metrics (model_pk, "key", step);

CREATE TABLE run_inputs (
	run_id INTEGER NOT NULL,
	dataset_pk INTEGER NOT NULL,
	logged_time BIGINT NOT NULL,
	PRIMARY KEY (run_id, dataset_pk),
	FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE,
	FOREIGN KEY(dataset_pk) REFERENCES datasets (id)
);

CREATE TABLE run_input_tags (
	run_id INTEGER NOT NULL,
	dataset_pk INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (run_id, dataset_pk, "key"),
	FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE,
	FOREIGN KEY(dataset_pk) REFERENCES datasets (id)
);

CREATE TABLE alerts (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	run_uuid VARCHAR(32) NOT NULL,
	title VARCHAR(250) NOT NULL,
	text TEXT DEFAULT '' NOT NULL,
	level VARCHAR(8) NOT NULL,
	timestamp BIGINT NOT NULL,
	metric_key VARCHAR(250),
	metric_value FLOAT,
	step BIGINT,
	CONSTRAINT alerts_level CHECK (level IN ('INFO', 'WARN', 'ERROR')),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid) ON DELETE CASCADE
);

CREATE INDEX alerts_run ON alerts (run_uuid, id)
"""


def statements() -> list[str]:
    """The statements of ``SQLITE_SCRIPT``, one SQL text each."""
    return [statement for statement in SQLITE_SCRIPT.strip().split(";\n\n") if statement]


def _tidy(statement: str) -> str:
    """A statement as this file holds it: without trailing spaces on its lines."""
    return "\n".join(line.rstrip() for line in statement.splitlines())


def _write() -> None:
    """Write this module again from ``schema.py``."""
    from pathlib import Path

    from labtrack.store.sql import migrations, schema

    text = Path(__file__).read_text()
    head = text.split("SCHEMA_VERSION = ")[0]
    tail = text[text.index("\n\n\ndef statements()") :]
    script = ";\n\n".join(
        _tidy(statement) for statement in migrations.compile_new_store_ddl("sqlite")
    )
    body = (
        f"SCHEMA_VERSION = {schema.SCHEMA_VERSION}\n\n"
        "# The statements, in create_all's order, separated by blank lines.\n"
        f'SQLITE_SCRIPT = """\n{script}\n"""'
    )
    Path(__file__).write_text(head + body + tail)


if __name__ == "__main__":
    _write()
