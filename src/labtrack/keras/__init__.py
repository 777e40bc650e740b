"""``lt.keras``: Keras 3 integration (any backend). Importing it does not import Keras.

>>> import labtrack as lt            # doctest: +SKIP
>>> lt.keras.autolog()
>>> info = lt.keras.log_model(model, "model", input_example=x[:5])
>>> model = lt.keras.load_model(info.model_uri)      # a keras.Model
"""

from __future__ import annotations

from labtrack.autolog.keras import autolog
from labtrack.models.flavors.keras import load_model, log_model, save_model

__all__ = ["autolog", "load_model", "log_model", "save_model"]
