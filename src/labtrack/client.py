"""``Client`` (= MLflow's ``MlflowClient``): experiments, runs and artifacts from
``labtrack.tracking``'s ``TrackingClient``, the model registry from ``labtrack.registry``'s
``RegistryClient``, in one object.

>>> client = Client()                                                  # doctest: +SKIP
>>> client.get_metric_history(run_id, "loss")
>>> client.get_model_version_by_alias("iris-svm", "champion")
"""

from __future__ import annotations

import os

from labtrack.errors import InvalidParameter
from labtrack.registry.client import RegistryClient
from labtrack.tracking import tracking_uri as _uri
from labtrack.tracking.client import TrackingClient


class Client(TrackingClient, RegistryClient):
    """MLflow's ``MlflowClient``: explicit, id-based access to experiments, runs, artifacts
    and the model registry of one store.

    ``Client()`` uses the current tracking URI; ``Client("path/to/store.db")`` (or a
    ``sqlite:///`` / ``postgresql://`` URI) another store. Unlike the ``lt.`` functions it
    never starts or uses an active run: every call names its run.

    ``registry_uri`` is MlflowClient's: labtrack keeps the model registry in the tracking
    store, so it may only name that store (``InvalidParameter`` otherwise, before anything is
    registered in the wrong place); None leaves the registry in the tracking store.

    >>> client = lt.Client()  # doctest: +SKIP
    >>> client.log_metric(run_id, "loss", 0.25, step=3)
    """

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None):
        if registry_uri is not None:
            if not isinstance(registry_uri, (str, os.PathLike)):
                raise InvalidParameter(
                    f"registry_uri must be a string, got {type(registry_uri).__name__}"
                )
            if os.fspath(registry_uri):  # "" is MLflow's "not given"
                # set_registry_uri's own rule; before the store is opened (or created)
                store = tracking_uri or _uri.get_tracking_uri()
                _uri.check_same_store(os.fspath(registry_uri), store)
        TrackingClient.__init__(self, tracking_uri)
        # The registry half works on the same store, and opens a run's artifacts as the
        # tracking half does (the artifact root it caches per run included).
        RegistryClient.__init__(self, self.store.registry, self._artifacts)


MlflowClient = Client

__all__ = ["Client", "MlflowClient"]
