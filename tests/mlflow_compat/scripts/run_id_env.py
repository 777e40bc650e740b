"""MLFLOW_RUN_ID: the next start_run() resumes that run (once), as a launcher that created
the run expects."""

import os

import mlflow

mlflow.set_experiment("launched")
launched = mlflow.MlflowClient().create_run(
    mlflow.get_experiment_by_name("launched").experiment_id, run_name="made-by-launcher"
)
os.environ["MLFLOW_RUN_ID"] = launched.info.run_id
with mlflow.start_run() as run:
    mlflow.log_metric("loss", 0.5, step=1)
resumed = run.info.run_id == launched.info.run_id
consumed = "MLFLOW_RUN_ID" not in os.environ
with mlflow.start_run(run_name="after") as later:
    pass
print(
    "RESULT",
    {"resumed": resumed, "consumed": consumed, "new_run": later.info.run_id != run.info.run_id},
)
