"""Keras 3 models (any backend), saved in Keras' own ``.keras`` format. The backend is
recorded so that a process which has not imported Keras yet loads the model with it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from labtrack.models import save as saving
from labtrack.models.load import load_native
from labtrack.models.metadata import ModelMetadata

NAME = "keras"
PACKAGES = ("keras",)
MODEL_FILE = "model.keras"


def matches(model: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(model, keras.Model)


def save(model: Any, folder: Path) -> dict[str, Any]:
    import keras

    model.save(folder / MODEL_FILE)
    backend = keras.backend.backend()
    return {"model_file": MODEL_FILE, "keras_version": keras.__version__, "keras_backend": backend}


def load(folder: Path, entry: dict[str, Any]) -> Any:
    if "keras" not in sys.modules and entry.get("keras_backend"):
        # Keras reads its backend once, on import; the user's own choice still wins.
        os.environ.setdefault("KERAS_BACKEND", entry["keras_backend"])
    import keras

    from labtrack.artifacts import safe_join

    return keras.models.load_model(safe_join(folder, entry.get("model_file", MODEL_FILE)))


def predictor(model: Any):
    def predict(data: Any, params: dict | None = None) -> Any:
        import numpy as np

        array = np.asarray(data.to_numpy() if hasattr(data, "to_numpy") else data)
        output = model.predict(array, verbose=0)
        return np.asarray(output) if not isinstance(output, (dict, list)) else output

    return predict


# -- lt.keras's log_model / save_model / load_model, with MLflow's parameter names: each fixes
# the flavor and hands the rest to lt.log_model, lt.models.save_model or load_native.


def log_model(model: Any, name: str | None = None, **kwargs: Any) -> saving.ModelInfo:
    """Log a Keras 3 model (any backend) as ``name`` among the active run's artifacts (a run
    is started if none is active): ``model.keras``, Keras' own format, and its backend.

    ``model`` is the ``keras.Model``. Other keyword arguments are ``lt.log_model``'s:
    ``signature``, ``input_example``, ``registered_model_name``, ``pip_requirements``,
    ``extra_pip_requirements``, ``metadata``, ``run_id``, and ``artifact_path`` (MLflow's
    older name for ``name``). Returns the ``ModelInfo``.

    >>> info = lt.keras.log_model(model, "model", input_example=x[:5])   # doctest: +SKIP
    """
    return saving.log_model(model, name, flavor=NAME, **kwargs)


def save_model(model: Any, path: str | os.PathLike, **kwargs: Any) -> ModelMetadata:
    """Save the Keras model ``model`` into the new (or empty) folder ``path``.

    Keyword arguments as ``log_model``'s, less the run and registry ones. Returns the saved
    ``MLmodel`` metadata.
    """
    return saving.save_model(model, path, flavor=NAME, **kwargs)


def load_model(model_uri: str | os.PathLike, dst_path: str | None = None) -> Any:
    """The ``keras.Model`` saved at ``model_uri`` (``runs:/``, ``models:/`` or a folder).

    A process that has not imported Keras yet loads it on the backend it was saved with
    (unless ``KERAS_BACKEND`` says otherwise). ``dst_path``: copy the model's folder there
    first. A model of another flavor is refused; ``lt.load_model`` loads any model as a
    ``PyFuncModel``.
    """
    return load_native(model_uri, NAME, dst_path)
