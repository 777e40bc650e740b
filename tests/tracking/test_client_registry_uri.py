"""``Client(tracking_uri, registry_uri)`` (MlflowClient's signature): labtrack keeps the model
registry in the tracking store, so a registry URI naming another store is refused when the
client is made, and ``TrackingClient()`` checks the process's registry URI as ``lt.*`` does."""

from __future__ import annotations

from pathlib import Path

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.tracking.client import TrackingClient


def _store(tmp_path: Path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}"


def test_a_registry_uri_naming_the_tracking_store_is_accepted(tmp_path):
    uri = _store(tmp_path, "one.db")
    spellings = (uri, str(tmp_path / "one.db"), tmp_path / "one.db", "", None)
    for number, registry_uri in enumerate(spellings):
        client = lt.Client(tracking_uri=uri, registry_uri=registry_uri)
        client.create_registered_model(f"model-{number}")
    names = sorted(m.name for m in lt.Client(uri).search_registered_models())
    assert names == [f"model-{number}" for number in range(len(spellings))]


def test_a_registry_uri_naming_another_store_is_refused(tmp_path):
    with pytest.raises(InvalidParameter, match="keeps the model registry in the tracking store"):
        lt.Client(tracking_uri=_store(tmp_path, "one.db"), registry_uri=_store(tmp_path, "two.db"))
    with pytest.raises(InvalidParameter, match="'databricks-uc' names another store"):
        lt.Client(_store(tmp_path, "one.db"), "databricks-uc")
    with pytest.raises(InvalidParameter, match="registry_uri must be a string, got int"):
        lt.Client(_store(tmp_path, "one.db"), registry_uri=3)
    assert not (tmp_path / "two.db").exists()
    assert not (tmp_path / "one.db").exists()  # refused before the store was opened


def test_a_client_of_the_current_store_checks_the_process_registry_uri(tmp_path, monkeypatch):
    lt.set_registry_uri(_store(tmp_path, "registry.db"))  # no tracking URI yet: not checked
    lt.set_tracking_uri(_store(tmp_path, "tracking.db"))
    for make in (TrackingClient, lt.Client):
        with pytest.raises(InvalidParameter, match="registry URI .*registry.db"):
            make()
    lt.set_registry_uri(None)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "databricks-uc")
    with pytest.raises(InvalidParameter, match="'databricks-uc' names another store"):
        TrackingClient()
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", _store(tmp_path, "tracking.db"))
    assert TrackingClient().tracking_uri == lt.get_tracking_uri()
    # A client of a named store is that store's, whatever the process's registry URI says:
    # labtrack's copy tools read one store and write another.
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "databricks-uc")
    assert lt.Client(_store(tmp_path, "other.db")).search_registered_models() == []


def test_the_refusal_shows_no_password(tmp_path):
    registry = "postgresql://ada:s3cret-pw@db.example:5432/registry"
    with pytest.raises(InvalidParameter) as refused:
        lt.Client(tracking_uri=_store(tmp_path, "one.db"), registry_uri=registry)
    assert "s3cret-pw" not in str(refused.value)
    assert "postgresql://ada:***@db.example:5432/registry" in str(refused.value)
