"""MLflow's tracking quickstart: an experiment by name, params, tags, stepped metrics and
artifacts of each kind."""

import tempfile
from pathlib import Path

import mlflow

mlflow.set_experiment("quickstart")
with mlflow.start_run(run_name="baseline", tags={"team": "vision"}, description="first try"):
    mlflow.log_param("alpha", 0.5)
    mlflow.log_params({"l1_ratio": 0.1, "max_iter": 100, "solver": "saga"})
    mlflow.set_tag("model", "elasticnet")
    mlflow.set_tags({"dataset": "wine", "version": 2})
    for epoch in range(5):
        mlflow.log_metric("rmse", 1.0 / (epoch + 1), step=epoch)
        mlflow.log_metrics(
            {"train_loss": 2.0 - epoch * 0.25, "val_loss": 2.5 - epoch * 0.2}, step=epoch
        )
    mlflow.log_metric("r2", 0.81)
    mlflow.log_dict({"features": ["a", "b"]}, "features.json")
    mlflow.log_dict({"lr": [0.1, 0.01]}, "config/grid.yaml")
    mlflow.log_text("hello", "notes/readme.txt")
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder, "report.csv")
        report.write_text("a,b\n1,2\n")
        mlflow.log_artifact(str(report))
        mlflow.log_artifact(str(report), artifact_path="reports")
        plots = Path(folder, "plots")
        plots.mkdir()
        (plots / "loss.txt").write_text("1 0.5 0.25")
        (plots / "sub").mkdir()
        (plots / "sub" / "deep.txt").write_text("x")
        mlflow.log_artifacts(str(plots), artifact_path="plots")

# A second run in the same experiment, ended explicitly with a status.
mlflow.start_run(run_name="failed-attempt")
mlflow.log_param("alpha", 0.9)
mlflow.log_metric("rmse", 3.5)
mlflow.end_run(status="FAILED")

# Logging with no active run starts one (in the active experiment), as MLflow does.
mlflow.log_param("implicit", "yes")
implicit = mlflow.active_run()
mlflow.end_run()
mlflow.MlflowClient().update_run(implicit.info.run_id, name="implicit")  # generated names differ
print(
    "RESULT",
    {
        "implicit_experiment": mlflow.get_run(implicit.info.run_id).info.experiment_id
        == mlflow.get_experiment_by_name("quickstart").experiment_id
    },
)
