"""``lt.sklearn``: scikit-learn integration. Importing it does not import scikit-learn.

>>> import labtrack as lt            # doctest: +SKIP
>>> lt.sklearn.autolog()
>>> info = lt.sklearn.log_model(clf, "model", input_example=X[:5])
>>> clf = lt.sklearn.load_model(info.model_uri)      # the estimator itself
"""

from __future__ import annotations

from labtrack.autolog.sklearn import autolog
from labtrack.models.flavors.sklearn import load_model, log_model, save_model

__all__ = ["autolog", "load_model", "log_model", "save_model"]
