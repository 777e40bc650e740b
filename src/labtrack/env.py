"""Every ``LABTRACK_*`` environment variable (and the ``MLFLOW_*`` ones labtrack honours), and
the one rule that resolves the store.

Kernels, the CLI and the Jupyter server extension all call :func:`resolve_tracking_uri`,
so whatever a notebook logs is what the other front ends read. Where MLflow has a variable for
the same setting, labtrack's is read first and MLflow's second (``EnvVar.fallback``), so an
unchanged MLflow script configured by its environment logs where it means to.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EnvVar:
    """A documented environment variable with a typed default."""

    name: str
    default: str | None
    doc: str
    # MLflow's variable for the same setting, read when this one is unset or empty.
    fallback: EnvVar | None = None

    def get(self, fallback: bool = True) -> str | None:
        """The variable's value; when unset or empty, MLflow's variable's (unless
        ``fallback`` is False), else the default."""
        value = os.environ.get(self.name)
        if value not in (None, ""):
            return value
        if fallback and self.fallback is not None:
            value = self.fallback.get()
        # This variable's default, not the fallback's, when neither is set.
        return value if value not in (None, "") else self.default

    def pop(self) -> str | None:
        """The value (without fallback or default), removed from the environment: for a
        variable that applies once, as MLflow's ``MLFLOW_RUN_ID`` does."""
        return os.environ.pop(self.name, None) or None

    @contextmanager
    def set_within(self, value: str | None) -> Iterator[None]:
        """The variable set to ``value`` inside the block (left as it is for None), and as it
        was after: for code in a long-lived process, such as a kernel, that must not change
        what later code there reads."""
        if value is None:
            yield
            return
        before = os.environ.get(self.name)
        os.environ[self.name] = value
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(self.name, None)
            else:
                os.environ[self.name] = before

    def get_float(self) -> float:
        raw = self.get()
        try:
            return float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be a number, got {raw!r}") from None


MLFLOW_TRACKING_URI = EnvVar(
    "MLFLOW_TRACKING_URI",
    None,
    "MLflow's name for the store URI: used when LABTRACK_TRACKING_URI is unset.",
)
TRACKING_URI = EnvVar(
    "LABTRACK_TRACKING_URI",
    None,
    "Store URI (sqlite:///path/to/file.db, postgresql://..., or http(s)://host:port for a "
    "tracking server speaking MLflow's REST API). Overridden by set_tracking_uri().",
    MLFLOW_TRACKING_URI,
)
MLFLOW_ACTIVE_MODEL_ID = EnvVar(
    "MLFLOW_ACTIVE_MODEL_ID",
    None,
    "The logged model (m-...) that metrics logged without a model_id are linked to, until "
    "set_active_model() or clear_active_model() says otherwise (MLflow 3's variable).",
)
MLFLOW_REGISTRY_URI = EnvVar(
    "MLFLOW_REGISTRY_URI",
    None,
    "MLflow's model registry URI. labtrack keeps the registry in the tracking store, so it "
    "must name that store: a different one is refused when the store is first used.",
)
TRACKING_TOKEN = EnvVar(
    "LABTRACK_TRACKING_TOKEN",
    None,
    "Bearer token sent to an http(s) tracking server (MLflow's MLFLOW_TRACKING_TOKEN, or "
    "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD for HTTP basic, work too).",
)
ARTIFACTS_URI = EnvVar(
    "LABTRACK_ARTIFACTS_URI",
    None,
    "Where new experiments keep their runs' artifacts: a folder, file://, s3://, gs:// or az://"
    " URI (default: the 'artifacts' folder beside a SQLite store, or under LABTRACK_HOME).",
)
MLFLOW_EXPERIMENT_NAME = EnvVar(
    "MLFLOW_EXPERIMENT_NAME",
    None,
    "MLflow's name for LABTRACK_EXPERIMENT_NAME: used when that is unset.",
)
EXPERIMENT_NAME = EnvVar(
    "LABTRACK_EXPERIMENT_NAME",
    None,
    "Experiment that runs go to when set_experiment() was not called (default: 'Default').",
    MLFLOW_EXPERIMENT_NAME,
)
MLFLOW_EXPERIMENT_ID = EnvVar(
    "MLFLOW_EXPERIMENT_ID",
    None,
    "Id of the experiment runs go to when set_experiment() was not called and no experiment "
    "name is set (as in MLflow, a name that names another experiment is an error).",
)
MAGIC_SUMMARY = EnvVar(
    "LABTRACK_MAGIC_SUMMARY",
    "1",
    "Set to 0 to turn off the one-line summary %%track prints after a cell.",
)
HOME = EnvVar(
    "LABTRACK_HOME",
    None,
    "Folder of the per-user default store (default: ~/.labtrack).",
)
FLUSH_INTERVAL = EnvVar(
    "LABTRACK_FLUSH_INTERVAL",
    "0.1",
    "Seconds between background flushes of logged metrics.",
)
FLUSH_ROWS = EnvVar(
    "LABTRACK_FLUSH_ROWS",
    "50000",
    "Buffered metric points that trigger an early flush; at ten times as many, logging "
    "waits for the store (bounded memory when a loop outpaces the disk).",
)
HEARTBEAT_INTERVAL = EnvVar(
    "LABTRACK_HEARTBEAT_INTERVAL",
    "10",
    "Seconds between heartbeats of a process's running runs.",
)
HEARTBEAT_TIMEOUT = EnvVar(
    "LABTRACK_HEARTBEAT_TIMEOUT",
    "120",
    "A RUNNING run without a heartbeat for this many seconds reads as KILLED.",
)
RUN_ID = EnvVar(
    "LABTRACK_RUN_ID",
    None,
    "Run that start_run() without a run_id resumes (and logging with no active run goes to). "
    "Set by `labtrack run` so the notebook or command it executes logs into the run it tracks.",
)
MLFLOW_RUN_ID = EnvVar(
    "MLFLOW_RUN_ID",
    None,
    "As in MLflow: the next start_run() without a run_id resumes this run, and removes the "
    "variable from the environment (LABTRACK_RUN_ID, when set, takes precedence).",
)
SERVE_MAX_BODY_MB = EnvVar(
    "LABTRACK_SERVE_MAX_BODY_MB",
    "50",
    "Largest request body `labtrack serve` reads, in megabytes (1 MB = 1,000,000 bytes); a "
    "larger one is refused with 413. Overridden by --max-body-mb (serve(max_body_mb=...)).",
)

DEPLOYMENT_INTERVAL = EnvVar(
    "LABTRACK_DEPLOYMENT_INTERVAL",
    "10",
    "Seconds between the traffic metrics a deployment (labtrack serve --deployment) logs; "
    "also how often it checks the alias it follows, unless LABTRACK_DEPLOYMENT_ALIAS_INTERVAL "
    "is set.",
)
DEPLOYMENT_ALIAS_INTERVAL = EnvVar(
    "LABTRACK_DEPLOYMENT_ALIAS_INTERVAL",
    None,
    "Seconds between a deployment's checks of the alias it serves (models:/name@alias): a "
    "promotion is served without a restart (default: LABTRACK_DEPLOYMENT_INTERVAL).",
)

SERVER_AUTH = EnvVar(
    "LABTRACK_SERVER_AUTH",
    "0",
    "Set to 1 to make `labtrack server` require credentials and enforce permissions (--auth).",
)
SERVER_DEFAULT_PERMISSION = EnvVar(
    "LABTRACK_SERVER_DEFAULT_PERMISSION",
    "READ",
    "What a signed-in user may do with an experiment or registered model they have no grant "
    "on: READ (MLflow's default), EDIT, MANAGE or NO_PERMISSIONS (--default-permission).",
)
ALERT_WEBHOOK = EnvVar(
    "LABTRACK_ALERT_WEBHOOK",
    None,
    "URL that every alert (lt.alert, lt.alert_when) is POSTed to as Slack- and Discord-"
    "compatible JSON ({'text', 'content', 'labtrack'}), in the background.",
)
ALERT_WEBHOOK_TIMEOUT = EnvVar(
    "LABTRACK_ALERT_WEBHOOK_TIMEOUT",
    "5",
    "Seconds an alert's POST to LABTRACK_ALERT_WEBHOOK may take before it is given up.",
)

MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING = EnvVar(
    "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING",
    None,
    "MLflow's name for LABTRACK_LOG_SYSTEM_METRICS: used when that is unset.",
)
LOG_SYSTEM_METRICS = EnvVar(
    "LABTRACK_LOG_SYSTEM_METRICS",
    "false",
    "true (or 1) samples CPU, memory, disk, network and GPU metrics (system/...) while each "
    "run is active, unless start_run(log_system_metrics=False) says otherwise.",
    MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING,
)
MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL = EnvVar(
    "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL",
    None,
    "MLflow's name for LABTRACK_SYSTEM_METRICS_INTERVAL: used when that is unset.",
)
SYSTEM_METRICS_INTERVAL = EnvVar(
    "LABTRACK_SYSTEM_METRICS_INTERVAL",
    "10",
    "Seconds between two samples of system metrics (MLflow's default, 10).",
    MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL,
)
MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING = EnvVar(
    "MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING",
    "1",
    "Samples of system metrics averaged into each logged point (as in MLflow).",
)
MLFLOW_SYSTEM_METRICS_NODE_ID = EnvVar(
    "MLFLOW_SYSTEM_METRICS_NODE_ID",
    None,
    "A machine's name in its system metrics' keys (system/<node>/...), for runs that log from "
    "several machines (as in MLflow).",
)

ALL = (
    TRACKING_URI,
    MLFLOW_TRACKING_URI,
    MLFLOW_REGISTRY_URI,
    MLFLOW_ACTIVE_MODEL_ID,
    TRACKING_TOKEN,
    ARTIFACTS_URI,
    EXPERIMENT_NAME,
    MLFLOW_EXPERIMENT_NAME,
    MLFLOW_EXPERIMENT_ID,
    MAGIC_SUMMARY,
    HOME,
    FLUSH_INTERVAL,
    FLUSH_ROWS,
    HEARTBEAT_INTERVAL,
    HEARTBEAT_TIMEOUT,
    RUN_ID,
    MLFLOW_RUN_ID,
    SERVE_MAX_BODY_MB,
    DEPLOYMENT_INTERVAL,
    DEPLOYMENT_ALIAS_INTERVAL,
    SERVER_AUTH,
    SERVER_DEFAULT_PERMISSION,
    ALERT_WEBHOOK,
    ALERT_WEBHOOK_TIMEOUT,
    LOG_SYSTEM_METRICS,
    MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING,
    SYSTEM_METRICS_INTERVAL,
    MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL,
    MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING,
    MLFLOW_SYSTEM_METRICS_NODE_ID,
)


def default_home() -> Path:
    return Path(HOME.get() or Path.home() / ".labtrack").expanduser()


def default_tracking_uri() -> str:
    return f"sqlite:///{default_home() / 'labtrack.db'}"


def resolve_tracking_uri(explicit: str | None = None) -> str:
    """explicit argument > ``LABTRACK_TRACKING_URI`` > ``MLFLOW_TRACKING_URI`` > the per-user
    default store.

    A bare filesystem path is accepted and turned into a ``sqlite:///`` URI. MLflow's URIs
    for stores labtrack cannot use (a ``file:`` store or a folder, ``databricks``) raise
    ``InvalidParameter``: read as paths, they would name new SQLite files.
    """
    uri = explicit or TRACKING_URI.get() or default_tracking_uri()
    _refuse_mlflow_only_uri(uri)
    if "://" not in uri:
        return f"sqlite:///{Path(uri).expanduser().resolve()}"
    # sqlite:///relative.db names a file relative to the working directory: pin it, so that
    # a child process (labtrack run) or the Jupyter server started elsewhere opens the same one.
    database, _, query = uri.removeprefix("sqlite:///").partition("?")
    relative = database and database != ":memory:" and not Path(database).is_absolute()
    if uri.startswith("sqlite:///") and relative:
        uri = f"sqlite:///{Path(database).expanduser().resolve()}" + (f"?{query}" if query else "")
    return uri


def _refuse_mlflow_only_uri(uri: str) -> None:
    from labtrack.errors import InvalidParameter

    if uri.startswith("file:") or ("://" not in uri and Path(uri).expanduser().is_dir()):
        raise InvalidParameter(
            f"tracking URI {uri!r} is a folder, as MLflow's file store is: labtrack stores runs "
            "in a database; use sqlite:///path/to/file.db (`labtrack import mlflow FOLDER` "
            "copies an MLflow file store into it)"
        )
    if uri.split(":", 1)[0] in ("databricks", "databricks-uc", "uc"):
        raise InvalidParameter(
            f"tracking URI {uri!r} names Databricks, which labtrack cannot log to; use "
            "sqlite:///path/to/file.db, postgresql://... or http(s)://host:port"
        )
