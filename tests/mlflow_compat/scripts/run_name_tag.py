"""Setting the ``mlflow.runName`` tag renames the run, as MLflow's documentation of system tags
says (the run's name and the tag are one thing)."""

import mlflow

mlflow.set_experiment("renames")
with mlflow.start_run(run_name="first-name") as run:
    mlflow.set_tag("mlflow.runName", "renamed-by-tag")
print("RESULT", {"run_name": mlflow.get_run(run.info.run_id).info.run_name})
