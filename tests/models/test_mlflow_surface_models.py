"""MLflow's model keyword arguments do what they mean in MLflow: code_paths, conda_env,
requirements files, extra_files, pyfunc_predict_fn, pickle modules, artifacts from runs:/ and
models:/, model_config, Keras' save and load options, TorchScript modules."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

import labtrack as lt
import labtrack.keras  # noqa: F401  (lt.keras)
import labtrack.pyfunc  # noqa: F401  (lt.pyfunc)
import labtrack.pytorch  # noqa: F401  (lt.pytorch)
import labtrack.sklearn  # noqa: F401  (lt.sklearn)
from labtrack.errors import InvalidParameter

from ..mlflow_env import mlflow_python  # noqa: F401  (session fixture)

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _folder(info) -> Path:
    return Path(lt.Client().download_artifacts(info.run_id, info.artifact_path))


def test_code_paths_travel_with_the_model_and_are_importable_when_it_loads(tmp_path):
    """A model whose class lives in a module of the user's (pickled by reference) loads in a
    fresh process that has never seen that module: code_paths brought it along."""
    package = tmp_path / "src" / "mymodels"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "class Doubler:\n    def predict(self, model_input):\n        return model_input * 2\n"
    )
    sys.path.insert(0, str(tmp_path / "src"))
    try:
        from mymodels import Doubler

        lt.pyfunc.save_model(tmp_path / "model", python_model=Doubler(), code_paths=[str(package)])
    finally:
        sys.path.remove(str(tmp_path / "src"))
        sys.modules.pop("mymodels", None)
    meta = yaml.safe_load((tmp_path / "model" / "MLmodel").read_text())
    assert meta["flavors"]["python_function"]["code"] == "code"
    assert (tmp_path / "model" / "code" / "mymodels" / "__init__.py").is_file()
    script = f"""
        import labtrack as lt
        print(lt.pyfunc.load_model({str(tmp_path / "model")!r}).predict([[1.0, 2.0]]))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env={"PYTHONPATH": SRC, "LABTRACK_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[[2.", "4.]]"]


def test_conda_env_is_written_and_gives_the_requirements(iris_classifier, tmp_path):
    conda = {
        "name": "env",
        "channels": ["conda-forge"],
        "dependencies": ["python=3.11", "pip", {"pip": ["scikit-learn==1.5.0", "pandas"]}],
    }
    lt.sklearn.save_model(iris_classifier, tmp_path / "m", conda_env=conda)
    assert yaml.safe_load((tmp_path / "m" / "conda.yaml").read_text()) == conda
    assert (tmp_path / "m" / "requirements.txt").read_text().split() == [
        "scikit-learn==1.5.0",
        "pandas",
    ]
    with pytest.raises(InvalidParameter, match="only one of conda_env, pip_requirements"):
        lt.sklearn.save_model(
            iris_classifier, tmp_path / "n", conda_env=conda, pip_requirements=["x"]
        )


def test_requirements_may_be_given_as_a_file(iris_classifier, tmp_path):
    (tmp_path / "reqs.txt").write_text("# pinned\nscikit-learn\n\nnumpy<3\n")
    lt.sklearn.save_model(
        iris_classifier, tmp_path / "m", pip_requirements=str(tmp_path / "reqs.txt")
    )
    assert (tmp_path / "m" / "requirements.txt").read_text().split() == [
        "scikit-learn",
        "numpy<3",
    ]


def test_extra_files_are_copied_and_listed(iris_classifier, tmp_path):
    (tmp_path / "labels.txt").write_text("setosa\n")
    info = lt.sklearn.log_model(
        iris_classifier, "model", extra_files=[str(tmp_path / "labels.txt")]
    )
    folder = _folder(info)
    assert (folder / "extra_files" / "labels.txt").read_text() == "setosa\n"
    entry = yaml.safe_load((folder / "MLmodel").read_text())["flavors"]["sklearn"]
    assert entry["extra_files"] == [{"path": "extra_files/labels.txt"}]
    with pytest.raises(InvalidParameter, match="extra_files: no such file"):
        lt.sklearn.log_model(iris_classifier, "m2", extra_files=[str(tmp_path / "nope")])


def test_sklearn_serialization_format_and_predict_fn(iris, iris_classifier, tmp_path):
    X, _ = iris
    info = lt.sklearn.log_model(
        iris_classifier,
        "model",
        serialization_format="pickle",
        pyfunc_predict_fn="predict_proba",
        await_registration_for=300,
        registered_model_name="iris-proba",
    )
    with open(_folder(info) / "model.pkl", "rb") as file:
        assert type(pickle.load(file)) is type(iris_classifier)  # plain pickle reads it
    np.testing.assert_allclose(
        lt.pyfunc.load_model("models:/iris-proba/1").predict(X),
        iris_classifier.predict_proba(X),
    )
    with pytest.raises(InvalidParameter, match="skops_trusted_types applies"):
        lt.sklearn.save_model(
            iris_classifier,
            tmp_path / "t",
            serialization_format="cloudpickle",
            skops_trusted_types=["x"],
        )
    with pytest.raises(InvalidParameter, match="pyfunc_predict_fn"):
        lt.sklearn.save_model(iris_classifier, tmp_path / "u", pyfunc_predict_fn="transform")


class _Reader(lt.pyfunc.PythonModel):
    """Reads its artifacts and config when loaded."""

    def load_context(self, context):
        self.words = Path(context.artifacts["words"]).read_text()
        self.inner = lt.sklearn.load_model(context.artifacts["clf"])
        self.scale = context.model_config.get("scale", 1)

    def predict(self, context, model_input, params=None):
        return self.inner.predict(model_input) * self.scale


def test_pyfunc_artifacts_from_runs_and_models_uris(iris, iris_classifier, tmp_path):
    X, _ = iris
    with lt.start_run() as run:
        lt.log_text("alpha beta", "vocab/words.txt")
        lt.sklearn.log_model(iris_classifier, "clf", registered_model_name="inner")
    info = lt.pyfunc.log_model(
        "wrapper",
        python_model=_Reader(),
        artifacts={"words": f"runs:/{run.info.run_id}/vocab/words.txt", "clf": "models:/inner/1"},
        model_config={"scale": 10},
    )
    folder = _folder(info)
    assert (folder / "artifacts" / "words" / "words.txt").read_text() == "alpha beta"
    assert (folder / "artifacts" / "clf").is_dir()
    model = lt.pyfunc.load_model(info.model_uri)
    raw = model.unwrap_python_model()
    assert raw.words == "alpha beta"
    np.testing.assert_array_equal(model.predict(X), iris_classifier.predict(X) * 10)
    # load_model's model_config overrides the saved one, key by key
    again = lt.pyfunc.load_model(info.model_uri, model_config={"scale": 2}, suppress_warnings=True)
    np.testing.assert_array_equal(again.predict(X), iris_classifier.predict(X) * 2)


def test_pyfunc_refuses_what_it_cannot_do_by_name(tmp_path):
    with pytest.raises(InvalidParameter, match="not both"):
        lt.pyfunc.save_model(tmp_path / "m", python_model=lambda x: x, loader_module="mod")
    with pytest.raises(InvalidParameter, match="data_path goes with loader_module"):
        lt.pyfunc.save_model(tmp_path / "m", python_model=lambda x: x, data_path="d")
    with pytest.raises(InvalidParameter, match="streamable"):
        lt.pyfunc.save_model(tmp_path / "m", python_model=lambda x: x, streamable=True)
    # their defaults are fine
    lt.pyfunc.save_model(
        tmp_path / "ok", python_model=lambda x: x, streamable=False, resources=None
    )


def test_pytorch_pickle_module_and_load_kwargs(tmp_path):
    import torch

    model = torch.nn.Linear(3, 2)
    lt.pytorch.save_model(model, tmp_path / "m", pickle_module=pickle)
    entry = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["pytorch"]
    assert entry["pickle_module_name"] == "pickle"
    loaded = lt.pytorch.load_model(str(tmp_path / "m"), map_location="cpu")
    x = torch.randn(4, 3)
    torch.testing.assert_close(loaded(x), model(x))
    with pytest.raises(InvalidParameter, match="pt2"):
        lt.pytorch.save_model(model, tmp_path / "n", serialization_format="pt2")
    with pytest.raises(InvalidParameter, match="export_model"):
        lt.pytorch.save_model(model, tmp_path / "o", export_model=True)


def test_torchscript_modules_are_saved_with_torch_jit_and_load_back(tmp_path):
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 1)

        def forward(self, x):
            return torch.relu(self.linear(x))

    scripted = torch.jit.script(Net())
    x = torch.randn(5, 3)
    info = lt.pytorch.log_model(scripted, "scripted", input_example=x.numpy())
    folder = _folder(info)
    torch.jit.load(str(folder / "data" / "model.pth"))  # a TorchScript archive, not a pickle
    loaded = lt.pytorch.load_model(info.model_uri)
    assert isinstance(loaded, torch.jit.ScriptModule)
    torch.testing.assert_close(loaded(x), scripted(x))
    np.testing.assert_allclose(
        lt.load_model(info.model_uri).predict(x.numpy()), scripted(x).detach().numpy(), rtol=1e-6
    )


def test_keras_save_and_load_options(tmp_path):
    import keras

    @keras.saving.register_keras_serializable(package="surface_test")
    class Scale(keras.layers.Layer):
        def call(self, x):
            return x * 3.0

    inputs = keras.Input((2,))
    model = keras.Model(inputs, Scale()(keras.layers.Dense(1)(inputs)))
    lt.keras.save_model(model, tmp_path / "m", save_model_kwargs={"zipped": True})
    loaded = lt.keras.load_model(
        str(tmp_path / "m"),
        custom_objects={"surface_test>Scale": Scale},
        load_model_kwargs={"compile": False},
    )
    x = np.ones((2, 2), dtype="float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(InvalidParameter, match="save_exported_model"):
        lt.keras.save_model(model, tmp_path / "n", save_exported_model=True)


def test_the_signature_follows_pyfunc_predict_fn(iris, iris_classifier, tmp_path):
    X, _ = iris
    metadata = lt.sklearn.save_model(
        iris_classifier, tmp_path / "m", input_example=X[:3], pyfunc_predict_fn="predict_proba"
    )
    (outputs,) = metadata.signature.outputs.inputs  # one tensor: the class probabilities
    assert tuple(outputs.shape) == (-1, 3)


class _Streamer(lt.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input

    def predict_stream(self, context, model_input, params=None):
        yield from (f"{word}{context.model_config['suffix']}" for word in model_input.split())


def test_pyfunc_model_has_mlflows_properties(iris, iris_classifier):
    from labtrack.errors import InvalidState

    X, _ = iris
    info = lt.sklearn.log_model(iris_classifier, "model", input_example=X.head(2))
    model = lt.pyfunc.load_model(info.model_uri)
    assert model.input_example.equals(X.head(2))
    assert model.loader_module == "labtrack.sklearn" and model.model_config == {}
    assert model.model_id == info.model_id and model.model_id.startswith("m-")
    # the MLmodel file records it, as MLflow's does: however the model is reached
    assert lt.pyfunc.load_model(f"runs:/{info.run_id}/model").model_id == info.model_id
    with pytest.raises(InvalidState, match="does not stream"):
        model.predict_stream(X.head(1))
    streamer = lt.pyfunc.log_model("s", python_model=_Streamer(), model_config={"suffix": "!"})
    loaded = lt.pyfunc.load_model(streamer.model_uri, model_config={"suffix": "?"})
    assert loaded.model_config == {"suffix": "?"}
    assert list(loaded.predict_stream("a b")) == ["a?", "b?"]


def _has_skops() -> bool:
    import importlib.util

    return importlib.util.find_spec("skops") is not None


def test_skops_models_round_trip_or_say_what_they_need(iris, iris_classifier, tmp_path):
    X, _ = iris
    if not _has_skops():
        with pytest.raises(InvalidParameter, match="pip install skops"):
            lt.sklearn.save_model(iris_classifier, tmp_path / "m", serialization_format="skops")
        return
    lt.sklearn.save_model(iris_classifier, tmp_path / "m", serialization_format="skops")
    assert (tmp_path / "m" / "model.skops").is_file()
    np.testing.assert_array_equal(
        lt.sklearn.load_model(str(tmp_path / "m")).predict(X), iris_classifier.predict(X)
    )


def test_skops_trusted_types_alone_choose_skops(iris, tmp_path):
    """MLflow code passes skops_trusted_types without serialization_format (skops is MLflow's
    default): the model is written with skops, trusting those types."""
    if not _has_skops():
        pytest.skip("skops is not installed")
    from sklearn.tree import DecisionTreeClassifier

    X, y = iris
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    lt.sklearn.save_model(tree, tmp_path / "m", skops_trusted_types=["sklearn.tree._tree.Tree"])
    assert (tmp_path / "m" / "model.skops").is_file()
    np.testing.assert_array_equal(
        lt.sklearn.load_model(str(tmp_path / "m")).predict(X), tree.predict(X)
    )


# MLflow's default sklearn format is skops: a model saved by the real MLflow, as it saves it.
MLFLOW_SAVES = """
import sys
import mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=500).fit(X, y)
mlflow.sklearn.save_model(model, sys.argv[1], pyfunc_predict_fn="predict_proba")
"""


def test_a_model_mlflow_saved_loads_with_its_predict_fn(mlflow_python, iris, tmp_path):  # noqa: F811
    X, y = iris
    result = subprocess.run(
        [mlflow_python, "-c", MLFLOW_SAVES, str(tmp_path / "mlflow_model")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    entry = yaml.safe_load((tmp_path / "mlflow_model" / "MLmodel").read_text())["flavors"]
    assert entry["sklearn"]["serialization_format"] == "skops"
    if not _has_skops():
        with pytest.raises(InvalidParameter, match="pip install skops"):
            lt.pyfunc.load_model(str(tmp_path / "mlflow_model"))
        return
    probabilities = lt.pyfunc.load_model(str(tmp_path / "mlflow_model")).predict(X)
    assert probabilities.shape == (len(X), 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert (probabilities.argmax(axis=1) == y.to_numpy()).mean() > 0.9


LOADER = """
import json


class _Offset:
    def __init__(self, offset):
        self.offset = offset

    def predict(self, model_input, params=None):
        return [row[0] + self.offset for row in model_input.values.tolist()]


def _load_pyfunc(data_path):
    with open(data_path) as file:
        return _Offset(json.load(file)["offset"])
"""


def test_a_loader_module_model_loads_in_a_fresh_process(tmp_path):
    """MLflow's loader_module + data_path: the module travels in code_paths, the data in
    data/, and loading calls _load_pyfunc(data_path)."""
    (tmp_path / "offset_loader.py").write_text(LOADER)
    (tmp_path / "offset.json").write_text('{"offset": 100}')
    info = lt.pyfunc.log_model(
        "offset",
        loader_module="offset_loader",
        data_path=str(tmp_path / "offset.json"),
        code_paths=[str(tmp_path / "offset_loader.py")],
    )
    entry = yaml.safe_load((_folder(info) / "MLmodel").read_text())["flavors"]["python_function"]
    assert entry["loader_module"] == "offset_loader" and entry["data"] == "data/offset.json"
    script = f"""
        import labtrack as lt, pandas as pd
        lt.set_tracking_uri({lt.get_tracking_uri()!r})
        print(lt.pyfunc.load_model({info.model_uri!r}).predict(pd.DataFrame({{"x": [1, 2]}})))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env={"PYTHONPATH": SRC, "LABTRACK_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[101,", "102]"]
