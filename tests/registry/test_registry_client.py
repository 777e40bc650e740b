"""``RegistryClient`` says what it works on: the store's registry part and a way to open a
run's artifacts, both given when it is made (``labtrack.Client`` gives its tracking half's)."""

from __future__ import annotations

import labtrack as lt
from labtrack.registry.client import RegistryClient
from labtrack.tracking.client import TrackingClient


def test_the_registry_half_works_on_what_it_is_given_and_nothing_else(tracking_uri, run_id):
    tracking = TrackingClient(tracking_uri)
    opened: list[str] = []

    def open_run_artifacts(of_run: str):
        opened.append(of_run)
        return tracking._artifacts(of_run)

    registry = RegistryClient(tracking.store.registry, open_run_artifacts)
    assert not hasattr(registry, "store") and not hasattr(registry, "get_run")
    registry.create_registered_model("iris")
    version = registry.create_model_version("iris", f"runs:/{run_id}/model", run_id)
    uri = registry.get_model_version_download_uri("iris", version.version)
    assert opened == [run_id]
    assert uri == lt.Client(tracking_uri).get_model_version_download_uri("iris", 1)
    assert [v.version for v in registry.search_model_versions("name = 'iris'")] == [1]


def test_the_full_client_keeps_mlflows_names_on_one_store(tracking_uri, run_id):
    client = lt.Client(tracking_uri)
    assert lt.MlflowClient is lt.Client
    client.create_registered_model("iris")
    client.create_model_version("iris", f"runs:/{run_id}/model", run_id)
    # The registry half reads the store the tracking half writes: one store, one connection pool.
    assert client.get_model_version("iris", 1).run_id == client.get_run(run_id).info.run_id
    assert client.get_model_version_download_uri("iris", 1).endswith("/model")
