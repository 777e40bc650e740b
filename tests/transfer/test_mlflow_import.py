"""``labtrack import mlflow``: a file store and a database written by the real MLflow read
the same in labtrack after an import (run ids, every point, artifacts, the registry); bad
sources are refused with a clear message and leave the destination unchanged."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.transfer import TransferError, import_mlflow

from .helpers import mlflow_view, run_count


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_an_mlflow_store_reads_the_same_after_an_import(kind, mlflow_stores, tracking_uri):
    uri, (first, second, gone), expected = mlflow_stores[kind]
    report = import_mlflow(uri, tracking_uri)
    assert report.runs_copied == 3
    client = lt.Client(tracking_uri)
    assert mlflow_view(client) == expected
    assert client.get_run(gone).info.lifecycle_stage == "deleted"
    # The registered version points at the model's files, now in its run's artifacts.
    version = client.get_model_version_by_alias("reg", "champion")
    assert (version.version, version.run_id, version.current_stage) == (1, first, "Staging")
    assert version.source == f"runs:/{first}/model"
    assert "model/MLmodel" in {f.path for f in client.list_artifacts(first, "model")}
    # The logged model keeps its MLflow id, its files where labtrack's log_model keeps them.
    names = {v[0]: k for k, v in expected["logged_models"].items()}
    model_id = names["model"]
    model = client.get_logged_model(model_id)
    assert model.artifact_location.rstrip("/").endswith(f"{first}/artifacts/model")
    loaded = lt.pyfunc.load_model(f"models:/{model_id}")
    np.testing.assert_allclose(loaded.predict(np.array([[2.0]])), [2.0])
    loose = client.get_logged_model(names["loose"])  # logged without a run: its own files
    assert client.artifact_repository(loose.artifact_location).read_bytes("weights.txt") == b"w"
    assert import_mlflow(uri, tracking_uri).copied_nothing


def test_the_cli_imports_an_mlflow_folder(mlflow_stores, tracking_uri, capsys):
    uri, _, expected = mlflow_stores["file"]
    folder = uri[len("file://") :]
    assert main(["--tracking-uri", tracking_uri, "import", "mlflow", folder]) == 0
    assert "3 runs copied" in capsys.readouterr().out
    assert mlflow_view(lt.Client(tracking_uri)) == expected


def test_a_folder_that_is_no_mlflow_store_is_refused(tmp_path, tracking_uri, capsys):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(TransferError, match="is not an MLflow file store"):
        import_mlflow(tmp_path / "photos", tracking_uri)
    assert main(["--tracking-uri", tracking_uri, "import", "mlflow", str(tmp_path / "nope")]) == 2
    assert (
        capsys.readouterr().err
        == f"labtrack: error: {tmp_path / 'nope'}: no such folder (an MLflow file store, mlruns/)\n"
    )


def test_an_unknown_mlflow_schema_version_is_refused_by_name(mlflow_stores, tmp_path, tracking_uri):
    import sqlite3

    uri, _, _ = mlflow_stores["sqlite"]
    copy = tmp_path / "future.db"
    shutil.copy(uri[len("sqlite:///") :], copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff00000000'")
    with pytest.raises(TransferError, match="at schema version ffff00000000, which this labtrack"):
        import_mlflow(f"sqlite:///{copy}", tracking_uri)
    assert run_count(lt.Client(tracking_uri)) == 0


def test_a_store_broken_midway_leaves_the_destination_unchanged(
    mlflow_stores, tmp_path, tracking_uri
):
    uri, (first, second, _), _ = mlflow_stores["file"]
    broken = tmp_path / "mlruns"
    shutil.copytree(uri[len("file://") :], broken)
    (history,) = broken.glob(f"*/{second}/metrics/acc")
    history.write_text("4000 0.5 0\nnot a point\n")
    with pytest.raises(TransferError) as error:
        import_mlflow(broken, tracking_uri)
    assert f"{history}, line 2: expected 'timestamp value step', got 'not a point'" in str(
        error.value
    )
    assert run_count(lt.Client(tracking_uri)) == 0
    assert lt.Client(tracking_uri).get_experiment_by_name("imported") is None


def test_a_run_point_on_a_dataset_keeps_its_step(tmp_path):
    # MLflow 3 writes "timestamp value step dataset_name digest" for a point logged with a
    # dataset (its own file-store reader then reads step 0); labtrack keeps the step written.
    from labtrack.transfer.mlflow_files import _history

    file = tmp_path / "rmse"
    file.write_text("5000 0.25 3 train 023233aa\n")
    (point,) = _history(file, "rmse")
    assert (point.timestamp, point.value, point.step) == (5000, 0.25, 3)
