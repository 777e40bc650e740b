"""The registry's history: every change, with who, what, from, to, when and the comment."""

from __future__ import annotations

import pytest

from labtrack.entities import RegistryEvent
from labtrack.errors import InvalidParameter, NotFound


def _summary(events: list[RegistryEvent]) -> list[tuple]:
    return [(e.action, e.version, e.key, e.from_value, e.to_value, e.comment) for e in events]


def test_every_change_is_recorded_newest_first(client):
    client.create_registered_model("iris")
    client.create_model_version("iris", "/tmp/m1")
    client.create_model_version("iris", "/tmp/m2")
    client.transition_model_version_stage("iris", 1, "Staging", comment="smoke tests pass")
    client.transition_model_version_stage("iris", 1, "Production")
    client.set_registered_model_alias("iris", "champion", 1, comment="first")
    client.set_registered_model_alias("iris", "champion", 2, comment="beats v1 on holdout")
    client.delete_registered_model_alias("iris", "champion", comment="rollback")
    client.set_registered_model_tag("iris", "team", "vision")
    client.update_model_version("iris", 2, description="v2")
    assert _summary(client.get_registry_history("iris")) == [
        ("update_version", 2, None, None, "v2", None),
        ("set_model_tag", None, "team", None, "vision", None),
        ("delete_alias", 2, "champion", "2", None, "rollback"),
        ("set_alias", 2, "champion", "1", "2", "beats v1 on holdout"),
        ("set_alias", 1, "champion", None, "1", "first"),
        ("transition_stage", 1, None, "Staging", "Production", None),
        ("transition_stage", 1, None, "None", "Staging", "smoke tests pass"),
        ("create_version", 2, None, None, "/tmp/m2", None),
        ("create_version", 1, None, None, "/tmp/m1", None),
        ("create_model", None, None, None, None, None),
    ]


def test_history_records_who_and_when(client, registry_user):
    client.create_registered_model("iris")
    client.create_model_version("iris", "/tmp/m1")
    events = client.get_registry_history("iris")
    assert {e.user_id for e in events} == {registry_user}
    assert events[0].timestamp >= events[1].timestamp > 0
    assert client.get_model_version("iris", 1).user_id == registry_user


def test_a_caller_may_say_who_made_the_change(client, registry_user):
    client.create_registered_model("iris", user="grace")
    client.create_model_version("iris", "/tmp/m1", user="grace")
    client.transition_model_version_stage("iris", 1, "Staging", user="linus")
    client.set_registered_model_alias("iris", "champion", 1, user="linus")
    client.delete_registered_model_alias("iris", "champion", user="grace")
    client.set_model_version_tag("iris", 1, "k", "v", user="linus")
    client.update_model_version("iris", 1, description="d")  # no user: the process's login
    assert [e.user_id for e in client.get_registry_history("iris")] == [
        registry_user,
        "linus",
        "grace",
        "linus",
        "linus",
        "grace",
        "grace",
    ]
    assert client.get_model_version("iris", 1).user_id == "grace"
    with pytest.raises(InvalidParameter, match="user must be a string"):
        client.update_model_version("iris", 1, description="d", user=42)


def test_history_of_one_version(client):
    client.create_registered_model("iris")
    client.create_model_version("iris", "/tmp/m1")
    client.create_model_version("iris", "/tmp/m2")
    client.transition_model_version_stage("iris", "2", "Production", comment="go")
    assert _summary(client.get_registry_history("iris", version="2")) == [
        ("transition_stage", 2, None, "None", "Production", "go"),
        ("create_version", 2, None, None, "/tmp/m2", None),
    ]


def test_history_follows_a_renamed_model(client):
    client.create_registered_model("iris")
    client.rename_registered_model("iris", "iris-svm")
    events = client.get_registry_history("iris-svm")
    assert [(e.action, e.name, e.from_value, e.to_value) for e in events] == [
        ("rename_model", "iris-svm", "iris", "iris-svm"),
        ("create_model", "iris", None, None),
    ]


def test_deleting_a_version_records_its_aliases_going(client):
    client.create_registered_model("iris")
    client.create_model_version("iris", "/tmp/m1")
    client.transition_model_version_stage("iris", 1, "Production")
    client.set_registered_model_alias("iris", "champion", 1)
    client.delete_model_version("iris", 1)
    assert _summary(client.get_registry_history("iris"))[:2] == [
        ("delete_version", 1, None, "Production", None, None),
        ("delete_alias", 1, "champion", "1", None, "version 1 was deleted"),
    ]


def test_a_failed_change_records_nothing(client):
    client.create_registered_model("iris")
    client.create_model_version("iris", "/tmp/m1")
    before = client.get_registry_history("iris")
    with pytest.raises(NotFound):
        client.set_registered_model_alias("iris", "champion", 5)
    assert client.get_registry_history("iris") == before
