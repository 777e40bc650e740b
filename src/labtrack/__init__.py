"""labtrack: experiment tracking that lives in Jupyter.

The API keeps MLflow's names, so ``import labtrack as mlflow`` runs ordinary MLflow
tracking scripts. Importing is light: SQLAlchemy and pandas load on first use.

>>> import labtrack as lt                                   # doctest: +SKIP
>>> lt.set_experiment("svm-iris")
>>> with lt.start_run(run_name="C=1"):
...     lt.log_param("C", 1.0)
...     lt.log_metric("accuracy", 0.97)
>>> lt.search_runs(filter_string="metrics.accuracy > 0.9")
"""

from __future__ import annotations

from typing import Any

from labtrack import entities
from labtrack._version import __version__ as __version__  # re-exported

# Eager (under a millisecond, loads no framework) so that `lt.autolog` is always this
# function: were the package `labtrack.autolog` loaded first (say by `import labtrack.sklearn`),
# the attribute would otherwise be the package.
from labtrack.autolog import autolog
from labtrack.entities import RunStatus, ViewType
from labtrack.errors import LabtrackError, MlflowException
from labtrack.tracking.fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_experiment,
    delete_run,
    delete_tag,
    end_run,
    flush,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_parent_run,
    get_run,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_audio,
    log_dict,
    log_figure,
    log_histogram,
    log_image,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    restore_experiment,
    search_experiments,
    search_runs,
    set_experiment,
    set_tag,
    set_tags,
    start_run,
)
from labtrack.tracking.tracking_uri import (
    get_registry_uri,
    get_tracking_uri,
    is_tracking_uri_set,
    set_registry_uri,
    set_tracking_uri,
)


def load_ipython_extension(ipython) -> None:
    """``%load_ext labtrack``: register the ``%%track`` and ``%track`` magics."""
    from labtrack.magics import load_ipython_extension as load

    load(ipython)


# Loaded on first access: each pulls in SQLAlchemy.
_LAZY = {
    "Client": ("labtrack.client", "Client"),
    "MlflowClient": ("labtrack.client", "Client"),
    "tracking": ("labtrack.tracking", None),
    # The integrations' namespaces; none imports its framework until autolog() is called.
    "sklearn": ("labtrack.sklearn", None),
    "keras": ("labtrack.keras", None),
    "pytorch": ("labtrack.pytorch", None),
    # Widgets load anywidget and Plotly's bundle: only when first shown.
    "runs": ("labtrack.widgets", "runs"),
    "chart": ("labtrack.widgets", "chart"),
    "scatter": ("labtrack.widgets", "scatter"),
    "compare": ("labtrack.widgets", "compare"),
    "dashboard": ("labtrack.widgets", "dashboard"),
    # The shareable HTML report (reads the bundle only when called).
    "report": ("labtrack.html_report", "report"),
    "parallel": ("labtrack.widgets", "parallel"),
    "media": ("labtrack.widgets", "media"),
    "pipeline_view": ("labtrack.widgets", "pipeline_view"),
    # Models and the registry (load the model flavors' libraries only when a model needs them).
    "log_model": ("labtrack.models", "log_model"),
    "load_model": ("labtrack.models", "load_model"),
    "models": ("labtrack.models", None),
    "pyfunc": ("labtrack.pyfunc", None),
    "register_model": ("labtrack.registry", "register_model"),
    "search_registered_models": ("labtrack.registry", "search_registered_models"),
    "search_model_versions": ("labtrack.registry", "search_model_versions"),
    "set_model_version_tag": ("labtrack.registry", "set_model_version_tag"),
    "serve": ("labtrack.serving", "serve"),
    # Models in production: every deployment as a table (pandas loads when it is called).
    "deployments": ("labtrack.production", "deployments"),
    # Drift and live accuracy of a deployment (pandas and scipy load when it runs).
    "monitor": ("labtrack.production.monitor", "monitor"),
    # Ground truth for a deployment's logged predictions (pandas and pyarrow load then).
    "log_feedback": ("labtrack.production.predictions", "log_deployment_feedback"),
    # Projects: parameterized notebook / MLproject runs and sweeps.
    "run": ("labtrack.projects", "run"),
    # Tables (pandas) and model evaluation (scikit-learn): loaded on first use.
    "log_table": ("labtrack.tracking.fluent", "log_table"),
    "load_table": ("labtrack.tracking.fluent", "load_table"),
    "evaluate": ("labtrack.models.evaluation", "evaluate"),
    # More of MLflow's fluent names (fluent is loaded already).
    **{
        name: ("labtrack.tracking.fluent", name)
        for name in (
            "set_experiment_tag",
            "set_experiment_tags",
            "delete_experiment_tag",
            "restore_run",
            "log_stream",
            "flush_async_logging",
            "flush_artifact_async_logging",
        )
    },
    # MLflow 3's logged models and datasets (fluent is loaded already; data loads no pandas).
    **{
        name: ("labtrack.tracking.fluent", name)
        for name in (
            "get_logged_model",
            "last_logged_model",
            "search_logged_models",
            "initialize_logged_model",
            "set_logged_model_tags",
            "delete_logged_model_tag",
            "log_model_params",
            "log_input",
            "log_inputs",
            "log_outputs",
            "set_active_model",
            "get_active_model_id",
            "clear_active_model",
            "create_external_model",
            "ActiveModel",
        )
    },
    # System metrics switches, as MLflow names them (start_run(log_system_metrics=...)).
    **{
        name: ("labtrack.tracking.system_metrics", name)
        for name in (
            "enable_system_metrics_logging",
            "disable_system_metrics_logging",
            "set_system_metrics_sampling_interval",
            "set_system_metrics_samples_before_logging",
            "set_system_metrics_node_id",
        )
    },
    # Alerts on runs (fluent is loaded already).
    **{
        name: ("labtrack.tracking.fluent", name)
        for name in ("alert", "alert_when", "search_alerts")
    },
    "data": ("labtrack.data", None),
    # `import mlflow` giving labtrack in this process (labtrack.mlflow_alias).
    "use_as_mlflow": ("labtrack.mlflow_alias", "use_as_mlflow"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        module = importlib.import_module(module_name)
        value = getattr(module, attribute) if attribute else module
        globals()[name] = value
        return value
    raise AttributeError(f"module 'labtrack' has no attribute {name!r}")


from labtrack.magics import register_if_in_ipython as _register_magics  # noqa: E402

_register_magics()

__all__ = [
    "active_run",
    "ActiveRun",
    "alert",
    "alert_when",
    "autolog",
    "chart",
    "Client",
    "compare",
    "create_experiment",
    "dashboard",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "deployments",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "end_run",
    "entities",
    "evaluate",
    "flush",
    "flush_artifact_async_logging",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "LabtrackError",
    "last_active_run",
    "load_ipython_extension",
    "load_model",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_audio",
    "log_dict",
    "log_feedback",
    "log_figure",
    "log_histogram",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_stream",
    "log_table",
    "log_text",
    "media",
    "MlflowClient",
    "MlflowException",
    "monitor",
    "parallel",
    "pipeline_view",
    "register_model",
    "report",
    "restore_experiment",
    "restore_run",
    "run",
    "runs",
    "RunStatus",
    "scatter",
    "search_alerts",
    "search_experiments",
    "search_runs",
    "serve",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_registry_uri",
    "set_system_metrics_node_id",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "use_as_mlflow",
    "ViewType",
]
