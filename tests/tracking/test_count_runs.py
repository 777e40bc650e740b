"""TrackingClient.count_runs: how many runs search_runs would find, counted in SQL."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.entities import Param, ViewType
from labtrack.errors import InvalidParameter


def test_counts_what_search_runs_finds_with_a_filter_and_a_view(tracking_uri):
    client = lt.Client()
    first = client.create_experiment("count-a")
    second = client.create_experiment("count-b")
    for i in range(7):
        run = client.create_run(first if i < 5 else second)
        client.log_batch(run.info.run_id, params=[Param("k", str(i % 2))])
    client.delete_run(run.info.run_id)
    client.flush()
    assert client.count_runs(first) == 5
    assert client.count_runs([first, second]) == 6  # the deleted run left out
    assert client.count_runs([first, second], run_view_type=ViewType.ALL) == 7
    assert client.count_runs(first, "params.k = '0'") == len(
        client.search_runs(first, "params.k = '0'")
    )
    with pytest.raises(InvalidParameter):
        client.count_runs(first, "params.k ==== 1")
