"""``lt.sklearn``: scikit-learn integration. Importing it does not import scikit-learn.

>>> import labtrack as lt            # doctest: +SKIP
>>> lt.sklearn.autolog()
>>> info = lt.sklearn.log_model(clf, "model", input_example=X[:5])
>>> clf = lt.sklearn.load_model(info.model_uri)      # the estimator itself
"""

from __future__ import annotations

import os
from typing import Any

from labtrack.autolog.sklearn import autolog


def log_model(sk_model: Any, name: str | None = None, **kwargs: Any):
    """Log an estimator (``model.pkl``, cloudpickle; ``serialization_format="pickle"`` for
    plain pickle) into the active run. Arguments as ``lt.log_model``; returns ``ModelInfo``."""
    from labtrack.models import log_model as log

    return log(sk_model, name, flavor="sklearn", **kwargs)


def save_model(sk_model: Any, path: str | os.PathLike, **kwargs: Any):
    """Save an estimator into the new folder ``path``."""
    from labtrack.models import save_model as save

    return save(sk_model, path, flavor="sklearn", **kwargs)


def load_model(model_uri: str | os.PathLike, dst_path: str | None = None) -> Any:
    """The estimator saved at ``model_uri`` (``runs:/``, ``models:/`` or a folder)."""
    from labtrack.models import load_native

    return load_native(model_uri, "sklearn", dst_path)


__all__ = ["autolog", "load_model", "log_model", "save_model"]
