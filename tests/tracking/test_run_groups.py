"""start_run(group=...): a run's group is the tag ``labtrack.group`` (searchable, kept over HTTP)."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter


def test_group_is_stored_as_a_tag_and_searchable(tracking_uri):
    lt.set_experiment("groups")
    with lt.start_run(group="adam", tags={"team": "vision"}) as run:
        pass
    with lt.start_run(group="sgd"):
        pass
    tags = lt.get_run(run.info.run_id).data.tags
    assert tags["labtrack.group"] == "adam" and tags["team"] == "vision"
    found = lt.search_runs(filter_string="tags.labtrack.group = 'adam'")
    assert found["run_id"].tolist() == [run.info.run_id]


def test_resuming_a_run_with_a_group_moves_it(tracking_uri):
    with lt.start_run(group="a") as run:
        pass
    with lt.start_run(run_id=run.info.run_id, group="b"):
        pass
    assert lt.get_run(run.info.run_id).data.tags["labtrack.group"] == "b"


@pytest.mark.parametrize("group", ["", "  ", 3])
def test_a_bad_group_is_refused_before_any_run_starts(tracking_uri, group):
    lt.set_experiment("bad-groups")
    with pytest.raises(InvalidParameter, match="group"):
        lt.start_run(group=group)
    assert lt.active_run() is None
    assert lt.search_runs(experiment_names=["bad-groups"]).empty


def test_the_client_creates_a_run_in_a_group(tracking_uri):
    from labtrack.tracking.client import TrackingClient

    client = TrackingClient(tracking_uri)
    experiment_id = client.create_experiment("client-groups")
    run = client.create_run(experiment_id, group="adam", tags={"team": "vision"})
    client.set_terminated(run.info.run_id)
    assert client.get_run(run.info.run_id).data.tags["labtrack.group"] == "adam"
    with pytest.raises(InvalidParameter, match="group"):
        client.create_run(experiment_id, group="")
