"""``lt.keras``: Keras 3 integration (any backend). Importing it does not import Keras.

>>> import labtrack as lt            # doctest: +SKIP
>>> lt.keras.autolog()
>>> info = lt.keras.log_model(model, "model", input_example=x[:5])
>>> model = lt.keras.load_model(info.model_uri)      # a keras.Model
"""

from __future__ import annotations

import os
from typing import Any

from labtrack.autolog.keras import autolog


def log_model(model: Any, name: str | None = None, **kwargs: Any):
    """Log a Keras model (``model.keras``) into the active run. Arguments as
    ``lt.log_model``; returns ``ModelInfo``."""
    from labtrack.models import log_model as log

    return log(model, name, flavor="keras", **kwargs)


def save_model(model: Any, path: str | os.PathLike, **kwargs: Any):
    """Save a Keras model into the new folder ``path``."""
    from labtrack.models import save_model as save

    return save(model, path, flavor="keras", **kwargs)


def load_model(model_uri: str | os.PathLike, dst_path: str | None = None) -> Any:
    """The ``keras.Model`` saved at ``model_uri``. A process that has not imported Keras
    yet loads it on the backend it was saved with (unless ``KERAS_BACKEND`` says otherwise)."""
    from labtrack.models import load_native

    return load_native(model_uri, "keras", dst_path)


__all__ = ["autolog", "load_model", "log_model", "save_model"]
