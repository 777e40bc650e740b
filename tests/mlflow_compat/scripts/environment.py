"""A script configured only by MLflow's environment variables (no set_experiment call)."""

import os

import mlflow

with mlflow.start_run(run_name="from-env") as run:
    mlflow.log_param("configured_by", "environment")
    mlflow.log_metric("score", 1.0)
print(
    "RESULT",
    {
        "experiment": mlflow.get_experiment(run.info.experiment_id).name,
        "registry_is_tracking": mlflow.get_registry_uri() == mlflow.get_tracking_uri(),
        "tracking_uri_from_env": mlflow.get_tracking_uri() == os.environ["MLFLOW_TRACKING_URI"],
    },
)
