"""``labtrack.artifact_uris`` (MLflow's ``mlflow.artifacts``): download, list and read
artifacts by ``runs:/`` URI, by run id, by a run's artifact URI or a model URI."""

from __future__ import annotations

from pathlib import Path

import pytest

import labtrack as lt
from labtrack import artifact_uris as artifacts
from labtrack.errors import InvalidParameter, NotFound


@pytest.fixture
def run(tracking_uri):
    lt.set_tracking_uri(tracking_uri)
    with lt.start_run() as run:
        lt.log_dict({"a": 1}, "config.json")
        lt.log_text("hello", "notes/hello.txt")
        lt.log_text("second", "notes/deeper/two.txt")
    return run


def test_download_by_uri_or_by_run_id(run, tmp_path):
    uri = f"runs:/{run.info.run_id}"
    local = artifacts.download_artifacts(f"{uri}/notes", dst_path=tmp_path / "new" / "dst")
    assert Path(local) == tmp_path / "new" / "dst" / "notes"  # dst_path created
    assert sorted(p.name for p in Path(local).iterdir()) == ["deeper", "hello.txt"]
    by_id = artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes/hello.txt")
    assert Path(by_id).read_text() == "hello"
    everything = Path(artifacts.download_artifacts(run_id=run.info.run_id))
    assert (everything / "config.json").is_file()
    # A run's artifact URI, and a path under it, as MLflow's examples use them.
    under_root = f"{run.info.artifact_uri}/notes/hello.txt"
    assert artifacts.load_text(under_root) == "hello"


def test_list_by_uri_or_by_run_id(run):
    uri = f"runs:/{run.info.run_id}"
    assert sorted(f.path for f in artifacts.list_artifacts(uri)) == ["config.json", "notes"]
    listed = artifacts.list_artifacts(f"{uri}/notes")
    assert sorted((f.path, f.is_dir) for f in listed) == [
        ("notes/deeper", True),
        ("notes/hello.txt", False),
    ]
    by_id = artifacts.list_artifacts(run_id=run.info.run_id, artifact_path="notes")
    assert sorted(f.path for f in by_id) == sorted(f.path for f in listed)


def test_load_dict_and_text(run):
    uri = f"runs:/{run.info.run_id}"
    assert artifacts.load_dict(f"{uri}/config.json") == {"a": 1}
    assert artifacts.load_text(f"{uri}/notes/hello.txt") == "hello"
    with pytest.raises(InvalidParameter, match="not JSON"):
        artifacts.load_dict(f"{uri}/notes/hello.txt")
    with pytest.raises(InvalidParameter, match="a folder, not a file"):
        artifacts.load_text(f"{uri}/notes")
    with pytest.raises(NotFound):
        artifacts.load_text(f"{uri}/missing.txt")


def test_load_text_refuses_bytes_that_are_not_utf8(run, tmp_path):
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    lt.Client().log_artifact(run.info.run_id, str(tmp_path / "latin1.txt"))
    with pytest.raises(InvalidParameter, match="not valid UTF-8"):
        artifacts.load_text(f"runs:/{run.info.run_id}/latin1.txt")


def test_load_image(run):
    image = pytest.importorskip("PIL.Image")
    lt.log_image(image.new("RGB", (4, 3), "red"), "picture.png", run_id=run.info.run_id)
    loaded = artifacts.load_image(f"runs:/{run.info.run_id}/picture.png")
    assert loaded.size == (4, 3) and loaded.getpixel((0, 0)) == (255, 0, 0)
    with pytest.raises(InvalidParameter, match="not an image"):
        artifacts.load_image(f"runs:/{run.info.run_id}/config.json")


def test_download_a_model_by_its_model_uri(tracking_uri, tmp_path):
    lt.set_tracking_uri(tracking_uri)
    with lt.start_run():
        info = lt.pyfunc.log_model(name="model", python_model=lambda x: x)
    local = Path(artifacts.download_artifacts(info.model_uri, dst_path=tmp_path))
    assert (local / "MLmodel").is_file()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "exactly one of artifact_uri and run_id"),
        ({"artifact_uri": "runs:/x", "run_id": "x"}, "exactly one of artifact_uri and run_id"),
        ({"artifact_uri": "runs:/x", "artifact_path": "a"}, "artifact_path goes with run_id"),
        ({"artifact_uri": ""}, "artifact_uri must be a non-empty string"),
        ({"run_id": 5}, "run_id must be a run id string"),
    ],
)
def test_bad_arguments_are_refused(tracking_uri, arguments, message):
    lt.set_tracking_uri(tracking_uri)
    with pytest.raises(InvalidParameter, match=message):
        artifacts.download_artifacts(**arguments)
    with pytest.raises(InvalidParameter, match=message):
        artifacts.list_artifacts(**arguments)


def test_the_mlflow_alias_gives_this_module():
    import subprocess
    import sys

    code = "import labtrack.mlflow_alias as a; a.use_as_mlflow(); import mlflow.artifacts as m; "
    code += "print(m.load_dict.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "labtrack.artifact_uris"
