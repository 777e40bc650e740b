"""Keras 3 models (any backend), saved in Keras' own ``.keras`` format. The backend is
recorded so that a process which has not imported Keras yet loads the model with it."""

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

NAME = "keras"
PACKAGES = ("keras",)
MODEL_FILE = "model.keras"


def matches(model: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(model, keras.Model)


def save(
    model: Any,
    folder: Path,
    save_model_kwargs: dict[str, Any] | None = None,
    code_paths: list[str] | None = None,
    conda_env: Any = None,
    extra_files: list[str] | None = None,
) -> dict[str, Any]:
    """``model.keras`` with ``model.save(path, **save_model_kwargs)``, and the backend."""
    import keras

    if save_model_kwargs is not None and not isinstance(save_model_kwargs, dict):
        raise InvalidParameter(
            f"save_model_kwargs must be a dict, got {type(save_model_kwargs).__name__}"
        )
    model.save(folder / MODEL_FILE, **(save_model_kwargs or {}))
    backend = keras.backend.backend()
    entry = {"model_file": MODEL_FILE, "keras_version": keras.__version__, "keras_backend": backend}
    return options.write_common(folder, entry, code_paths, conda_env, extra_files)


def load(
    folder: Path,
    entry: dict[str, Any],
    custom_objects: dict[str, Any] | None = None,
    load_model_kwargs: dict[str, Any] | None = None,
) -> Any:
    """The ``keras.Model``; ``custom_objects`` and ``load_model_kwargs`` go to
    ``keras.models.load_model``, as in MLflow."""
    if "keras" not in sys.modules and entry.get("keras_backend"):
        # Keras reads its backend once, on import; the user's own choice still wins.
        os.environ.setdefault("KERAS_BACKEND", entry["keras_backend"])
    import keras

    from labtrack.artifacts import safe_join

    if load_model_kwargs is not None and not isinstance(load_model_kwargs, dict):
        raise InvalidParameter(
            f"load_model_kwargs must be a dict, got {type(load_model_kwargs).__name__}"
        )
    return keras.models.load_model(
        safe_join(folder, entry.get("model_file", MODEL_FILE)),
        custom_objects=custom_objects,
        **(load_model_kwargs or {}),
    )


def predictor(model: Any, entry: dict[str, Any] | None = None):
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

    ``model`` is the ``keras.Model``. Keyword arguments are MLflow's: ``signature``,
    ``input_example``, ``registered_model_name``, ``pip_requirements``,
    ``extra_pip_requirements``, ``conda_env``, ``save_model_kwargs`` (for ``model.save``),
    ``metadata``, ``run_id``, ``await_registration_for`` (no effect: registration is
    synchronous) and ``artifact_path`` (MLflow's older name for ``name``); labtrack also
    takes ``code_paths`` and ``extra_files``. ``save_exported_model=True`` is refused with an
    ``InvalidParameter``. Returns the ``ModelInfo``.

    >>> info = lt.keras.log_model(model, "model", input_example=x[:5])   # doctest: +SKIP
    """
    chosen = options.prepare("lt.keras.log_model", kwargs, saving.log_model, save)
    return saving.log_model(model, name, flavor=NAME, **chosen)


def save_model(model: Any, path: str | os.PathLike, **kwargs: Any) -> ModelMetadata:
    """Save the Keras model ``model`` into the new (or empty) folder ``path``.

    Keyword arguments as ``log_model``'s, less the run and registry ones. Returns the saved
    ``MLmodel`` metadata.
    """
    chosen = options.prepare("lt.keras.save_model", kwargs, saving.save_model, save)
    return saving.save_model(model, path, flavor=NAME, **chosen)


def load_model(
    model_uri: str | os.PathLike,
    dst_path: str | None = None,
    custom_objects: dict[str, Any] | None = None,
    load_model_kwargs: dict[str, Any] | None = None,
) -> Any:
    """The ``keras.Model`` saved at ``model_uri`` (``runs:/``, ``models:/`` or a folder).

    A process that has not imported Keras yet loads it on the backend it was saved with
    (unless ``KERAS_BACKEND`` says otherwise). ``dst_path``: copy the model's folder there
    first. ``custom_objects`` and ``load_model_kwargs`` go to ``keras.models.load_model``.
    A model of another flavor is refused; ``lt.load_model`` loads any model as a
    ``PyFuncModel``.
    """
    return load_native(
        model_uri,
        NAME,
        dst_path,
        custom_objects=custom_objects,
        load_model_kwargs=load_model_kwargs,
    )
