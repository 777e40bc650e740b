"""An ordinary MLflow tracking script runs unchanged with ``import labtrack as mlflow``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import labtrack as lt

SRC = str(Path(__file__).resolve().parents[1] / "src")

# Written the way MLflow's documentation writes it; only the import differs.
MLFLOW_SCRIPT = """
    import labtrack as mlflow
    from labtrack import MlflowClient
    from labtrack.entities import Metric, Param, RunTag

    mlflow.set_experiment("quickstart")
    with mlflow.start_run(run_name="baseline") as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"l1_ratio": 0.1, "max_iter": 100})
        mlflow.set_tag("model", "elasticnet")
        mlflow.set_tags({"dataset": "wine", "version": 2})
        for epoch in range(3):
            mlflow.log_metric("rmse", 1.0 / (epoch + 1), step=epoch)
        mlflow.log_metrics({"r2": 0.8, "mae": 0.3})
        mlflow.log_dict({"features": ["a", "b"]}, "features.json")
        mlflow.log_text("hello", "notes/readme.txt")
        print("artifact uri:", mlflow.get_artifact_uri())
        run_id = run.info.run_id

    client = MlflowClient()
    experiment = client.get_experiment_by_name("quickstart")
    runs = client.search_runs([experiment.experiment_id], "metrics.r2 > 0.5", order_by=["metrics.rmse ASC"])
    assert [r.info.run_id for r in runs] == [run_id]
    history = client.get_metric_history(run_id, "rmse")
    assert [m.step for m in history] == [0, 1, 2]
    child = client.create_run(experiment.experiment_id, run_name="manual")
    client.log_batch(child.info.run_id, metrics=[Metric("loss", 0.1, 0, 1)],
                     params=[Param("p", "1")], tags=[RunTag("t", "x")])
    client.set_terminated(child.info.run_id)
    df = mlflow.search_runs(experiment_names=["quickstart"], order_by=["start_time DESC"])
    print(df[["run_id", "status", "metrics.r2", "params.alpha", "tags.model"]].to_string())
    assert mlflow.last_active_run().info.run_id == run_id
    print("done")
"""


def test_a_plain_mlflow_script_runs_unchanged(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "LABTRACK_TRACKING_URI": f"sqlite:///{tmp_path / 'm.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MLFLOW_SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("done")
    lt.set_tracking_uri(env["LABTRACK_TRACKING_URI"])
    runs = lt.search_runs(experiment_names=["quickstart"])
    assert sorted(runs["tags.mlflow.runName"]) == ["baseline", "manual"]
    baseline = runs[runs["tags.mlflow.runName"] == "baseline"].iloc[0]
    assert baseline["params.l1_ratio"] == "0.1" and baseline["metrics.r2"] == 0.8
    assert sorted(a.path for a in lt.Client().list_artifacts(baseline["run_id"])) == [
        "features.json",
        "notes",
    ]
