"""Stages (MLflow's transitions, archiving only when asked) and aliases (which move when re-set)."""

from __future__ import annotations

import pytest

from labtrack.errors import InvalidParameter, NotFound


@pytest.fixture
def three_versions(client):
    client.create_registered_model("iris")
    for i in range(3):
        client.create_model_version("iris", f"/tmp/m{i + 1}")
    return client


def _stages(client, name="iris"):
    return {v.version: v.current_stage for v in client.search_model_versions(f"name = '{name}'")}


def test_stages_are_case_insensitive_and_canonical(three_versions):
    client = three_versions
    assert (
        client.transition_model_version_stage("iris", 1, "production").current_stage == "Production"
    )
    assert client.transition_model_version_stage("iris", "2", "STAGING").current_stage == "Staging"
    assert client.transition_model_version_stage("iris", 2, "none").current_stage == "None"
    with pytest.raises(InvalidParameter, match="unknown stage 'prod'"):
        client.transition_model_version_stage("iris", 1, "prod")


def test_a_transition_leaves_other_versions_alone_unless_asked(three_versions):
    client = three_versions
    client.transition_model_version_stage("iris", 1, "Production")
    client.transition_model_version_stage("iris", 2, "Production")
    assert _stages(client) == {1: "Production", 2: "Production", 3: "None"}


def test_archive_existing_versions_archives_only_the_target_stage(three_versions):
    client = three_versions
    client.transition_model_version_stage("iris", 1, "Production")
    client.transition_model_version_stage("iris", 2, "Staging")
    client.transition_model_version_stage("iris", 3, "Production", archive_existing_versions=True)
    assert _stages(client) == {1: "Archived", 2: "Staging", 3: "Production"}
    archived = client.get_registry_history("iris", version=1)[0]
    assert (archived.action, archived.from_value, archived.to_value) == (
        "transition_stage",
        "Production",
        "Archived",
    )
    assert "version 3 moved to Production" in archived.comment


def test_archive_existing_versions_needs_staging_or_production(three_versions):
    with pytest.raises(InvalidParameter, match="archive_existing_versions"):
        three_versions.transition_model_version_stage(
            "iris", 1, "Archived", archive_existing_versions=True
        )


def test_latest_versions_are_the_newest_per_stage(three_versions):
    client = three_versions
    client.transition_model_version_stage("iris", 1, "Production")
    client.transition_model_version_stage("iris", 2, "Production")
    latest = client.get_latest_versions("iris")
    assert [(v.version, v.current_stage) for v in latest] == [(3, "None"), (2, "Production")]
    assert [v.version for v in client.get_latest_versions("iris", stages=["production"])] == [2]
    assert client.get_latest_versions("iris", stages=["Staging"]) == []
    assert client.get_registered_model("iris").latest_versions == latest


def test_set_model_version_tag_by_stage(three_versions):
    client = three_versions
    client.transition_model_version_stage("iris", 2, "Staging")
    client.set_model_version_tag("iris", key="checked", value="yes", stage="staging")
    assert client.get_model_version("iris", 2).tags == {"checked": "yes"}
    with pytest.raises(NotFound, match="no version in stage"):
        client.set_model_version_tag("iris", key="k", value="v", stage="Production")


def test_an_alias_points_at_a_version_and_moves_when_set_again(three_versions):
    client = three_versions
    client.set_registered_model_alias("iris", "champion", 1)
    assert client.get_model_version_by_alias("iris", "champion").version == 1
    assert client.get_model_version("iris", 1).aliases == ["champion"]
    client.set_registered_model_alias("iris", "champion", "3")
    assert client.get_model_version_by_alias("iris", "champion").version == 3
    assert client.get_model_version("iris", 1).aliases == []
    client.set_registered_model_alias("iris", "challenger", 3)
    assert client.get_model_version("iris", 3).aliases == ["challenger", "champion"]
    assert client.get_registered_model("iris").aliases == {"challenger": 3, "champion": 3}


def test_deleting_an_alias(three_versions):
    client = three_versions
    client.set_registered_model_alias("iris", "champion", 2)
    client.delete_registered_model_alias("iris", "champion")
    with pytest.raises(NotFound, match="registered model 'iris' has no alias 'champion'"):
        client.get_model_version_by_alias("iris", "champion")
    with pytest.raises(NotFound, match="no alias 'champion'"):
        client.delete_registered_model_alias("iris", "champion")


def test_an_alias_needs_an_existing_version(three_versions):
    with pytest.raises(NotFound, match="no version 9"):
        three_versions.set_registered_model_alias("iris", "champion", 9)
    assert three_versions.get_registered_model("iris").aliases == {}


@pytest.mark.parametrize(
    "alias", ["", "latest", "LATEST", "3", "v3", "V12", "with space", "a/b", "x" * 257, None]
)
def test_bad_aliases_are_refused(three_versions, alias):
    with pytest.raises(InvalidParameter, match="alias|reserved"):
        three_versions.set_registered_model_alias("iris", alias, 1)


def test_aliases_are_per_model(client):
    for name in ("a", "b"):
        client.create_registered_model(name)
        client.create_model_version(name, "/tmp/m")
        client.create_model_version(name, "/tmp/m")
    client.set_registered_model_alias("a", "champion", 1)
    client.set_registered_model_alias("b", "champion", 2)
    assert client.get_model_version_by_alias("a", "champion").version == 1
    assert client.get_model_version_by_alias("b", "champion").version == 2
