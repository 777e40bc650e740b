-- The schema a new labtrack store is created with (version 2). tests/store/test_schema.py
-- fails when the tables change without a migration; regenerate it then, on purpose.
CREATE TABLE experiment_tags (
	experiment_id INTEGER NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY (experiment_id, "key"), 
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
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
CREATE TABLE labtrack_schema (
	version INTEGER NOT NULL
);
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
CREATE TABLE params (
	run_id INTEGER NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY (run_id, "key"), 
	FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
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
	PRIMARY KEY (id), 
	CONSTRAINT runs_status CHECK (status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')), 
	CONSTRAINT runs_lifecycle CHECK (lifecycle_stage IN ('active', 'deleted')), 
	UNIQUE (run_uuid), 
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE tags (
	run_id INTEGER NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY (run_id, "key"), 
	FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
);
CREATE INDEX latest_metrics_key_value ON latest_metrics (key_id, value);
CREATE INDEX metrics_run_key_step ON metrics (run_id, key_id, step);
CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time);
