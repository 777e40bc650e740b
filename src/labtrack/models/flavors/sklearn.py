"""scikit-learn estimators (and anything built on ``BaseEstimator``: pipelines, xgboost's
wrappers), pickled with cloudpickle so that classes defined in a notebook load elsewhere.
The file is ``model.pkl``, as in MLflow."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter
from labtrack.models import save as saving
from labtrack.models.load import load_native
from labtrack.models.metadata import ModelMetadata

NAME = "sklearn"
PACKAGES = ("scikit-learn", "cloudpickle")
MODEL_FILE = "model.pkl"


def matches(model: Any) -> bool:
    base = sys.modules.get("sklearn.base")
    return base is not None and isinstance(model, base.BaseEstimator)


def save(model: Any, folder: Path, serialization_format: str = "cloudpickle") -> dict[str, Any]:
    import sklearn

    if serialization_format not in ("cloudpickle", "pickle"):
        raise InvalidParameter(
            f"serialization_format must be 'cloudpickle' or 'pickle', got {serialization_format!r}"
        )
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


# -- lt.sklearn's log_model / save_model / load_model, with MLflow's parameter names: each
# fixes the flavor and hands the rest to lt.log_model, lt.models.save_model or load_native.


def log_model(sk_model: Any, name: str | None = None, **kwargs: Any) -> saving.ModelInfo:
    """Log a scikit-learn estimator as ``name`` among the active run's artifacts (a run is
    started if none is active): ``model.pkl``, pickled with cloudpickle.

    ``sk_model`` is the estimator (anything built on ``BaseEstimator``).
    ``serialization_format="pickle"`` saves it with plain pickle instead. Other keyword
    arguments are ``lt.log_model``'s: ``signature``, ``input_example``,
    ``registered_model_name``, ``pip_requirements``, ``extra_pip_requirements``, ``metadata``,
    ``run_id``, and ``artifact_path`` (MLflow's older name for ``name``). Returns the
    ``ModelInfo``.

    >>> info = lt.sklearn.log_model(clf, "model", input_example=X[:5])   # doctest: +SKIP
    """
    return saving.log_model(sk_model, name, flavor=NAME, **kwargs)


def save_model(sk_model: Any, path: str | os.PathLike, **kwargs: Any) -> ModelMetadata:
    """Save the estimator ``sk_model`` into the new (or empty) folder ``path``.

    Keyword arguments as ``log_model``'s, less the run and registry ones. Returns the saved
    ``MLmodel`` metadata.
    """
    return saving.save_model(sk_model, path, flavor=NAME, **kwargs)


def load_model(model_uri: str | os.PathLike, dst_path: str | None = None) -> Any:
    """The estimator itself, saved at ``model_uri`` (``runs:/``, ``models:/`` or a folder).

    ``dst_path``: copy the model's folder there first. A model of another flavor is refused;
    ``lt.load_model`` loads any model as a ``PyFuncModel``.
    """
    return load_native(model_uri, NAME, dst_path)
