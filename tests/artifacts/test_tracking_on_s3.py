"""Runs whose experiment keeps its artifacts in a bucket: every artifact path of the tracking
API, models (log, register, load by run and by alias, serve's resolution) and ``%%track``'s
cell history, against moto's S3 server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

import labtrack as lt
from labtrack import env
from labtrack.errors import InvalidParameter, NotFound
from labtrack.magics.cell_history import CellHistory
from labtrack.models.model_uri import resolve


@pytest.fixture
def s3_experiment(tracking_uri, bucket) -> str:
    """An experiment whose artifacts go to ``s3://<bucket>/team``, set as the active one."""
    experiment_id = lt.create_experiment("on-s3", artifact_location=f"s3://{bucket}/team")
    lt.set_experiment(experiment_id=experiment_id)
    return experiment_id


def keys(s3_client, bucket: str) -> set[str]:
    listing = s3_client.list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_every_artifact_call_reaches_the_bucket(s3_experiment, bucket, s3_client, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    (tmp_path / "weights.bin").write_bytes(b"\x00" * 10)
    (tmp_path / "folder" / "sub").mkdir(parents=True)
    (tmp_path / "folder" / "sub" / "a.txt").write_text("a")
    figure, axes = plt.subplots()
    axes.plot([1, 2])
    with lt.start_run() as run:
        lt.log_artifact(str(tmp_path / "weights.bin"), "models")
        lt.log_artifacts(str(tmp_path / "folder"), "folder")
        lt.log_text("hello", "notes/readme.md")
        lt.log_dict({"a": 1}, "config.yaml")
        lt.log_figure(figure, "plots/curve.png")
        lt.log_image(np.zeros((2, 3)), "images/black.png")
        with pytest.raises(InvalidParameter):
            lt.log_text("x", "../outside.txt")
    plt.close(figure)
    run_id = run.info.run_id
    assert run.info.artifact_uri == f"s3://{bucket}/team/{run_id}/artifacts"
    prefix = f"team/{run_id}/artifacts/"
    assert keys(s3_client, bucket) == {
        prefix + name
        for name in (
            "models/weights.bin",
            "folder/sub/a.txt",
            "notes/readme.md",
            "config.yaml",
            "plots/curve.png",
            "images/black.png",
        )
    }
    client = lt.Client()
    assert [(f.path, f.is_dir) for f in client.list_artifacts(run_id)] == [
        ("config.yaml", False),
        ("folder", True),
        ("images", True),
        ("models", True),
        ("notes", True),
        ("plots", True),
    ]
    assert client.list_artifacts(run_id, "models")[0].file_size == 10
    copy = client.download_artifacts(run_id, "notes/readme.md", str(tmp_path / "out"))
    assert Path(copy).read_text() == "hello"
    everything = Path(client.download_artifacts(run_id, "", str(tmp_path / "all")))
    assert (everything / "folder" / "sub" / "a.txt").read_text() == "a"
    assert (everything / "plots" / "curve.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(NotFound):
        client.download_artifacts(run_id, "missing.txt", str(tmp_path / "none"))


def test_a_model_on_s3_is_logged_registered_loaded_and_cached(
    s3_experiment, bucket, s3_client, iris, iris_classifier, tmp_path
):
    X, _ = iris
    with lt.start_run() as run:
        info = lt.sklearn.log_model(iris_classifier, "model", registered_model_name="iris")
    client = lt.Client()
    client.set_registered_model_alias("iris", "champion", info.registered_model_version)
    model_prefix = f"team/{run.info.run_id}/artifacts/model/"
    assert f"{model_prefix}MLmodel" in keys(s3_client, bucket)
    assert client.get_model_version_download_uri("iris", 1) == f"s3://{bucket}/{model_prefix}"[:-1]

    expected = iris_classifier.predict(X[:5])
    assert list(lt.pyfunc.load_model(f"runs:/{run.info.run_id}/model").predict(X[:5])) == list(
        expected
    )
    location = resolve("models:/iris@champion")
    assert location.folder.is_relative_to(env.default_home() / "cache" / "models")
    assert location.version == "1" and (location.folder / "MLmodel").is_file()
    assert list(lt.sklearn.load_model("models:/iris@champion").predict(X[:5])) == list(expected)
    with lt.serve("models:/iris@champion", port=0, background=True) as server:
        body = {"dataframe_records": X[:5].to_dict(orient="records")}
        answer = httpx.post(f"{server.url}/invocations", json=body, timeout=30).json()
    assert answer["predictions"] == list(expected)

    # The cached copy is reused: with the bucket's copy gone, the model still loads.
    for key in keys(s3_client, bucket):
        s3_client.delete_object(Bucket=bucket, Key=key)
    assert list(lt.pyfunc.load_model("models:/iris/1").predict(X[:5])) == list(expected)
    with pytest.raises(NotFound, match="no saved model"):
        lt.pyfunc.load_model(f"s3://{bucket}/nothing/here")


def test_a_model_folder_given_by_its_s3_uri_loads(tracking_uri, bucket, iris, iris_classifier):
    from labtrack.artifacts import open_repository

    X, _ = iris
    saved = env.default_home() / "saved"
    lt.sklearn.save_model(iris_classifier, str(saved))
    open_repository(f"s3://{bucket}/exported").log_artifacts(saved, "model")
    loaded = lt.pyfunc.load_model(f"s3://{bucket}/exported/model")
    assert list(loaded.predict(X[:3])) == list(iris_classifier.predict(X[:3]))


def test_cell_history_is_kept_in_the_bucket(s3_experiment, bucket, s3_client):
    client = lt.Client()
    run = client.create_run(s3_experiment)
    history = CellHistory(client, run.info.run_id, new_run=True)
    history.append("x = 1", 1, 0.01, ok=True)
    history.append("y = x + 1", 2, 0.02, ok=True)
    client.writer.run_deferred()
    resumed = CellHistory(client, run.info.run_id)  # read back from the bucket
    assert [cell.source for cell in resumed.cells] == ["x = 1", "y = x + 1"]
    body = s3_client.get_object(
        Bucket=bucket, Key=f"team/{run.info.run_id}/artifacts/source/cells.json"
    )["Body"].read()
    assert [cell["execution_count"] for cell in json.loads(body)] == [1, 2]


def test_labtrack_artifacts_uri_sends_every_new_experiment_to_the_bucket(
    tracking_uri, bucket, s3_client, monkeypatch
):
    monkeypatch.setenv(env.ARTIFACTS_URI.name, f"s3://{bucket}/store")
    with lt.start_run() as default_run:  # the Default experiment, created with the store
        lt.log_text("a", "a.txt")
    lt.set_experiment("another")
    with lt.start_run() as other_run:
        lt.log_text("b", "b.txt")
    experiment_id = other_run.info.experiment_id
    assert keys(s3_client, bucket) == {
        f"store/0/{default_run.info.run_id}/artifacts/a.txt",
        f"store/{experiment_id}/{other_run.info.run_id}/artifacts/b.txt",
    }
    assert lt.get_experiment_by_name("another").artifact_location == (
        f"s3://{bucket}/store/{experiment_id}"
    )


def test_a_python_model_takes_its_artifacts_from_the_bucket(tracking_uri, bucket):
    import numpy as np

    from labtrack.artifacts import open_repository

    open_repository(f"s3://{bucket}/inputs").write_bytes("tables/offset.txt", b"10")

    class AddOffset(lt.pyfunc.PythonModel):
        def load_context(self, context):
            folder = Path(context.artifacts["tables"])
            self.offset = float((folder / "offset.txt").read_text())

        def predict(self, context, model_input, params=None):
            return np.asarray(model_input) + self.offset

    info = lt.pyfunc.log_model(
        "offset", python_model=AddOffset(), artifacts={"tables": f"s3://{bucket}/inputs/tables"}
    )
    model = lt.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(model.predict(np.array([[1.0]])), [[11.0]])
    with pytest.raises(NotFound, match="no file or folder"):
        lt.pyfunc.log_model(
            "missing", python_model=AddOffset(), artifacts={"x": f"s3://{bucket}/nothing"}
        )


def test_an_artifact_location_with_credentials_is_refused_before_it_is_stored(tracking_uri):
    for location in ("s3://key:hunter2@bucket/prefix", "az://container/p?sig=hunter2", 3):
        with pytest.raises(InvalidParameter) as refused:
            lt.create_experiment("leaky", artifact_location=location)
        assert "hunter2" not in str(refused.value)
    assert lt.get_experiment_by_name("leaky") is None
