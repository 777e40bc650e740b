"""An ordinary MLflow model script runs with ``import labtrack as mlflow``."""

from __future__ import annotations

import importlib
import inspect
import sys

import numpy as np
import pytest

import labtrack as mlflow
import labtrack.pyfunc  # noqa: F401  (mlflow.pyfunc)
import labtrack.sklearn  # noqa: F401  (mlflow.sklearn)
from labtrack.models import infer_signature
from labtrack.models.signature import ModelSignature


def test_mlflow_style_script(iris, iris_classifier):
    X, _ = iris
    signature = infer_signature(X, iris_classifier.predict(X))
    assert isinstance(signature, ModelSignature)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            sk_model=iris_classifier,
            artifact_path="model",
            signature=signature,
            input_example=X.head(2),
            registered_model_name="iris-mlflow",
        )
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(X), iris_classifier.predict(X))
    assert loaded.metadata.get_input_schema().input_names() == list(X.columns)
    assert info.registered_model_version == 1
    by_version = mlflow.pyfunc.load_model("models:/iris-mlflow/1")
    np.testing.assert_array_equal(by_version.predict(X), iris_classifier.predict(X))
    assert isinstance(mlflow.sklearn.load_model(info.model_uri), type(iris_classifier))


@pytest.mark.parametrize(
    "namespace, keyword, load_parameters",
    [
        ("sklearn", "sk_model", []),
        ("keras", "model", ["custom_objects", "load_model_kwargs"]),
        ("pytorch", "pytorch_model", ["kwargs"]),  # MLflow's **kwargs, for torch.load
    ],
)
def test_flavor_namespaces_take_mlflows_keywords(namespace, keyword, load_parameters):
    api = importlib.import_module(f"labtrack.{namespace}")
    assert list(inspect.signature(api.log_model).parameters) == [keyword, "name", "kwargs"]
    assert list(inspect.signature(api.save_model).parameters) == [keyword, "path", "kwargs"]
    assert list(inspect.signature(api.load_model).parameters) == [
        "model_uri",
        "dst_path",
        *load_parameters,
    ]


@pytest.mark.parametrize("namespace", ["sklearn", "keras", "pytorch", "pyfunc"])
@pytest.mark.parametrize("function_name", ["log_model", "save_model", "load_model"])
def test_flavor_functions_are_plain_functions_where_they_are_defined(namespace, function_name):
    """Go-to-definition and ``help()`` land on a written-out ``def``: the function's
    ``__module__`` and ``__qualname__`` name it, its source is a module-level ``def`` of that
    name in that module's file, and nothing overrides its signature."""
    function = getattr(importlib.import_module(f"labtrack.{namespace}"), function_name)
    assert inspect.isfunction(function) and function.__doc__
    module = sys.modules[function.__module__]
    assert "." not in function.__qualname__  # module level: not a closure nor a method
    assert getattr(module, function.__qualname__) is function
    assert function.__code__.co_name == function.__name__ == function_name
    assert not hasattr(function, "__signature__") and not hasattr(function, "__wrapped__")
    lines, _ = inspect.getsourcelines(function)
    assert lines[0].startswith(f"def {function_name}(")
    assert inspect.getsourcefile(function) == module.__file__


def test_flavor_namespace_calls_by_position_or_keyword(iris, iris_classifier, tmp_path):
    X, _ = iris
    mlflow.sklearn.save_model(sk_model=iris_classifier, path=tmp_path / "kw")
    mlflow.sklearn.save_model(iris_classifier, str(tmp_path / "pos"))
    info = mlflow.sklearn.log_model(iris_classifier, "model")
    for uri in (tmp_path / "kw", tmp_path / "pos", info.model_uri):
        assert isinstance(mlflow.sklearn.load_model(uri), type(iris_classifier))
    np.testing.assert_array_equal(
        mlflow.sklearn.load_model(info.model_uri, dst_path=str(tmp_path / "copy")).predict(X),
        iris_classifier.predict(X),
    )
    with pytest.raises(TypeError, match="sk_model"):
        mlflow.sklearn.log_model(model=iris_classifier)
