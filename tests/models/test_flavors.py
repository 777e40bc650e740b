"""Every flavor round-trips: log (or save), load back, predict the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import labtrack as lt
import labtrack.keras  # noqa: F401  (lt.keras)
import labtrack.pytorch  # noqa: F401  (lt.pytorch)
import labtrack.sklearn  # noqa: F401  (lt.sklearn)
from labtrack.errors import AlreadyExists, InvalidParameter, NotFound

SRC = str(Path(__file__).resolve().parents[2] / "src")


def mlmodel(info) -> dict:
    folder = lt.Client().download_artifacts(info.run_id, info.artifact_path)
    return yaml.safe_load((Path(folder) / "MLmodel").read_text())


# -- scikit-learn --------------------------------------------------------------------------------


def test_sklearn_round_trip(iris, iris_classifier):
    X, _ = iris
    with lt.start_run() as run:
        info = lt.log_model(iris_classifier, "model", input_example=X[:5])

    assert info.model_uri == f"models:/{info.model_id}"
    assert info.run_id == run.info.run_id and info.artifact_path == "model"
    assert set(info.flavors) == {"sklearn", "python_function"}
    loaded = lt.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(X), iris_classifier.predict(X))
    native = lt.sklearn.load_model(info.model_uri)
    assert type(native) is type(iris_classifier)
    np.testing.assert_array_equal(native.predict_proba(X), iris_classifier.predict_proba(X))


def test_saved_folder_has_metadata_requirements_and_example(iris, iris_classifier):
    import sklearn

    X, _ = iris
    info = lt.sklearn.log_model(iris_classifier, "clf", input_example=X[:3])
    folder = Path(lt.Client().download_artifacts(info.run_id, "clf"))

    assert sorted(p.name for p in folder.iterdir()) == [
        "MLmodel",
        "input_example.json",
        "model.pkl",
        "requirements.txt",
    ]
    meta = yaml.safe_load((folder / "MLmodel").read_text())
    assert meta["flavors"]["sklearn"]["sklearn_version"] == sklearn.__version__
    assert meta["flavors"]["sklearn"]["pickled_model"] == "model.pkl"
    assert meta["flavors"]["python_function"]["python_version"] == ".".join(
        map(str, sys.version_info[:3])
    )
    assert meta["run_id"] == info.run_id and meta["model_uuid"] == info.model_uuid
    assert meta["utc_time_created"] and meta["labtrack_version"] == lt.__version__
    assert meta["saved_input_example_info"] == {
        "artifact_path": "input_example.json",
        "type": "dataframe",
        "pandas_orient": "split",
    }
    assert '"name": "sepal length (cm)"' in meta["signature"]["inputs"]  # MLflow's JSON-in-YAML
    requirements = (folder / "requirements.txt").read_text().splitlines()
    assert f"scikit-learn=={sklearn.__version__}" in requirements
    assert requirements[0] == f"labtrack=={lt.__version__}"


def test_sklearn_plain_pickle_option(iris, iris_classifier, tmp_path):
    X, _ = iris
    lt.sklearn.save_model(iris_classifier, tmp_path / "m", serialization_format="pickle")
    import pickle

    with open(tmp_path / "m" / "model.pkl", "rb") as file:
        np.testing.assert_array_equal(pickle.load(file).predict(X), iris_classifier.predict(X))
    with pytest.raises(InvalidParameter, match="serialization_format"):
        lt.sklearn.save_model(iris_classifier, tmp_path / "n", serialization_format="joblib")


# -- generic Python models ---------------------------------------------------------------------


def test_function_round_trip():
    def add_one(model_input):
        return np.asarray(model_input) + 1

    info = lt.log_model(add_one, "fn", input_example=np.array([[1.0, 2.0]]))
    assert set(info.flavors) == {"python_function"}
    np.testing.assert_array_equal(lt.load_model(info.model_uri).predict([[3.0, 4.0]]), [[4.0, 5.0]])


def test_class_with_predict_round_trip():
    class Scaler:  # a class defined in the test: pickled by value, like one in a notebook
        def __init__(self, factor):
            self.factor = factor

        def predict(self, frame):
            return frame["x"] * self.factor

    info = lt.log_model(Scaler(3), "scaler", input_example=pd.DataFrame({"x": [1.0, 2.0]}))
    model = lt.load_model(info.model_uri)
    assert model.predict(pd.DataFrame({"x": [2.0]})).tolist() == [6.0]
    assert model.unwrap_python_model().factor == 3


def test_python_model_with_artifacts_and_context(tmp_path):
    (tmp_path / "offset.txt").write_text("10")

    class AddOffset(lt.pyfunc.PythonModel):
        def load_context(self, context):
            self.offset = float(Path(context.artifacts["offset"]).read_text())

        def predict(self, context, model_input, params=None):
            scale = (params or {}).get("scale", 1)
            return (np.asarray(model_input) + self.offset) * scale

    info = lt.pyfunc.log_model(
        "offset",
        python_model=AddOffset(),
        artifacts={"offset": str(tmp_path / "offset.txt")},
        input_example=np.array([[1.0]]),
    )
    (tmp_path / "offset.txt").unlink()  # the model carries its own copy
    model = lt.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(model.predict(np.array([[1.0], [2.0]])), [[11.0], [12.0]])
    np.testing.assert_array_equal(model.predict(np.array([[1.0]]), params={"scale": 2}), [[22.0]])
    # The output schema was inferred by predicting with the context set up (load_context ran).
    assert info.signature.outputs.inputs[0].dtype == "float64"


@pytest.mark.parametrize("name", ["../../x", "..", "a/../../b", "/abs", "", 3])
def test_python_model_artifact_names_cannot_leave_the_model_folder(tmp_path, name):
    (tmp_path / "data.txt").write_text("secret-free")
    target = tmp_path / "saved"
    with pytest.raises(InvalidParameter, match="artifact"):
        lt.pyfunc.save_model(
            str(target),
            python_model=lambda data: data,
            artifacts={name: str(tmp_path / "data.txt")},
        )
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "saved") == ["data.txt"]  # no x/


def test_a_source_named_dot_dot_is_refused_too(tmp_path):
    folder = tmp_path / "inner" / "deeper"
    folder.mkdir(parents=True)
    with pytest.raises(InvalidParameter, match="outside the model's folder"):
        lt.pyfunc.save_model(
            str(tmp_path / "saved"),
            python_model=lambda data: data,
            artifacts={"a": str(folder / "..")},
        )


def test_pyfunc_log_model_needs_a_model():
    with pytest.raises(InvalidParameter, match="python_model="):
        lt.pyfunc.log_model("m")


# -- PyTorch ----------------------------------------------------------------------------------


def test_torch_round_trip():
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")

    info = lt.pytorch.log_model(net, "net", input_example=x[:2])
    assert info.signature.inputs.inputs[0].shape == (-1, 4)
    assert info.signature.outputs.inputs[0].shape == (-1, 3)
    expected = net(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(lt.load_model(info.model_uri).predict(x), expected, rtol=1e-6)
    native = lt.pytorch.load_model(info.model_uri)
    assert isinstance(native, torch.nn.Sequential) and not native.training
    np.testing.assert_allclose(native(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-6)
    # float64 input is a safe upcast of nothing: refused, the model wants float32 ...
    with pytest.raises(InvalidParameter, match="float32"):
        lt.load_model(info.model_uri).predict(x.astype("float64"))


def test_torch_module_class_from_a_notebook_loads_in_a_fresh_process(tmp_path):
    """A class defined in ``__main__`` (as in a notebook) travels with the saved model."""
    script = f"""
import torch, labtrack as lt
class Doubler(torch.nn.Module):
    def forward(self, x):
        return x * 2
lt.pytorch.save_model(Doubler(), r"{tmp_path / "doubler"}")
"""
    load = f"""
import labtrack as lt
print(lt.load_model(r"{tmp_path / "doubler"}").predict([[1.0, 2.5]]).tolist())
"""
    env = {"PYTHONPATH": SRC, "PATH": "", "LABTRACK_HOME": str(tmp_path / "home")}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=120)
    result = subprocess.run(
        [sys.executable, "-c", load],
        check=True,
        env=env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "[[2.0, 5.0]]"


# -- Keras 3 ----------------------------------------------------------------------------------


def test_keras_round_trip():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)]
    )
    x = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")

    info = lt.keras.log_model(model, "keras_model", input_example=x[:2])
    assert mlmodel(info)["flavors"]["keras"]["keras_backend"] == "torch"
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(lt.load_model(info.model_uri).predict(x), expected, rtol=1e-6)
    native = lt.keras.load_model(info.model_uri)
    assert isinstance(native, keras.Model)
    np.testing.assert_allclose(native.predict(x, verbose=0), expected, rtol=1e-6)


# -- detection and errors -----------------------------------------------------------------------


def test_unknown_object_is_refused_with_what_is_accepted():
    with pytest.raises(InvalidParameter, match="scikit-learn estimators, torch.nn.Module, Keras 3"):
        lt.log_model(object(), "model")


def test_flavor_namespace_refuses_another_kind_of_model(iris_classifier):
    with pytest.raises(InvalidParameter, match="not a pytorch model"):
        lt.pytorch.log_model(iris_classifier, "model")


def test_native_loader_of_another_flavor_says_so(iris_classifier):
    info = lt.log_model(iris_classifier, "model")
    with pytest.raises(
        InvalidParameter, match="is a sklearn / python_function model, not a keras one"
    ):
        lt.keras.load_model(info.model_uri)


def test_save_model_refuses_a_folder_in_use(iris_classifier, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(AlreadyExists):
        lt.models.save_model(iris_classifier, tmp_path / "taken")
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


def test_a_folder_without_mlmodel_is_not_a_model(tmp_path):
    with pytest.raises(NotFound, match="has no MLmodel file"):
        lt.load_model(tmp_path)
