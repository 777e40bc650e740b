"""Where new experiments keep their artifacts: LABTRACK_ARTIFACTS_URI, else beside the store."""

from __future__ import annotations

import labtrack as lt
from labtrack import env
from labtrack.store.sql import connection


def test_an_object_store_root_is_joined_as_a_uri_not_a_path(tracking_uri, monkeypatch):
    # Only stored as text here: nothing is written to the bucket.
    monkeypatch.setenv("LABTRACK_ARTIFACTS_URI", "s3://bucket/team/prefix/")
    client = lt.Client(tracking_uri)
    assert client.store.artifact_root == "s3://bucket/team/prefix/"

    experiment_id = client.create_experiment("remote")
    assert client.get_experiment(experiment_id).artifact_location == (
        f"s3://bucket/team/prefix/{experiment_id}"
    )
    assert client.get_experiment("0").artifact_location == "s3://bucket/team/prefix/0"
    run = client.create_run(experiment_id)
    assert run.info.artifact_uri == (
        f"s3://bucket/team/prefix/{experiment_id}/{run.info.run_id}/artifacts"
    )


def test_without_the_variable_artifacts_go_beside_the_store(tracking_uri, monkeypatch):
    monkeypatch.delenv("LABTRACK_ARTIFACTS_URI", raising=False)
    client = lt.Client(tracking_uri)
    database = connection.sqlite_path(tracking_uri)
    # Beside a SQLite file; under the labtrack home for a server store.
    folder = (database.parent if database else env.default_home()) / "artifacts"
    assert client.store.artifact_root == str(folder)

    experiment_id = client.create_experiment("local")
    location = client.get_experiment(experiment_id).artifact_location
    assert location == f"{folder}/{experiment_id}"
    run = client.create_run(experiment_id)
    client.log_text(run.info.run_id, "hello", "note.txt")
    assert (folder / experiment_id / run.info.run_id / "artifacts" / "note.txt").read_text() == (
        "hello"
    )
