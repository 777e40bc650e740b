"""An ordinary MLflow model script runs with ``import labtrack as mlflow``."""

from __future__ import annotations

import numpy as np

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
        info = mlflow.sklearn.log_model(sk_model=iris_classifier, artifact_path="model",
                                        signature=signature, input_example=X.head(2),
                                        registered_model_name="iris-mlflow")
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(X), iris_classifier.predict(X))
    assert loaded.metadata.get_input_schema().input_names() == list(X.columns)
    assert info.registered_model_version == 1
    by_version = mlflow.pyfunc.load_model("models:/iris-mlflow/1")
    np.testing.assert_array_equal(by_version.predict(X), iris_classifier.predict(X))
    assert isinstance(mlflow.sklearn.load_model(info.model_uri), type(iris_classifier))
