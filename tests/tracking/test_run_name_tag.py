"""The ``mlflow.runName`` tag and a run's name are one thing, as in MLflow: setting the tag
(``lt.set_tag``, ``Client.set_tag``, ``log_batch``) renames the run, and renaming the run sets
the tag."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.entities import RunTag
from labtrack.errors import InvalidParameter


def _name_and_tag(client, run_id: str) -> tuple[str, str]:
    run = client.get_run(run_id)
    return run.info.run_name, run.data.tags["mlflow.runName"]


def test_the_fluent_set_tag_renames_the_active_run(tracking_uri):
    lt.set_tracking_uri(tracking_uri)
    with lt.start_run(run_name="first") as run:
        lt.set_tag("mlflow.runName", "renamed")
    assert _name_and_tag(lt.Client(), run.info.run_id) == ("renamed", "renamed")
    assert lt.get_run(run.info.run_id).info.run_name == "renamed"


def test_client_set_tag_and_log_batch_rename_the_run(client):
    run_id = client.create_run("0", run_name="first").info.run_id
    client.set_tag(run_id, "mlflow.runName", "by-set-tag")
    assert _name_and_tag(client, run_id) == ("by-set-tag", "by-set-tag")
    client.log_batch(run_id, tags=[RunTag("mlflow.runName", "by-batch"), RunTag("k", "v")])
    assert _name_and_tag(client, run_id) == ("by-batch", "by-batch")
    # Searching by name finds it under its new name only.
    found = client.search_runs(["0"], filter_string="attributes.run_name = 'by-batch'")
    assert [r.info.run_id for r in found] == [run_id]
    assert client.search_runs(["0"], filter_string="attributes.run_name = 'first'") == []


def test_renaming_the_run_sets_the_tag(client):
    run_id = client.create_run("0", run_name="first").info.run_id
    client.update_run(run_id, name="second")
    assert _name_and_tag(client, run_id) == ("second", "second")


@pytest.mark.parametrize("value", ["  ", "n" * 251])
def test_a_tag_that_is_no_run_name_is_refused_and_nothing_changes(client, value):
    run_id = client.create_run("0", run_name="first").info.run_id
    with pytest.raises(InvalidParameter, match="run name"):
        client.set_tag(run_id, "mlflow.runName", value)
    with pytest.raises(InvalidParameter, match="run name"):
        client.log_batch(run_id, tags=[RunTag("mlflow.runName", value), RunTag("k", "v")])
    assert _name_and_tag(client, run_id) == ("first", "first")
    assert "k" not in client.get_run(run_id).data.tags
