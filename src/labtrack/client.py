"""``Client`` (= MLflow's ``MlflowClient``): experiments, runs and artifacts from
``labtrack.tracking``'s ``TrackingClient``, the model registry from ``labtrack.registry``'s
``RegistryClient``, in one object.

>>> client = Client()                                                  # doctest: +SKIP
>>> client.get_metric_history(run_id, "loss")
>>> client.get_model_version_by_alias("iris-svm", "champion")
"""

from __future__ import annotations

from labtrack.registry.client import RegistryClient
from labtrack.tracking.client import TrackingClient


class Client(TrackingClient, RegistryClient):
    """MLflow's ``MlflowClient``: explicit, id-based access to experiments, runs, artifacts
    and the model registry of one store.

    ``Client()`` uses the current tracking URI; ``Client("path/to/store.db")`` (or a
    ``sqlite:///`` / ``postgresql://`` URI) another store. Unlike the ``lt.`` functions it
    never starts or uses an active run: every call names its run.

    >>> client = lt.Client()  # doctest: +SKIP
    >>> client.log_metric(run_id, "loss", 0.25, step=3)
    """

    def __init__(self, tracking_uri: str | None = None):
        TrackingClient.__init__(self, tracking_uri)
        # The registry half works on the same store, and opens a run's artifacts as the
        # tracking half does (the artifact root it caches per run included).
        RegistryClient.__init__(self, self.store.registry, self._artifacts)


MlflowClient = Client

__all__ = ["Client", "MlflowClient"]
