"""``Client`` (= MLflow's ``MlflowClient``): experiments, runs and artifacts from
``labtrack.tracking``, the model registry from ``labtrack.registry``, in one object.

>>> client = Client()                                                  # doctest: +SKIP
>>> client.get_metric_history(run_id, "loss")
>>> client.get_model_version_by_alias("iris-svm", "champion")
"""

from __future__ import annotations

from labtrack.registry.client import RegistryClient
from labtrack.tracking.client import Client as TrackingClient


class Client(TrackingClient, RegistryClient):
    """Explicit access to a store. ``Client()`` uses the current tracking URI."""


MlflowClient = Client

__all__ = ["Client", "MlflowClient"]
