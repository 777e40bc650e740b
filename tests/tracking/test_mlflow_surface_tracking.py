"""MLflow's tracking calls that labtrack took only in part: search_experiments' filters,
order_by and pages (checked against the real MLflow), log_figure's save_kwargs, log_image's
timestamp and synchronous."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound

from ..mlflow_env import mlflow_python  # noqa: F401  (session fixture)

EXPERIMENTS = [("svm-a", {"team": "Vision"}), ("knn-b", {"team": "audio"}), ("mlp-c", {})]
FILTERS = [
    "tags.team = 'Vision'",
    "tags.team != 'audio'",
    "tags.team LIKE 'Vis%'",
    "tags.team ILIKE 'vis%'",
    "tags.`team` IS NULL",
    "tags.team IS NOT NULL",
    "name ILIKE '%B'",
    "attribute.name LIKE 'svm%' AND tags.team = 'Vision'",
    "creation_time > 0 AND name != 'knn-b'",
]
# Names only: experiments made within one millisecond tie on their times.
ORDERS = [["name ASC"], ["name DESC"]]

MLFLOW_SCRIPT = """
import json, sys, mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri("file:" + sys.argv[1])
client = MlflowClient()
for name, tags in json.loads(sys.argv[2]):
    client.create_experiment(name, tags=tags)
out = {"filters": {}, "orders": {}}
for f in json.loads(sys.argv[3]):
    found = client.search_experiments(filter_string=f)
    out["filters"][f] = sorted(e.name for e in found if e.name != "Default")
for o in json.loads(sys.argv[4]):
    found = client.search_experiments(order_by=o)
    out["orders"][o[0]] = [e.name for e in found if e.name != "Default"]
print(json.dumps(out))
"""


def _mlflow_answers(mlflow_python, tmp_path):  # noqa: F811
    result = subprocess.run(
        [
            mlflow_python,
            "-c",
            MLFLOW_SCRIPT,
            str(tmp_path / "mlruns"),
            json.dumps(EXPERIMENTS),
            json.dumps(FILTERS),
            json.dumps(ORDERS),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_search_experiments_answers_as_mlflow_does(client, mlflow_python, tmp_path):  # noqa: F811
    for name, tags in EXPERIMENTS:
        client.create_experiment(name, tags=tags)
    expected = _mlflow_answers(mlflow_python, tmp_path)
    for filter_string, names in expected["filters"].items():
        found = sorted(
            e.name
            for e in lt.search_experiments(filter_string=filter_string)
            if e.name != "Default"
        )
        assert found == names, filter_string
    for order in ORDERS:
        found = [e.name for e in client.search_experiments(order_by=order) if e.name != "Default"]
        assert found == expected["orders"][order[0]], order


def test_search_experiments_by_id(client):
    """MLflow's ids are strings: ``experiment_id = '2'``, ``IN ('1', '3')``. (Its file store's
    ids are not 1, 2, 3, so these are not compared with MLflow's answers.)"""
    ids = [client.create_experiment(name, tags=tags) for name, tags in EXPERIMENTS]
    found = client.search_experiments(filter_string=f"experiment_id IN ('{ids[0]}', '{ids[2]}')")
    assert sorted(e.name for e in found) == ["mlp-c", "svm-a"]
    assert [
        e.name for e in client.search_experiments(filter_string=f"experiment_id = '{ids[1]}'")
    ] == ["knn-b"]
    by_id = client.search_experiments(order_by=["experiment_id DESC"])
    assert [e.experiment_id for e in by_id] == [*reversed(ids), "0"]


def test_search_experiments_pages(client):
    for name, tags in EXPERIMENTS:
        client.create_experiment(name, tags=tags)
    first = client.search_experiments(max_results=2, order_by=["name ASC"])
    assert [e.name for e in first] == ["Default", "knn-b"] and first.token
    second = client.search_experiments(max_results=2, order_by=["name ASC"], page_token=first.token)
    assert [e.name for e in second] == ["mlp-c", "svm-a"] and second.token is None
    with pytest.raises(InvalidParameter, match="cannot be ordered by tags"):
        client.search_experiments(order_by=["tags.team ASC"])


def test_log_figure_passes_save_kwargs_to_savefig():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    figure, axes = plt.subplots(figsize=(2, 1))
    axes.plot([0, 1])
    with lt.start_run() as run:
        lt.log_figure(figure, "low.png", save_kwargs={"dpi": 50, "bbox_inches": None})
        lt.log_figure(figure, "high.png", save_kwargs={"dpi": 100, "bbox_inches": None})
    plt.close(figure)
    folder = lt.Client().download_artifacts(run.info.run_id, "")
    assert Image.open(os.path.join(folder, "low.png")).size == (100, 50)
    assert Image.open(os.path.join(folder, "high.png")).size == (200, 100)


def test_log_image_takes_timestamp_and_synchronous():
    import numpy as np

    image = np.zeros((4, 4, 3), dtype=np.uint8)
    with lt.start_run() as run:
        operation = lt.log_image(
            image, key="sample", step=3, timestamp=1700000000000, synchronous=False
        )
        operation.wait()
        assert lt.log_image(image, "direct.png", synchronous=True) is None
        with pytest.raises(InvalidParameter, match="timestamp"):
            lt.log_image(image, key="sample", step=4, timestamp="now")
    paths = {a.path for a in lt.Client().list_artifacts(run.info.run_id, "images/sample")}
    assert paths == {"images/sample/step_3.png"}


def test_experiment_tags_of_the_active_experiment(client):
    experiment = lt.set_experiment("tagged")
    lt.set_experiment_tag("team", "vision")
    lt.set_experiment_tags({"stage": "dev", "n": 3})
    assert client.get_experiment(experiment.experiment_id).tags == {
        "team": "vision",
        "stage": "dev",
        "n": "3",
    }
    lt.delete_experiment_tag("stage")
    assert "stage" not in client.get_experiment(experiment.experiment_id).tags
    with pytest.raises(NotFound, match="stage"):
        lt.delete_experiment_tag("stage")
    with pytest.raises(NotFound):
        client.delete_experiment_tag("999", "team")


def test_log_stream_restore_run_and_async_flushes(client, tmp_path):
    import io

    payload = bytes(range(256)) * 1000
    with lt.start_run() as run:
        lt.log_stream(io.BytesIO(payload), "blobs/data.bin")
        (tmp_path / "f.bin").write_bytes(b"from a file")
        with open(tmp_path / "f.bin", "rb") as file:
            client.log_stream(run.info.run_id, file, "f.bin")
        with pytest.raises(InvalidParameter, match="binary stream"):
            lt.log_stream(io.StringIO("text"), "t.txt")
        lt.log_metric("loss", 0.5, synchronous=False)
        lt.flush_async_logging()
        lt.flush_artifact_async_logging()
        assert client.get_metric_history(run.info.run_id, "loss")[0].value == 0.5
    assert client._artifacts(run.info.run_id).read_bytes("blobs/data.bin") == payload
    assert client._artifacts(run.info.run_id).read_bytes("f.bin") == b"from a file"
    lt.delete_run(run.info.run_id)
    lt.restore_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"
