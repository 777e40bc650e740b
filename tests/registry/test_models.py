"""Registered models: create, read, rename, describe, tag, delete; errors name what is wrong."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.entities import RegisteredModel
from labtrack.errors import AlreadyExists, InvalidParameter, NotFound


def test_a_created_model_reads_back_with_its_tags_and_description(client):
    created = client.create_registered_model(
        "iris", tags={"team": "vision", "n": 3}, description="svm"
    )
    read = client.get_registered_model("iris")
    assert isinstance(read, RegisteredModel)
    assert read == created
    assert (read.name, read.description, read.tags) == ("iris", "svm", {"team": "vision", "n": "3"})
    assert read.latest_versions == [] and read.aliases == {}
    assert read.creation_timestamp == read.last_updated_timestamp > 0


def test_a_taken_name_is_refused(client):
    client.create_registered_model("iris")
    with pytest.raises(AlreadyExists, match="'iris' already exists"):
        client.create_registered_model("iris")


def test_a_missing_model_is_not_found_by_any_call(client):
    with pytest.raises(NotFound, match="no registered model named 'ghost'"):
        client.get_registered_model("ghost")
    for call in (
        lambda: client.create_model_version("ghost", "/tmp/m"),
        lambda: client.get_latest_versions("ghost"),
        lambda: client.delete_registered_model("ghost"),
        lambda: client.set_registered_model_tag("ghost", "k", "v"),
        lambda: client.get_registry_history("ghost"),
    ):
        with pytest.raises(NotFound, match="'ghost'"):
            call()


@pytest.mark.parametrize("name", ["", "  ", "a/b", "a@b", "x" * 257, "tab\there", None, 3])
def test_bad_model_names_are_refused(client, name):
    with pytest.raises(InvalidParameter, match="registered model name"):
        client.create_registered_model(name)


def test_renaming_moves_versions_and_refuses_a_taken_name(client):
    client.create_registered_model("iris")
    client.create_model_version("iris", "/tmp/m1")
    client.create_registered_model("other")
    with pytest.raises(AlreadyExists, match="'other'"):
        client.rename_registered_model("iris", "other")
    renamed = client.rename_registered_model("iris", "iris-svm")
    assert renamed.name == "iris-svm"
    assert client.get_model_version("iris-svm", 1).name == "iris-svm"
    with pytest.raises(NotFound):
        client.get_registered_model("iris")


def test_update_sets_the_description(client):
    client.create_registered_model("iris", description="old")
    client.update_registered_model("iris", description="new")
    assert client.get_registered_model("iris").description == "new"


def test_tags_are_set_overwritten_and_deleted(client):
    client.create_registered_model("iris", tags={"a": "1"})
    client.set_registered_model_tag("iris", "a", "2")
    client.set_registered_model_tag("iris", "b", 3.5)
    assert client.get_registered_model("iris").tags == {"a": "2", "b": "3.5"}
    client.delete_registered_model_tag("iris", "a")
    assert client.get_registered_model("iris").tags == {"b": "3.5"}
    with pytest.raises(NotFound, match="no tag 'a'"):
        client.delete_registered_model_tag("iris", "a")


def test_deleting_a_model_deletes_its_versions_tags_and_aliases(client):
    client.create_registered_model("iris", tags={"a": "1"})
    client.create_model_version("iris", "/tmp/m1", tags={"t": "x"})
    client.set_registered_model_alias("iris", "champion", 1)
    client.delete_registered_model("iris")
    with pytest.raises(NotFound):
        client.get_model_version("iris", 1)
    # A new model of the same name starts empty: nothing of the old one leaks into it.
    client.create_registered_model("iris")
    fresh = client.get_registered_model("iris")
    assert (fresh.tags, fresh.aliases, fresh.latest_versions) == ({}, {}, [])
    assert client.create_model_version("iris", "/tmp/m2").version == 1
    assert [event.action for event in client.get_registry_history("iris")] == [
        "create_version",
        "create_model",
    ]


def test_client_is_mlflow_client_with_tracking_and_registry(tracking_uri):
    assert lt.MlflowClient is lt.Client
    client = lt.MlflowClient()
    assert hasattr(client, "get_metric_history") and hasattr(client, "get_model_version_by_alias")
    from labtrack.tracking import MlflowClient

    assert MlflowClient is lt.Client
