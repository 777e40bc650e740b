-- A store as labtrack wrote it at schema version 1 (before run liveness and latest_metrics),
-- with a little data. tests/store/test_schema.py opens it and checks the upgrade keeps it all.
CREATE TABLE labtrack_schema (version INTEGER NOT NULL);
INSERT INTO labtrack_schema VALUES (1);
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
	PRIMARY KEY (id),
	CONSTRAINT runs_status CHECK (status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')),
	CONSTRAINT runs_lifecycle CHECK (lifecycle_stage IN ('active', 'deleted')),
	UNIQUE (run_uuid),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time);
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
CREATE TABLE metric_keys (
	id INTEGER NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT metric_keys_key UNIQUE ("key")
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

INSERT INTO experiments VALUES (0, 'Default', '/old/artifacts/0', 'active', 1700000000000, 1700000000000);
INSERT INTO experiments VALUES (1, 'legacy', '/old/artifacts/1', 'active', 1700000000000, 1700000000000);
INSERT INTO experiment_tags VALUES (1, 'owner', 'ada');
INSERT INTO runs VALUES (1, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1, 'first', 'FINISHED', 1700000001000, 1700000002000, 'active', '/old/artifacts/1/aaaa/artifacts', 'ada');
INSERT INTO runs VALUES (2, 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 1, 'second', 'FAILED', 1700000003000, 1700000004000, 'active', '/old/artifacts/1/bbbb/artifacts', 'ada');
INSERT INTO params VALUES (1, 'lr', '0.1'), (2, 'lr', '0.01');
INSERT INTO tags VALUES (1, 'mlflow.runName', 'first'), (2, 'mlflow.runName', 'second');
INSERT INTO metric_keys VALUES (1, 'loss'), (2, 'acc');
INSERT INTO metrics VALUES
	(1, 1, 0, 1700000001100, 1.0, 0), (1, 1, 1, 1700000001200, 0.5, 0), (1, 1, 2, 1700000001300, 0.25, 0),
	(1, 2, 5, 1700000001400, 0.9, 0), (1, 2, 3, 1700000001500, 0.2, 0),
	(2, 1, 0, 1700000003100, 2.0, 0), (2, 1, 1, 1700000003200, NULL, 1);
