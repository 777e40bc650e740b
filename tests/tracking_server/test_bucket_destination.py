"""``labtrack server --artifacts-destination s3://...``: MLflow's client, with no bucket
credentials, logs artifacts and a model through the proxy into a bucket (moto's S3 server),
loads the model back; labtrack, with the credentials, reads the same files from the bucket."""

from __future__ import annotations

import pytest

import labtrack as lt

from .conftest import run_mlflow, start_server, stop_server

pytestmark = pytest.mark.slow  # MLflow imports slowly; a model round trip takes tens of seconds

SCENARIO = """
import json
import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
mlflow.set_experiment("on-a-bucket")
with mlflow.start_run() as run:
    with open("notes.txt", "w") as f:
        f.write("in the bucket")
    mlflow.log_artifact("notes.txt")
    model = LogisticRegression(max_iter=500).fit(X, y)
    mlflow.sklearn.log_model(model, name="model", registered_model_name="tree")
mlflow.MlflowClient().set_registered_model_alias("tree", "champion", "1")
loaded = mlflow.pyfunc.load_model("models:/tree@champion")
print(json.dumps({
    "run_id": run.info.run_id,
    "artifact_uri": run.info.artifact_uri,
    "predictions": loaded.predict(X[:5]).tolist(),
    "expected": model.predict(X[:5]).tolist(),
}))
"""


def test_mlflow_client_logs_into_a_bucket_through_the_proxy(
    tmp_path,
    mlflow_python,
    bucket,
    s3_client,
):
    server = start_server(tmp_path, destination=f"s3://{bucket}/mlflow")
    try:
        out = run_mlflow(mlflow_python, server, SCENARIO, tmp_path / "mlflow-cwd")
    finally:
        stop_server(server)
    assert out["artifact_uri"].startswith("mlflow-artifacts:/")
    assert out["predictions"] == out["expected"]

    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]}
    relative = out["artifact_uri"].removeprefix("mlflow-artifacts:/")
    assert f"mlflow/{relative}/notes.txt" in keys
    assert f"mlflow/{relative}/model/MLmodel" in keys

    client = lt.Client(server.store_uri)
    run = client.get_run(out["run_id"])
    assert run.info.artifact_uri == f"s3://{bucket}/mlflow/{relative}"
    assert "notes.txt" in {f.path for f in client.list_artifacts(out["run_id"])}
    version = client.get_model_version_by_alias("tree", "champion")
    assert version.source == f"runs:/{out['run_id']}/model"
