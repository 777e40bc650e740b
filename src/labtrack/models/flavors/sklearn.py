"""scikit-learn estimators (and anything built on ``BaseEstimator``: pipelines, xgboost's
wrappers), pickled with cloudpickle so that classes defined in a notebook load elsewhere.
The file is ``model.pkl``, as in MLflow; ``serialization_format="skops"`` writes MLflow's
default, ``model.skops`` (needs the skops package), which models saved by MLflow use."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter
from labtrack.models import save as saving
from labtrack.models.flavors import options
from labtrack.models.load import load_native
from labtrack.models.metadata import ModelMetadata

NAME = "sklearn"
PACKAGES = ("scikit-learn", "cloudpickle")
MODEL_FILE = "model.pkl"
SKOPS_FILE = "model.skops"  # MLflow's name
FORMATS = ("cloudpickle", "pickle", "skops")


def matches(model: Any) -> bool:
    base = sys.modules.get("sklearn.base")
    return base is not None and isinstance(model, base.BaseEstimator)


# MLflow's choices for what a sklearn model's pyfunc predict calls.
PREDICT_FUNCTIONS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "predict_joint_log_proba",
    "score",
)


def save(
    model: Any,
    folder: Path,
    serialization_format: str | None = None,
    pyfunc_predict_fn: str = "predict",
    skops_trusted_types: list[str] | None = None,
    code_paths: list[str] | None = None,
    conda_env: Any = None,
    extra_files: list[str] | None = None,
) -> dict[str, Any]:
    """``model.pkl`` with cloudpickle or pickle, or ``model.skops`` with skops (MLflow's
    default, safe to load: types outside skops' defaults and ``skops_trusted_types`` are
    refused); ``pyfunc_predict_fn`` is the method the loaded ``PyFuncModel.predict`` calls
    (MLflow's: predict, predict_proba, ...). Without ``serialization_format``: cloudpickle,
    or skops when ``skops_trusted_types`` is given (MLflow code that trusts types means skops,
    MLflow's default)."""
    import sklearn

    if serialization_format is None:
        serialization_format = "cloudpickle" if skops_trusted_types is None else "skops"
    if serialization_format not in FORMATS:
        raise InvalidParameter(
            f"serialization_format must be one of {', '.join(FORMATS)}, got "
            f"{serialization_format!r}"
        )
    if skops_trusted_types is not None and serialization_format != "skops":
        raise InvalidParameter("skops_trusted_types applies to serialization_format='skops'")
    if pyfunc_predict_fn not in PREDICT_FUNCTIONS:
        raise InvalidParameter(
            f"pyfunc_predict_fn must be one of {', '.join(PREDICT_FUNCTIONS)}, "
            f"got {pyfunc_predict_fn!r}"
        )
    if not callable(getattr(model, pyfunc_predict_fn, None)):
        raise InvalidParameter(
            f"pyfunc_predict_fn={pyfunc_predict_fn!r}: a {type(model).__name__} has no such method"
        )
    entry = {
        "pickled_model": SKOPS_FILE if serialization_format == "skops" else MODEL_FILE,
        "sklearn_version": sklearn.__version__,
        "serialization_format": serialization_format,
        "code": None,
    }
    if serialization_format == "skops":
        entry["skops_trusted_types"] = _skops_dump(model, folder / SKOPS_FILE, skops_trusted_types)
    else:
        with open(folder / MODEL_FILE, "wb") as file:
            _pickle_module(serialization_format).dump(model, file)
    if pyfunc_predict_fn != "predict":
        entry["pyfunc_predict_fn"] = pyfunc_predict_fn
    return options.write_common(folder, entry, code_paths, conda_env, extra_files)


def load(folder: Path, entry: dict[str, Any]) -> Any:
    from labtrack.artifacts import safe_join

    path = safe_join(folder, entry.get("pickled_model", MODEL_FILE))
    serialization_format = entry.get("serialization_format", "cloudpickle")
    if serialization_format == "skops":
        return _skops().load(path, trusted=entry.get("skops_trusted_types"))
    with open(path, "rb") as file:
        return _pickle_module(serialization_format).load(file)


def _skops():
    try:
        import skops.io
    except ImportError:
        raise InvalidParameter(
            "this is a skops model (MLflow's default format for scikit-learn): "
            "pip install skops to save or load it"
        ) from None
    return skops.io


def _skops_dump(model: Any, path: Path, trusted: list[str] | None) -> list[str] | None:
    """Write ``model`` with skops, and check that it loads with the types trusted (as MLflow
    does), so that a model which could never be loaded is refused when saved."""
    sio = _skops()
    if trusted is not None and (
        isinstance(trusted, str) or not all(isinstance(t, str) for t in trusted)
    ):
        raise InvalidParameter(f"skops_trusted_types must be a list of type names, got {trusted!r}")
    sio.dump(model, path)
    untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in (trusted or [])]
    if untrusted:
        raise InvalidParameter(
            f"skops would refuse to load this model: trust its types with "
            f"skops_trusted_types={untrusted!r}"
        )
    return list(trusted) if trusted is not None else None


def predictor(model: Any, entry: dict[str, Any] | None = None):
    method = getattr(model, (entry or {}).get("pyfunc_predict_fn", "predict"))

    def predict(data: Any, params: dict | None = None) -> Any:
        return method(data)

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

    ``sk_model`` is the estimator (anything built on ``BaseEstimator``). Keyword arguments
    are MLflow's: ``serialization_format`` ("cloudpickle", "pickle", or "skops" with
    ``skops_trusted_types``: needs the skops package; ``skops_trusted_types`` alone means
    "skops"), ``pyfunc_predict_fn``
    (the method ``lt.load_model(...).predict`` calls, e.g. "predict_proba"), ``signature``,
    ``input_example``, ``registered_model_name``, ``pip_requirements``,
    ``extra_pip_requirements``, ``conda_env``, ``code_paths`` (copied in and put on
    ``sys.path`` when loading), ``extra_files``, ``metadata``, ``run_id``,
    ``await_registration_for`` (no effect: registration is synchronous) and ``artifact_path``
    (MLflow's older name for ``name``). Returns the ``ModelInfo``.

    >>> info = lt.sklearn.log_model(clf, "model", input_example=X[:5])   # doctest: +SKIP
    """
    chosen = options.prepare("lt.sklearn.log_model", kwargs, saving.log_model, save)
    return saving.log_model(sk_model, name, flavor=NAME, **chosen)


def save_model(sk_model: Any, path: str | os.PathLike, **kwargs: Any) -> ModelMetadata:
    """Save the estimator ``sk_model`` into the new (or empty) folder ``path``.

    Keyword arguments as ``log_model``'s, less the run and registry ones. Returns the saved
    ``MLmodel`` metadata.
    """
    chosen = options.prepare("lt.sklearn.save_model", kwargs, saving.save_model, save)
    return saving.save_model(sk_model, path, flavor=NAME, **chosen)


def load_model(model_uri: str | os.PathLike, dst_path: str | None = None) -> Any:
    """The estimator itself, saved at ``model_uri`` (``runs:/``, ``models:/`` or a folder).

    ``dst_path``: copy the model's folder there first. A model of another flavor is refused;
    ``lt.load_model`` loads any model as a ``PyFuncModel``.
    """
    return load_native(model_uri, NAME, dst_path)
