"""``lt.models.get_model_info`` and ``Model.load`` read a saved model's ``MLmodel`` by model
URI, as MLflow's do; ``Schema.to_dict`` and ``ModelSignature.to_dict`` have MLflow's shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound
from labtrack.models import ColSpec, Model, ModelSignature, Schema, TensorSpec, get_model_info


@pytest.fixture
def logged(iris, iris_classifier):
    X, _ = iris
    with lt.start_run() as run:
        info = lt.sklearn.log_model(iris_classifier, name="model", input_example=X[:3])
    return run.info.run_id, info


def test_get_model_info_by_every_kind_of_uri_describes_the_logged_model(logged, tmp_path):
    run_id, info = logged
    lt.register_model(info.model_uri, "iris")
    lt.register_model(f"runs:/{run_id}/model", "iris-from-run")
    uris = [
        info.model_uri,  # models:/<model_id>
        f"runs:/{run_id}/model",
        f"runs:/{run_id}/model/MLmodel",
        "models:/iris/1",
        "models:/iris-from-run/1",
    ]
    for uri in uris:
        found = get_model_info(uri)
        assert found.model_id == info.model_id, uri
        assert found.model_uri == info.model_uri  # as MLflow: models:/<model_id>
        assert (found.run_id, found.artifact_path) == (run_id, "model")
        assert sorted(found.flavors) == ["python_function", "sklearn"]
        assert found.signature == info.signature is not None
        assert (found.model_uuid, found.utc_time_created) == (
            info.model_uuid,
            info.utc_time_created,
        )
    # A folder: its MLmodel names the logged model, as MLflow's does.
    folder = lt.Client().download_artifacts(run_id, "model", str(tmp_path))
    local = get_model_info(folder)
    assert (local.model_id, local.model_uri) == (info.model_id, info.model_uri)


def test_a_model_whose_mlmodel_lacks_its_id_gets_it_from_the_uri_or_the_store(logged):
    """As models an older labtrack saved: the URI or the run's logged models tell the id."""
    run_id, info = logged
    lt.register_model(f"runs:/{run_id}/model", "iris-from-run")
    mlmodel = Path(lt.get_run(run_id).info.artifact_uri) / "model" / "MLmodel"
    text = mlmodel.read_text()
    assert f"model_id: {info.model_id}" in text
    mlmodel.write_text(text.replace(f"model_id: {info.model_id}\n", ""))
    assert Model.load(f"runs:/{run_id}/model").model_id is None
    for uri in (f"runs:/{run_id}/model", info.model_uri, "models:/iris-from-run/1"):
        assert get_model_info(uri).model_id == info.model_id, uri
    folder = get_model_info(mlmodel.parent)  # nothing to ask: the run's URI stands for it
    assert (folder.model_id, folder.model_uri) == (None, f"runs:/{run_id}/model")


def test_model_load_takes_a_uri_a_folder_or_the_mlmodel_file(logged, tmp_path):
    run_id, info = logged
    folder = lt.Client().download_artifacts(run_id, "model", str(tmp_path))
    for where in (info.model_uri, f"runs:/{run_id}/model", folder, f"{folder}/MLmodel"):
        model = Model.load(where)
        assert isinstance(model, Model)
        assert sorted(model.flavors) == ["python_function", "sklearn"], where
        assert model.signature == info.signature
    assert Model.load(info.model_uri).get_model_info().model_uri == info.model_uri


def test_a_uri_with_no_model_is_a_clear_error(logged, tmp_path):
    run_id, _ = logged
    with pytest.raises(NotFound):
        get_model_info(f"runs:/{run_id}/no-such-model")
    with pytest.raises(NotFound, match="not a saved model"):
        Model.load(tmp_path)
    with pytest.raises(InvalidParameter, match="non-empty string"):
        get_model_info("")
    with pytest.raises(InvalidParameter, match="non-empty string"):
        Model.load(None)


def test_schema_and_signature_to_dict_have_mlflow_shapes():
    inputs = Schema([ColSpec("double", "x"), ColSpec("string", "y", required=False)])
    outputs = Schema([TensorSpec("float64", (-1, 2))])
    assert inputs.to_dict() == [
        {"type": "double", "name": "x", "required": True},
        {"type": "string", "name": "y", "required": False},
    ]
    assert outputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}
    ]
    assert json.loads(inputs.to_json()) == inputs.to_dict()
    signature = ModelSignature(inputs, outputs)
    assert signature.to_dict() == {
        "inputs": inputs.to_json(),
        "outputs": outputs.to_json(),
        "params": None,
    }
    assert ModelSignature.from_dict(signature.to_dict()) == signature
