"""scikit-learn estimators (and anything built on ``BaseEstimator``: pipelines, xgboost's
wrappers), pickled with cloudpickle so that classes defined in a notebook load elsewhere.
The file is ``model.pkl``, as in MLflow."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter

NAME = "sklearn"
PACKAGES = ("scikit-learn", "cloudpickle")
MODEL_FILE = "model.pkl"


def matches(model: Any) -> bool:
    base = sys.modules.get("sklearn.base")
    return base is not None and isinstance(model, base.BaseEstimator)


def save(model: Any, folder: Path, serialization_format: str = "cloudpickle") -> dict[str, Any]:
    import sklearn

    if serialization_format not in ("cloudpickle", "pickle"):
        raise InvalidParameter(f"serialization_format must be 'cloudpickle' or 'pickle', got {serialization_format!r}")
    pickler = _pickle_module(serialization_format)
    with open(folder / MODEL_FILE, "wb") as file:
        pickler.dump(model, file)
    return {
        "pickled_model": MODEL_FILE,
        "sklearn_version": sklearn.__version__,
        "serialization_format": serialization_format,
        "code": None,
    }


def load(folder: Path, entry: dict[str, Any]) -> Any:
    from labtrack.artifacts import safe_join

    with open(safe_join(folder, entry.get("pickled_model", MODEL_FILE)), "rb") as file:
        return _pickle_module(entry.get("serialization_format", "cloudpickle")).load(file)


def predictor(model: Any):
    def predict(data: Any, params: dict | None = None) -> Any:
        return model.predict(data)

    return predict


def _pickle_module(serialization_format: str):
    if serialization_format == "cloudpickle":
        import cloudpickle

        return cloudpickle
    import pickle

    return pickle
