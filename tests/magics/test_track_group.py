"""``%%track --group`` and ``%track start --group``: the run's group is the tag labtrack.group."""

from __future__ import annotations

import labtrack as lt


def test_a_tracked_cell_and_a_span_join_their_group(shell):
    result = shell.run_cell("%%track --group 'adam runs' --quiet\nlt.log_metric('loss', 1.0)\n")
    assert result.success, result.error_in_exec
    result = shell.run_cell("%track start --group sgd --quiet")
    assert result.success, result.error_in_exec
    shell.run_cell("%track stop")
    runs = lt.search_runs(experiment_names=["Default"], order_by=["start_time ASC"])
    assert runs["tags.labtrack.group"].tolist() == ["adam runs", "sgd"]
    only_adam = lt.search_runs(
        experiment_names=["Default"], filter_string="tags.labtrack.group = 'adam runs'"
    )
    assert len(only_adam) == 1
