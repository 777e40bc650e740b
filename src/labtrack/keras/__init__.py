"""``lt.keras``: Keras 3 integration (any backend). Importing it does not import Keras.

>>> import labtrack as lt            # doctest: +SKIP
>>> lt.keras.autolog()
>>> model.fit(x, y, callbacks=[lt.keras.MlflowCallback()])   # or log a fit by hand
>>> info = lt.keras.log_model(model, "model", input_example=x[:5])
>>> model = lt.keras.load_model(info.model_uri)      # a keras.Model
"""

from __future__ import annotations

from typing import Any

from labtrack.autolog.keras import autolog
from labtrack.models.flavors.keras import load_model, log_model, save_model


def __getattr__(name: str) -> Any:
    # MlflowCallback's base class is Keras': built when first asked for. MLflowCallback is
    # MLflow's older spelling, kept there too.
    if name in ("MlflowCallback", "MLflowCallback"):
        from labtrack.keras.callback import callback_class

        return callback_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MlflowCallback", "autolog", "load_model", "log_model", "save_model"]
