"""Keras 3 models (any backend), saved in Keras' own ``.keras`` format. The backend is
recorded so that a process which has not imported Keras yet loads the model with it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

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
