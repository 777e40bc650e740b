"""Model versions: numbering, reads, updates, tags, deletion, register_model, download URIs."""

from __future__ import annotations

from pathlib import Path

import pytest

import labtrack as lt
from labtrack.entities import ModelVersion, ModelVersionStage
from labtrack.errors import InvalidParameter, NotFound


def test_versions_are_numbered_from_one_per_model(client, run_id):
    client.create_registered_model("a")
    client.create_registered_model("b")
    first = client.create_model_version(
        "a", f"runs:/{run_id}/model", run_id=run_id, tags={"k": "v"}, description="first"
    )
    assert isinstance(first, ModelVersion)
    assert (first.name, first.version, first.source, first.run_id) == (
        "a",
        1,
        f"runs:/{run_id}/model",
        run_id,
    )
    assert (first.status, first.current_stage, first.user_id) == (
        "READY",
        ModelVersionStage.NONE,
        "ada",
    )
    assert (first.tags, first.description, first.aliases) == ({"k": "v"}, "first", [])
    assert client.create_model_version("a", "/tmp/m").version == 2
    assert client.create_model_version("b", "/tmp/m").version == 1


def test_a_version_is_read_by_int_or_str(client):
    client.create_registered_model("a")
    created = client.create_model_version("a", "/tmp/m")
    assert client.get_model_version("a", 1) == client.get_model_version("a", "1") == created


@pytest.mark.parametrize("version", [0, -1, "x", "1.5", 1.0, True, None, "²", "1²", "٣"])
def test_bad_version_numbers_are_refused(client, version):
    client.create_registered_model("a")
    with pytest.raises(InvalidParameter, match="positive integer"):
        client.get_model_version("a", version)


def test_a_missing_version_is_not_found(client):
    client.create_registered_model("a")
    with pytest.raises(NotFound, match="registered model 'a' has no version 7"):
        client.get_model_version("a", 7)


def test_create_model_version_validates_its_arguments(client):
    client.create_registered_model("a")
    with pytest.raises(InvalidParameter, match="source"):
        client.create_model_version("a", "")
    with pytest.raises(InvalidParameter, match="run_id"):
        client.create_model_version("a", "/tmp/m", run_id="not-a-run")
    with pytest.raises(InvalidParameter, match="tag"):
        client.create_model_version("a", "/tmp/m", tags={"../x": "v"})
    with pytest.raises(InvalidParameter, match="create_model must be True or False"):
        client.create_model_version("a", "/tmp/m", create_model="yes")


def test_create_model_version_creates_the_model_only_when_asked(client):
    with pytest.raises(NotFound, match="no registered model named 'new'"):
        client.create_model_version("new", "/tmp/m")
    version = client.create_model_version("new", "/tmp/m", create_model=True)
    assert (version.name, version.version) == ("new", 1)
    assert client.create_model_version("new", "/tmp/m2", create_model=True).version == 2
    assert [e.action for e in client.get_registry_history("new")] == [
        "create_version",
        "create_version",
        "create_model",
    ]


def test_update_and_tag_a_version(client):
    client.create_registered_model("a")
    client.create_model_version("a", "/tmp/m")
    client.update_model_version("a", "1", description="better")
    client.set_model_version_tag("a", 1, "validated", True)
    assert client.get_model_version("a", 1).tags == {"validated": "True"}
    assert client.get_model_version("a", 1).description == "better"
    client.delete_model_version_tag("a", 1, "validated")
    assert client.get_model_version("a", 1).tags == {}
    with pytest.raises(NotFound, match="no tag 'validated'"):
        client.delete_model_version_tag("a", 1, "validated")


def test_deleting_a_version_takes_its_tags_and_aliases_and_its_number_is_not_reused(client):
    client.create_registered_model("a")
    client.create_model_version("a", "/tmp/m1")
    client.create_model_version("a", "/tmp/m2", tags={"t": "x"})
    client.set_registered_model_alias("a", "champion", 2)
    client.set_registered_model_alias("a", "backup", 1)
    client.delete_model_version("a", 2)
    with pytest.raises(NotFound):
        client.get_model_version("a", 2)
    assert client.get_registered_model("a").aliases == {"backup": 1}
    with pytest.raises(NotFound, match="no alias 'champion'"):
        client.get_model_version_by_alias("a", "champion")
    assert client.create_model_version("a", "/tmp/m3").version == 3
    assert client.get_model_version("a", 3).tags == {}  # version 2's tags went with it
    assert client.search_model_versions("tags.t = 'x'") == []


def test_register_model_creates_the_model_and_records_the_run(client, run_id):
    version = lt.register_model(f"runs:/{run_id}/model", "iris", tags={"stage": "dev"})
    assert (version.name, version.version, version.run_id, version.tags) == (
        "iris",
        1,
        run_id,
        {"stage": "dev"},
    )
    again = lt.register_model(f"runs:/{run_id}/model", "iris")
    assert again.version == 2
    assert [e.action for e in client.get_registry_history("iris")] == [
        "create_version",
        "create_version",
        "create_model",
    ]


def test_register_model_keeps_an_absolute_local_path_as_is(client, tmp_path):
    version = lt.register_model(str(tmp_path), "local")
    assert (version.source, version.run_id) == (str(tmp_path.resolve()), None)
    assert lt.register_model(tmp_path, "local").source == str(tmp_path.resolve())  # PathLike


def test_a_relative_local_source_is_stored_absolute(client, tmp_path, monkeypatch):
    (tmp_path / "models" / "m").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert lt.register_model("models/m", "local").source == str(
        (tmp_path / "models" / "m").resolve()
    )
    created = client.create_model_version("local", "./models/../models/m")
    assert created.source == str((tmp_path / "models" / "m").resolve())
    monkeypatch.chdir("/")  # another process, another working directory: the same folder
    assert client.get_model_version_download_uri("local", 1) == str(
        (tmp_path / "models" / "m").resolve()
    )
    for uri in ("s3://bucket/m", "file:///srv/m", "models:/other/1"):
        assert client.create_model_version("local", uri).source == uri  # URIs as given


def test_register_model_refuses_an_unknown_run_and_an_incomplete_uri(client):
    with pytest.raises(NotFound, match="no run"):
        lt.register_model(f"runs:/{'0' * 32}/model", "iris")
    with pytest.raises(InvalidParameter, match="runs:/<run_id>/<path"):
        lt.register_model(f"runs:/{'0' * 32}", "iris")


def test_the_download_uri_is_the_model_folder_inside_the_run(client, run_id, tmp_path):
    lt.register_model(f"runs:/{run_id}/model", "iris")
    folder = Path(client.get_model_version_download_uri("iris", 1))
    assert folder.is_dir() and (folder / "MLmodel").read_text() == "flavors: {}\n"
    assert folder == Path(client.get_run(run_id).info.artifact_uri) / "model"
    lt.register_model(f"file://{tmp_path}", "iris")
    assert client.get_model_version_download_uri("iris", "2") == str(tmp_path)


def test_the_download_uri_never_leaves_the_run_folder(client, run_id):
    client.create_registered_model("iris")
    client.create_model_version("iris", f"runs:/{run_id}/../../escape", run_id=run_id)
    with pytest.raises(InvalidParameter, match="inside the run"):
        client.get_model_version_download_uri("iris", 1)
