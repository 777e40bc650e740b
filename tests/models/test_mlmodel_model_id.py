"""The ``MLmodel`` file's ``model_id``: ``log_model`` writes the logged model's id into it, as
MLflow 3 does, ``ModelMetadata`` reads it back, and the real MLflow reads labtrack's."""

from __future__ import annotations

import subprocess

import pytest
import yaml

import labtrack as lt
from labtrack.models.metadata import METADATA_FILE, ModelMetadata
from labtrack.models.model_uri import resolve

from ..mlflow_env import mlflow_python  # noqa: F401  (the session fixture)


def _fitted():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit([[0.0], [1.0]], [0, 1])


@pytest.fixture
def logged():
    """A logged model's id and its folder."""
    with lt.start_run():
        info = lt.sklearn.log_model(_fitted(), name="clf")
    return info.model_id, resolve(info.model_uri).folder


def test_log_model_writes_the_model_id_into_mlmodel(logged):
    model_id, folder = logged
    assert yaml.safe_load((folder / METADATA_FILE).read_text())["model_id"] == model_id
    assert ModelMetadata.load(folder).model_id == model_id


def test_a_saved_model_has_no_model_id(tmp_path):
    lt.sklearn.save_model(_fitted(), tmp_path / "saved")
    assert "model_id" not in yaml.safe_load((tmp_path / "saved" / METADATA_FILE).read_text())
    assert ModelMetadata.load(tmp_path / "saved").model_id is None


@pytest.mark.slow  # MLflow imports slowly
def test_mlflow_reads_the_model_id_labtrack_wrote(logged, mlflow_python):  # noqa: F811
    model_id, folder = logged
    script = "import sys\nfrom mlflow.models import Model\nprint(Model.load(sys.argv[1]).model_id)"
    out = subprocess.run(
        [mlflow_python, "-c", script, str(folder)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == model_id
